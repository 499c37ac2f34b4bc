/**
 * `npm run bench -- --suites turns`: turn-taking in noise. One caller stream per line (bench/turn-audio.ts:
 * each recording of the split as an interruption of the agent's reply, a backchannel or a cough after
 * each, 2.5 s of line between) under babble, pink and brown noise and music at 20, 10 and 5 dB SNR, at
 * 16 and 8 kHz, through the same UtteranceDetector a call uses (resampling, suppression, detector,
 * VoiceActivity), frame by frame in call time: WebRTC and Silero, each with and without RNNoise in
 * front, side by side on the same audio. The agent is taken to be replying throughout, so every
 * barge-in decision cuts a reply:
 *
 * - **false barge-in**: a backchannel or cough that cut the reply, or speech found where the caller
 *   said nothing (noise);
 * - **missed interruption**: a recording (a true interruption) that never cut the reply, while the
 *   detector held no utterance (**line held**: it still held one of noise when the voice began — the
 *   reply had been cut by it already, a false barge-in counted as such);
 * - **onset → clear**: the voice's true onset → the end of the frame that decided (audio time);
 * - **end of turn**: the voice's true end → the frame at which the detector said speech ended; and
 *   **cut mid-turn**: the detector said it ended while the voice went on (a pause inside the recording).
 *
 * Two barge-in policies (src/speech/barge-in-policy.ts): **at onset** (today: the detector's
 * speech-start clears) and **500 ms voiced** (no transcriber). Truth comes from the clean voice track
 * (frames within 35 dB of its loudest). Tuning (--split tune) runs the same on the other speakers.
 * Word errors: PocketSphinx through the same pipeline on the split's first 8 recordings, each under
 * one noise (rotating), with and without suppression.
 */
import { resample } from '../src/audio/resampler.js';
import { EventEmitter } from 'node:events';
import { floatToPcm16 } from '../src/audio/pcm.js';
import { FRAME_MS, frameBytes } from '../src/protocol/audio-format.js';
import { BargeInPolicy } from '../src/speech/barge-in-policy.js';
import { transcribeRecording } from '../src/speech/transcribe-recording.js';
import type { Transcriber, TranscriberEvents } from '../src/speech/transcriber.js';
import { UtteranceDetector, type ListenOptions } from '../src/speech/utterance-detector.js';
import { NoiseSuppressor } from '../src/speech/noise-suppressor.js';
import { defaultEndSilenceMs } from '../src/speech/detector-hangover.js';
import { wordErrors } from '../src/speech/word-error-rate.js';
import { RATE, NOISES, backchannels, callerStream, isTuning, loadRecordings, mixAt, noise, type NoiseKind, type TurnEvent } from './turn-audio.js';

export interface TurnsOptions {
  dir: string;
  split: 'measure' | 'tune';
  quick: boolean;
  /** Silero's threshold and floor margin under test (tuning). */
  silero?: { threshold?: number; floorMarginDb?: number };
  wer: boolean;
  /** A part of the run (side by side in several processes): these noises, these rates, no detection at all. */
  noises?: NoiseKind[];
  rates?: number[];
  detection?: boolean;
  /** Word errors with this hangover instead of each configuration's default (--wer-end-silence). */
  werEndSilenceMs?: number;
  /** Told each detection with its stream (the sweep of turns-sweep.ts replays it at other settings). */
  onDetection?: (detection: Detection, listen: ListenOptions, events: TurnEvent[], totalMs: number, base: Omit<Cell, 'policy'>) => void;
}

export const CONFIGS = ['webrtc', 'silero', 'webrtc + rnnoise', 'silero + rnnoise'] as const;
export type Config = (typeof CONFIGS)[number];
export const POLICIES = ['at onset', '500 ms voiced'] as const;
export type Policy = (typeof POLICIES)[number];

