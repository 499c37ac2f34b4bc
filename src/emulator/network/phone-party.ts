/**
 * The party at the other end of an answered phone leg, as a scenario describes it (scenario.ts): a
 * person who speaks a script, or an answering machine that plays its greeting, beeps and records.
 * It lives on the conversation's ticks: `say()` gives its next 20 ms, `hear()` takes what it heard
 * and moves its script on. Everything it heard is kept (a test's recording of the call from that
 * end); a machine also keeps what it heard after its beep: the voicemail.
 *
 * Turn-taking is the simplest a test needs: a line with `afterSilenceMs` waits until the other side
 * has spoken since the line before and then been quiet that long (energy over a threshold is speech).
 */
import { FRAME_MS } from '../../protocol/audio-format.js';
import { pcm16RmsDbfs } from '../../audio/levels.js';
import { dtmfTone, sine } from '../../audio/tone.js';
import { floatToPcm16 } from '../../audio/pcm.js';
import { synthesizeSpeech } from '../caller-audio.js';
import { MIX_FRAME_BYTES, MIX_RATE } from './conversation.js';
import { DEFAULT_LINE_GAP_MS, type AnsweringPhone, type MachinePhone, type ScriptLine } from './scenario.js';

/** A frame louder than this is speech to a listening party (espeak-ng speaks around -20 dBFS; line noise sits far below). */
const SPEECH_DBFS = -45;
/** A key press: tone and gap, as a person's thumb makes them. */
const KEY_TONE_MS = 150;
const KEY_GAP_MS = 100;
/** What a party keeps of a call: past this, the oldest audio is not kept (a run-away call must not exhaust memory). */
const MAX_KEPT_MS = 15 * 60_000;

export interface PartyEvents {
  /** The party pressed a key (its tone is in its audio too). */
  dtmf(digit: string): void;
  /** The party hung up. */
  hangup(): void;
  /** A machine's beep started. */
  beep?(): void;
}

/** What a party heard: the whole call, and a machine's voicemail (from the end of its beep). */
export interface PartyRecording {
  sampleRate: number;
  heard: Buffer;
  voicemail?: Buffer;
  /** Where the voicemail starts in `heard`, ms. */
  voicemailAtMs?: number;
}

type Prepared = { line: ScriptLine; pcm?: Buffer };

export class PhoneParty {
  private tick = 0;
  private mouth: Buffer | undefined;
  private mouthOffset = 0;
  private readonly heard: Buffer[] = [];
  private droppedFrames = 0;
  /** Script state (a person). */
  private lineIndex = 0;
  private lineSince = 0;
  private lastLineEnded = 0;
  private heardSpeechSinceLine = false;
  private silentFrames = 0;
  private hungUp = false;
  /** Machine timeline, in ticks after the answer. */
  private readonly greetingAt: number;
  private readonly beepAt: number | undefined;
  private readonly recordFrom: number;
  private readonly recordUntil: number;
  private heardSpeechInVoicemail = false;

  private constructor(
    readonly phone: AnsweringPhone,
    private readonly events: PartyEvents,
    private readonly lines: Prepared[],
    private readonly greeting: Buffer | undefined,
  ) {
    if (phone.kind === 'machine') {
      const greetingFrames = Math.ceil((greeting?.length ?? 0) / MIX_FRAME_BYTES);
      this.greetingAt = Math.round(phone.greetingAfterMs / FRAME_MS);
      const greetingEnd = this.greetingAt + greetingFrames + Math.round(phone.beepAfterMs / FRAME_MS);
      this.beepAt = phone.beep ? greetingEnd : undefined;
      this.recordFrom = phone.beep ? greetingEnd + Math.round(phone.beepMs / FRAME_MS) : greetingEnd;
      this.recordUntil = this.recordFrom + Math.round(phone.recordMs / FRAME_MS);
    } else {
      this.greetingAt = 0;
      this.recordFrom = Infinity;
      this.recordUntil = Infinity;
    }
  }

  /** Synthesizes what the party will say (espeak-ng), so the call never waits for it mid-conversation. */
  static async answer(phone: AnsweringPhone, events: PartyEvents): Promise<PhoneParty> {
    if (phone.kind === 'machine') {
      const { pcm } = await synthesizeSpeech(phone.greeting, MIX_RATE, { name: phone.voice, wordsPerMinute: phone.wordsPerMinute });
      return new PhoneParty(phone, events, [], pcm);
    }
    const lines = await Promise.all(
      phone.script.map(async (line) =>
        'say' in line
          ? {
              line,
              pcm: (
                await synthesizeSpeech(line.say, MIX_RATE, { name: line.voice ?? phone.voice, wordsPerMinute: line.wordsPerMinute ?? phone.wordsPerMinute })
              ).pcm,
            }
          : { line },
      ),
    );
    return new PhoneParty(phone, events, lines, undefined);
  }

