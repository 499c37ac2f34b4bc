/**
 * The caller of an eval scenario, as the emulator's caller audio (`{ kind: 'source' }`): it speaks
 * the scenario's lines into the websocket leg, listens to what the leg plays it each 20 ms, and moves
 * its script on from that — a line at a time, once the agent has spoken and gone quiet, or while the
 * agent speaks (an interruption); keys and hanging up through the leg's controls. Noise, when asked,
 * runs under the whole call. It keeps a log on its own clock (frame n is n × 20 ms after the socket
 * opened): when each line ran, and, per 20 ms, whether the agent's audio was sounding.
 */
import { wavToCallPcm, writeWav } from '../audio/wav.js';
import { pcm16RmsDbfs } from '../audio/levels.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import type { CallerAudio, CallerControls } from '../emulator/caller-audio.js';
import { MIX_RATE } from '../emulator/network/conversation.js';
import { PERSON_VOICE, speak } from '../emulator/network/voices.js';
import { noiseTrack } from './noise.js';
import type { Noise, ScenarioLine } from './scenario.js';

/** A frame the caller hears louder than this is the agent speaking (the phone network's threshold: speech sits near −20 dBFS). */
export const AGENT_SPEECH_DBFS = -45;
/** An unscheduled line follows the caller's line before by this much (the phone network's gap). */
const LINE_GAP_MS = 300;
/** Quiet shorter than this inside the agent's speech (between words) does not end its run of speech. */
const WORD_GAP_MS = 200;
/** The noise track is at most this long and loops after: an hour-long call must not hold an hour of it. */
const NOISE_LOOP_MS = 60_000;

/** What happened to one line of the script, ms on the caller's clock. */
export interface LineRun {
  index: number;
  kind: 'say' | 'dtmf' | 'hangup';
  text?: string;
  startMs: number;
  /** A said line's end of speech. */
  endMs?: number;
  /** It was an interruption (said while the agent spoke). */
  interrupt: boolean;
  /** It ran on its timeout, the agent having given it no cue. */
  timedOut: boolean;
}

export interface CallerLog {
  lines: LineRun[];
  /** Per 20 ms of the call: whether the caller heard the agent. */
  agentSounding: boolean[];
  /** The script hung up (not the time limit, not the agent). */
  hungUp: boolean;
  /** Lines never reached before the call ended. */
  notReached: number;
}

/** A line ready to run; a said line's audio at the call's rate and where its speech ends in it (trailing silence is not speech). */
type Prepared = { line: ScenarioLine; pcm?: Buffer; speechMs?: number };

/** Where speech ends in s16le `pcm` at `rate`, ms: the last sample above a whisper. */
function speechEndMs(pcm: Buffer, rate: number): number {
  let last = pcm.length - 2;
  while (last >= 0 && Math.abs(pcm.readInt16LE(last)) <= 64) last -= 2;
  return Math.round(((last + 2) / 2 / rate) * 1000);
}

export class ScriptedCaller implements CallerAudio {
  readonly description: string;
  readonly log: CallerLog = { lines: [], agentSounding: [], hungUp: false, notReached: 0 };
  private controls: CallerControls | undefined;
  private next = 0;
  private nextSince = 0;
  private mouth: { pcm: Buffer; from: number } | undefined;
  private callerFrame = 0;
  private lastOwnEndMs = 0;
  private heardAgentSinceLine = false;
  private quietFrames = 0;
  private speakingFrames = 0;
  private gapFrames = 0;

  private constructor(
    private readonly lines: Prepared[],
    private readonly noise: Buffer | undefined,
  ) {
    this.description = `scripted caller of ${lines.length} line(s)`;
    this.log.notReached = lines.length;
  }