export interface Cell {
  config: Config;
  policy: Policy;
  rate: number;
  noise: NoiseKind;
  snr: number;
  interruptions: number;
  missed: number;
  /** Interruptions that began while the detector still held an utterance of noise: no reply was playing to cut. */
  busy: number;
  backchannels: number;
  backchannelsCut: number;
  noiseBargeIns: number;
  /** Minutes of line where the caller said nothing. */
  quietMinutes: number;
  onsetToClearMs: number[];
  endOfTurnMs: number[];
  cutMidTurn: number;
  cpuMsPerSecond: number;
  /** The hangover that ended speech (the configuration's default); absent in runs before it was per configuration (500). */
  endSilenceMs?: number;
}

export interface WerRow {
  rate: number;
  snr: number | 'clean';
  suppress: boolean;
  words: number;
  errors: number;
  /** Recordings left out: the engine failed twice (a start timeout on a loaded machine). */
  failed: number;
  /** The hangover that ended the utterances (absent in runs before it was per configuration: 500). */
  endSilenceMs?: number;
}

/** Writes down each frame's verdict: the detector gives it to its engines. */
class VerdictTap extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'tap';
  constructor(readonly voiced: Uint8Array) {
    super();
  }
  ready = () => Promise.resolve();
  speechStart = () => undefined;
  audio = (_frame: Buffer, atMs: number, voiced?: boolean) => void (this.voiced[atMs / FRAME_MS] = voiced ? 1 : 0);
  speechEnd = () => undefined;
  close = () => Promise.resolve();
}

export interface Detection {
  voiced: Uint8Array;
  /** Frame index at which each start / end was said, and the call time it names. */
  starts: Array<{ frame: number; atMs: number }>;
  ends: Array<{ frame: number; atMs: number }>;
  cpuMsPerSecond: number;
}

/**
 * What a call with this configuration listens with. RNNoise runs outside the detector here (its stream
 * is made once for both detectors), so the hangover is the product's default for the configuration.
 */
export function listenOptions(config: Config, options: TurnsOptions): ListenOptions {
  const silero = config.startsWith('silero');
  const vad = silero ? 'silero' : 'webrtc';
  return {
    vad,
    endSilenceMs: defaultEndSilenceMs(vad, config.endsWith('rnnoise')),
    ...(silero && options.silero?.threshold !== undefined ? { sileroThreshold: options.silero.threshold } : {}),
    ...(silero && options.silero?.floorMarginDb !== undefined ? { floorMarginDb: options.silero.floorMarginDb } : {}),
  };
}

export async function detect(pcm: Buffer, rate: number, listen: ListenOptions): Promise<Detection> {
  const size = frameBytes(rate);
  const count = Math.floor(pcm.length / size);
  const tap = new VerdictTap(new Uint8Array(count));
  const detection: Detection = { voiced: tap.voiced, starts: [], ends: [], cpuMsPerSecond: 0 };
  const detector = await UtteranceDetector.create(rate, listen);
  const before = process.cpuUsage();
  try {
    for (let frame = 0; frame < count; frame++) {
      let change = detector.push(pcm.subarray(frame * size, (frame + 1) * size), frame * FRAME_MS, [tap]);
      if (change instanceof Promise) change = await change;
      if (change?.kind === 'speech-start') detection.starts.push({ frame, atMs: change.atMs });
      if (change?.kind === 'speech-end') detection.ends.push({ frame, atMs: change.atMs });
    }
  } finally {
    detector.close();
  }
  const used = process.cpuUsage(before);
  detection.cpuMsPerSecond = (used.user + used.system) / 1000 / ((count * FRAME_MS) / 1000);
  return detection;
}

/** The line through RNNoise as the utterance detector runs it (suppressNoise), and its CPU per second of audio. */
async function suppressed(pcm: Buffer, rate: number): Promise<{ pcm: Buffer; cpuMsPerSecond: number }> {
  const size = frameBytes(rate);
  const suppressor = await NoiseSuppressor.create(rate);
  const out = Buffer.alloc(pcm.length);
  const before = process.cpuUsage();
  for (let offset = 0; offset + size <= pcm.length; offset += size) suppressor.process(pcm.subarray(offset, offset + size)).copy(out, offset);
  const used = process.cpuUsage(before);
  suppressor.close();
  return { pcm: out, cpuMsPerSecond: (used.user + used.system) / 1000 / (pcm.length / size / 50) };
}