  /** When a machine's beep starts, ms after the answer; undefined for a person or a machine without a beep. */
  get beepAtMs(): number | undefined {
    return this.beepAt === undefined ? undefined : this.beepAt * FRAME_MS;
  }

  /** The party's next 20 ms at MIX_RATE; undefined when it is silent. */
  say(): Buffer | undefined {
    if (this.phone.kind === 'machine') this.machineMouth();
    if (!this.mouth) return undefined;
    const frame = Buffer.alloc(MIX_FRAME_BYTES);
    this.mouth.copy(frame, 0, this.mouthOffset, this.mouthOffset + MIX_FRAME_BYTES);
    this.mouthOffset += MIX_FRAME_BYTES;
    if (this.mouthOffset >= this.mouth.length) {
      this.mouth = undefined;
      this.lastLineEnded = this.tick + 1;
    }
    return frame;
  }

  /** What the party heard this tick; moves its script on. */
  hear(frame: Buffer): void {
    if (this.hungUp) return;
    if (this.heard.length * FRAME_MS >= MAX_KEPT_MS) {
      this.heard.shift();
      this.droppedFrames++;
    }
    this.heard.push(frame);
    const voiced = pcm16RmsDbfs(frame) > SPEECH_DBFS;
    this.silentFrames = voiced ? 0 : this.silentFrames + 1;
    if (voiced) this.heardSpeechSinceLine = true;
    this.tick++;
    if (this.phone.kind === 'machine') this.machineEar(voiced);
    else this.personScript();
  }

  /** What the party heard, and a machine's voicemail. */
  recording(): PartyRecording {
    const heard = Buffer.concat(this.heard);
    const from = this.recordFrom - this.droppedFrames;
    if (this.phone.kind !== 'machine' || this.heard.length <= from) return { sampleRate: MIX_RATE, heard };
    const start = Math.max(0, from) * MIX_FRAME_BYTES;
    return { sampleRate: MIX_RATE, heard, voicemail: heard.subarray(start), voicemailAtMs: Math.max(0, from) * FRAME_MS };
  }

  private speak(pcm: Buffer): void {
    this.mouth = pcm;
    this.mouthOffset = 0;
  }

  private hangup(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    this.mouth = undefined;
    this.events.hangup();
  }

  private machineMouth(): void {
    const phone = this.phone as MachinePhone;
    if (this.tick === this.greetingAt && this.greeting) this.speak(this.greeting);
    if (this.tick === this.beepAt) {
      this.speak(floatToPcm16(sine(phone.beepHz, phone.beepMs, MIX_RATE, 0.5)));
      this.events.beep?.();
    }
  }

  private machineEar(voiced: boolean): void {
    const phone = this.phone as MachinePhone;
    if (this.tick < this.recordFrom) return;
    if (voiced) this.heardSpeechInVoicemail = true;
    const silentEnd = phone.endOnSilenceMs !== undefined && this.heardSpeechInVoicemail && this.silentFrames * FRAME_MS >= phone.endOnSilenceMs;
    if (this.tick >= this.recordUntil || silentEnd) this.hangup();
  }

  private personScript(): void {
    if (this.mouth || this.hungUp) return;
    const next = this.lines[this.lineIndex];
    if (!next) return;
    const { line } = next;
    const nowMs = this.tick * FRAME_MS;
    const waitedMs = (this.tick - this.lineSince) * FRAME_MS;
    let due: boolean;
    if (line.afterSilenceMs !== undefined) {
      due = (this.heardSpeechSinceLine && this.silentFrames * FRAME_MS >= line.afterSilenceMs) || (line.timeoutMs !== undefined && waitedMs >= line.timeoutMs);
    } else if (line.atMs !== undefined) due = nowMs >= line.atMs;
    else due = nowMs >= this.lastLineEnded * FRAME_MS + DEFAULT_LINE_GAP_MS;
    if (!due) return;
    this.lineIndex++;
    this.lineSince = this.tick;
    this.heardSpeechSinceLine = false;
    if ('say' in line) this.speak(next.pcm!);
    else if ('dtmf' in line) this.pressKeys(line.dtmf);
    else this.hangup();
  }

  /** Key presses: the tones go into the party's audio, each key is reported as it is pressed. */
  private pressKeys(digits: string): void {
    const tones = [...digits].flatMap((digit) => [...dtmfTone(digit, KEY_TONE_MS, MIX_RATE), ...new Float32Array((KEY_GAP_MS / 1000) * MIX_RATE)]);
    this.speak(floatToPcm16(Float32Array.from(tones)));
    for (const digit of digits) this.events.dtmf(digit);
  }
}