  /** Synthesizes the lines at the call's rate first, so the call never waits for speech mid-turn. */
  static async create(
    script: ScenarioLine[],
    rate: number,
    options: { voice?: string | undefined; noise?: Noise | undefined; maxDurationMs: number },
  ): Promise<ScriptedCaller> {
    const lines = await Promise.all(
      script.map(async (line): Promise<Prepared> => {
        if (!('say' in line)) return { line };
        const spoken = await speak(line.say, options.voice ?? PERSON_VOICE);
        const pcm = rate === MIX_RATE ? spoken : wavToCallPcm(writeWav(spoken, MIX_RATE), rate);
        return { line, pcm, speechMs: speechEndMs(pcm, rate) };
      }),
    );
    const speech = lines.flatMap(({ pcm }) => (pcm ? [pcm] : []));
    const noise = options.noise ? noiseTrack(options.noise, Buffer.concat(speech), rate, Math.min(options.maxDurationMs + 1000, NOISE_LOOP_MS)) : undefined;
    return new ScriptedCaller(lines, noise);
  }

  attach(controls: CallerControls): void {
    this.controls = controls;
  }

  fill(frame: Buffer, n: number): void {
    this.callerFrame = n;
    frame.fill(0);
    if (this.mouth) {
      const offset = (n - this.mouth.from) * frame.length;
      if (offset >= 0) this.mouth.pcm.copy(frame, 0, offset, Math.min(this.mouth.pcm.length, offset + frame.length));
      if (offset + frame.length >= this.mouth.pcm.length) this.mouth = undefined;
    }
    if (this.noise) {
      const offset = (n * frame.length) % this.noise.length;
      for (let i = 0; i + 1 < frame.length && offset + i + 1 < this.noise.length; i += 2) {
        const value = frame.readInt16LE(i) + this.noise.readInt16LE(offset + i);
        frame.writeInt16LE(Math.max(-32768, Math.min(32767, value)), i);
      }
    }
  }

  hear(frame: Buffer | undefined): void {
    const sounding = frame !== undefined && pcm16RmsDbfs(frame) > AGENT_SPEECH_DBFS;
    this.log.agentSounding.push(sounding);
    if (sounding) {
      this.heardAgentSinceLine = true;
      this.quietFrames = 0;
      this.speakingFrames += 1 + this.gapFrames;
      this.gapFrames = 0;
    } else {
      this.quietFrames++;
      this.gapFrames++;
      if (this.gapFrames * FRAME_MS >= WORD_GAP_MS) this.speakingFrames = this.gapFrames = 0;
    }
    this.step();
  }

  private step(): void {
    if (this.mouth || this.log.hungUp || !this.controls) return;
    const prepared = this.lines[this.next];
    if (!prepared) return;
    const { line } = prepared;
    const nowMs = (this.callerFrame + 1) * FRAME_MS;
    const waitedMs = nowMs - this.nextSince;
    const timedOut = line.timeout !== undefined && waitedMs >= line.timeout;
    let due: boolean;
    if (line.afterSilence !== undefined) due = (this.heardAgentSinceLine && this.quietFrames * FRAME_MS >= line.afterSilence) || timedOut;
    else if (line.interrupt !== undefined) due = this.speakingFrames * FRAME_MS >= line.interrupt || timedOut;
    else if (line.at !== undefined) due = nowMs >= line.at;
    else due = nowMs >= this.lastOwnEndMs + LINE_GAP_MS;
    if (!due) return;
    const cued =
      line.afterSilence !== undefined
        ? this.heardAgentSinceLine && this.quietFrames * FRAME_MS >= line.afterSilence
        : this.speakingFrames * FRAME_MS >= (line.interrupt ?? 0);
    this.next++;
    this.log.notReached--;
    this.nextSince = nowMs;
    this.heardAgentSinceLine = false;
    const run: LineRun = {
      index: this.next - 1,
      kind: 'say' in line ? 'say' : 'dtmf' in line ? 'dtmf' : 'hangup',
      startMs: nowMs,
      interrupt: line.interrupt !== undefined,
      timedOut: timedOut && !cued,
    };
    this.log.lines.push(run);
    if ('say' in line) {
      const pcm = prepared.pcm!;
      this.mouth = { pcm, from: this.callerFrame + 1 };
      run.text = line.say;
      run.endMs = this.lastOwnEndMs = nowMs + prepared.speechMs!;
    } else if ('dtmf' in line) {
      for (const digit of line.dtmf) this.controls.dtmf(digit);
      this.lastOwnEndMs = nowMs;
    } else {
      this.log.hungUp = true;
      this.controls.hangup();
    }
  }
}