/** The frames at which each policy would have cut the reply (`minSpeechMs`: the voiced policy's minimum). */
function decisions(detection: Detection, policy: Policy, minSpeechMs: number): number[] {
  if (policy === 'at onset') return detection.starts.map((s) => s.frame);
  const out: number[] = [];
  for (const start of detection.starts) {
    const end = detection.ends.find((e) => e.frame > start.frame)?.frame ?? detection.voiced.length;
    const barge = new BargeInPolicy({ minSpeechMs });
    barge.speechStart();
    for (let f = Math.floor(start.atMs / FRAME_MS); f < end; f++) {
      if (barge.frame(detection.voiced[f] === 1, f * FRAME_MS)) {
        out.push(f);
        break;
      }
    }
  }
  return out;
}

/** Whether an utterance the detector found was still going on at `atMs`. */
function heldAt(detection: Detection, atMs: number): boolean {
  const start = detection.starts.filter((s) => (s.frame + 1) * FRAME_MS <= atMs).at(-1);
  if (!start) return false;
  const end = detection.ends.find((e) => e.frame > start.frame);
  return end === undefined || (end.frame + 1) * FRAME_MS > atMs;
}

/** An event's window: a decision within it is that event's. */
const windowOf = (event: TurnEvent) => [event.startMs - 100, event.endMs + 1000] as const;

export function score(detection: Detection, policy: Policy, events: TurnEvent[], totalMs: number, base: Omit<Cell, 'policy'>, minSpeechMs = 500): Cell {
  const cell: Cell = { ...base, policy, onsetToClearMs: [], endOfTurnMs: [] };
  const decidedAt = decisions(detection, policy, minSpeechMs).map((f) => (f + 1) * FRAME_MS);
  const claimed = new Set<number>();
  let quietMs = totalMs;
  for (const event of events) {
    const [from, to] = windowOf(event);
    quietMs -= to - from;
    const inside = decidedAt.filter((t) => t >= from && t <= to);
    inside.forEach((t) => claimed.add(t));
    if (event.kind === 'backchannel') {
      cell.backchannels++;
      if (inside.length > 0) cell.backchannelsCut++;
      continue;
    }
    cell.interruptions++;
    if (inside.length > 0) cell.onsetToClearMs.push(inside[0]! - event.startMs);
    else if (heldAt(detection, from)) cell.busy++;
    else cell.missed++;
    if (policy !== 'at onset') continue;
    const ends = detection.ends.map((e) => (e.frame + 1) * FRAME_MS);
    if (ends.some((t) => t > event.startMs + 200 && t < event.endMs - 100)) cell.cutMidTurn++;
    const end = ends.find((t) => t >= event.endMs && t <= event.endMs + 3000);
    if (end !== undefined) cell.endOfTurnMs.push(end - event.endMs);
  }
  cell.noiseBargeIns = decidedAt.filter((t) => !claimed.has(t)).length;
  cell.quietMinutes = quietMs / 60_000;
  return cell;
}

export async function turnTaking(options: TurnsOptions, progress: (line: string) => void): Promise<{ cells: Cell[]; wer: WerRow[] }> {
  const all = loadRecordings(options.dir);
  const tuning = options.split === 'tune';
  let callers = all.filter((r) => isTuning(r.name) === tuning);
  const others = all.filter((r) => isTuning(r.name) !== tuning);
  if (options.quick) callers = callers.slice(0, 3);
  const stream = callerStream(callers, await backchannels());
  const totalMs = (stream.voice.length / RATE) * 1000;
  const snrs = options.quick ? [10] : [20, 10, 5];
  const noises: readonly NoiseKind[] = options.detection === false ? [] : (options.noises ?? (options.quick ? ['babble'] : NOISES));
  const rates = options.rates ?? (options.quick ? [16000] : [16000, 8000]);
  const cells: Cell[] = [];
  for (const kind of noises) {
    const track = noise(kind, stream.voice.length, others);
    for (const snr of snrs) {
      const mixed = mixAt(stream.voice, track, snr);
      for (const rate of rates) {
        const pcm = floatToPcm16(rate === RATE ? mixed : resample(mixed, RATE, rate));
        // RNNoise is the first step of the pipeline: its stream is made once for both detectors.
        const cleaned = await suppressed(pcm, rate);
        for (const config of CONFIGS) {
          progress(`turns: ${kind} at ${snr} dB, ${rate / 1000} kHz, ${config}`);
          const rnnoise = config.endsWith('rnnoise');
          const listen = listenOptions(config, options);
          const detection = await detect(rnnoise ? cleaned.pcm : pcm, rate, listen);
          if (rnnoise) detection.cpuMsPerSecond += cleaned.cpuMsPerSecond;
          const base = {
            config,
            rate,
            noise: kind,
            snr,
            interruptions: 0,
            missed: 0,
            busy: 0,
            backchannels: 0,
            backchannelsCut: 0,
            noiseBargeIns: 0,
            quietMinutes: 0,
            cutMidTurn: 0,
            cpuMsPerSecond: detection.cpuMsPerSecond,
            endSilenceMs: listen.endSilenceMs ?? 500,
          };
          for (const policy of POLICIES) cells.push(score(detection, policy, stream.events, totalMs, { ...base, onsetToClearMs: [], endOfTurnMs: [] }));
          options.onDetection?.(detection, listen, stream.events, totalMs, { ...base, onsetToClearMs: [], endOfTurnMs: [] });
        }
      }
    }
  }
  const wer = options.wer ? await wordErrorRows(callers, others, snrs, rates, options.werEndSilenceMs, progress) : [];
  return { cells, wer };
}

/** Recordings whose word errors are measured: PocketSphinx is the slow part of the suite. */
const WER_RECORDINGS = 8;

/** PocketSphinx on each of the first recordings (1 s of line either side) under one noise, with and without RNNoise. */
async function wordErrorRows(
  callers: ReturnType<typeof loadRecordings>,
  others: ReturnType<typeof loadRecordings>,
  snrs: number[],
  rates: number[],
  endSilenceMs: number | undefined,
  progress: (line: string) => void,
): Promise<WerRow[]> {
  const rows: WerRow[] = [];
  for (const rate of rates) {
    for (const snr of ['clean' as const, ...snrs]) {
      for (const suppress of [false, true]) {
        progress(`turns: word errors at ${rate / 1000} kHz, ${snr}${snr === 'clean' ? '' : ' dB'}, ${suppress ? 'rnnoise' : 'no suppression'}`);
        const row: WerRow = { rate, snr, suppress, words: 0, errors: 0, failed: 0, endSilenceMs: endSilenceMs ?? defaultEndSilenceMs('webrtc', suppress) };
        for (const [i, recording] of callers.slice(0, WER_RECORDINGS).entries()) {
          const voice = new Float32Array(recording.samples.length + 2 * RATE);
          voice.set(recording.samples, RATE);
          const track = noise(NOISES[i % NOISES.length]!, voice.length, others);
          const mixed = mixAt(voice, track, snr === 'clean' ? undefined : snr);
          const pcm = floatToPcm16(rate === RATE ? mixed : resample(mixed, RATE, rate));
          const listen = { listen: { suppressNoise: suppress, ...(endSilenceMs === undefined ? {} : { endSilenceMs }) } };
          // One retry: a start timeout on a loaded machine is not the recording's fault.
          const once = () => transcribeRecording(pcm, rate, listen).catch(() => undefined);
          const finals = (await once()) ?? (await once());
          if (!finals) {
            row.failed++;
            continue;
          }
          const errors = wordErrors(recording.reference, finals.map((f) => f.text).join(' '));
          row.words += errors.words;
          row.errors += errors.substitutions + errors.deletions + errors.insertions;
        }
        rows.push(row);
      }
    }
  }
  return rows;
}
