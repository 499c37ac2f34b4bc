/**
 * Utterances in a stream of 20 ms frames at the call's rate: a speech detector (speech-detector.ts:
 * WebRTC's by default, or Silero's; at 8 or 16 kHz, so a 24 kHz call is resampled for it) and our
 * VoiceActivity decide where speech starts and ends, and the transcribers hear it in order — the
 * start with the 300 ms just before the onset (the detector needs a few frames to be sure; the engine
 * needs the start of the first word), every frame, the end. With noise suppression on, the detector
 * and the transcribers hear the cleaned stream (noise-suppressor.ts).
 * Used by a live call (call/call-speech.ts) and by a recording transcribed after the fact
 * (transcribe-recording.ts), so both hear the same utterances.
 */
import { FRAME_MS, frameBytes } from '../protocol/audio-format.js';
import { FrameSplitter } from '../audio/frame-splitter.js';
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';
import { VoiceActivity, levelDb, type VoiceActivityChange, type VoiceActivityOptions } from './voice-activity.js';
import { createSpeechDetector, detectorRate, type SpeechDetector, type VadName } from './speech-detector.js';
import { NoiseSuppressor } from './noise-suppressor.js';
import { defaultEndSilenceMs } from './detector-hangover.js';
import type { Transcriber } from './transcriber.js';

const NO_FRAME = Buffer.alloc(0);

/** Caller audio kept before an onset, so the engine hears the start of the first word. */
const PREROLL_MS = 300;

export interface ListenOptions extends VoiceActivityOptions {
  /** WebRTC VAD aggressiveness 0–3 (default 2). */
  aggressiveness?: 0 | 1 | 2 | 3;
  /** The detector (default webrtc). */
  vad?: VadName;
  /** Silero: the speech probability that makes a frame speech. */
  sileroThreshold?: number;
  /** RNNoise in front of the detector and the transcribers (default off). */
  suppressNoise?: boolean;
}

/**
 * Frames waiting on a detector's verdict before the call's detection is given up: 10 s of audio. A
 * burst is normal (the frames held while the model loaded, ~0.6 s, arrive at once, and are judged at
 * ~0.3 ms a window); only an engine that stopped answering lets it grow this far.
 */
const MAX_BACKLOG = 500;

type Change = VoiceActivityChange | undefined;

export class UtteranceDetector {
  /** Speech is going on (between a start and its end). */
  speaking = false;
  /** Told every frame's verdict (voiced: speech above the noise floor) in call time, before the change it makes is reported. */
  onVerdict: ((voiced: boolean, atMs: number) => void) | undefined;
  /** The detector that judges (webrtc, silero). */
  get vad(): VadName {
    return this.detector.name;
  }
  private readonly activity: VoiceActivity;
  private readonly resampler: Resampler | undefined;
  /** The detector's frames out of the resampled stream (24 kHz calls only). */
  private readonly splitter: FrameSplitter;
  private readonly preroll: Buffer[] = [];
  private lastFrameEndMs = 0;
  /** The latest frame still waiting on its verdict (an asynchronous detector), and how many wait. */
  private tail: Promise<Change> | undefined;
  private backlog = 0;

  private constructor(
    private readonly detector: SpeechDetector,
    private readonly suppressor: NoiseSuppressor | undefined,
    callRate: number,
    options: ListenOptions,
  ) {
    // The hangover that ends speech depends on the detector configuration unless the app set one.
    this.activity = new VoiceActivity({ ...options, endSilenceMs: options.endSilenceMs ?? defaultEndSilenceMs(options.vad, options.suppressNoise) });
    this.resampler = callRate === detector.sampleRate ? undefined : new Resampler(callRate, detector.sampleRate);
    this.splitter = new FrameSplitter(frameBytes(detector.sampleRate));
  }

  static async create(callRate: number, options: ListenOptions = {}): Promise<UtteranceDetector> {
    const detector = await createSpeechDetector(options.vad ?? 'webrtc', detectorRate(callRate), {
      aggressiveness: options.aggressiveness ?? 2,
      ...(options.sileroThreshold === undefined ? {} : { threshold: options.sileroThreshold }),
    });
    try {
      const suppressor = options.suppressNoise ? await NoiseSuppressor.create(callRate) : undefined;
      return new UtteranceDetector(detector, suppressor, callRate, options);
    } catch (error) {
      detector.close();
      throw error;
    }
  }

  /**
   * Judges one frame starting at `atMs` and passes it on; returns the change it made, if any — or a
   * promise of it when the detector answers later (frames are then judged and passed on in order).
   */
  push(frame: Buffer, atMs: number, transcribers: Iterable<Transcriber>): Change | Promise<Change> {
    if (this.suppressor) frame = this.suppressor.process(frame);
    let detectorFrame = frame;
    if (this.resampler) {
      // The resampler gives a sample more or less than a frame at times: the splitter evens it out. A
      // call frame that completes no detector frame is judged silent, as a short frame would be.
      detectorFrame = NO_FRAME;
      this.splitter.push(floatToPcm16(this.resampler.process(pcm16ToFloat(frame))), (whole) => (detectorFrame = whole));
    }
    if (this.tail) {
      if (this.backlog >= MAX_BACKLOG) throw new Error(`the ${this.detector.name} detector fell ${MAX_BACKLOG * FRAME_MS} ms behind the call`);
      return this.track(this.tail.then(() => this.judge(detectorFrame, frame, atMs, transcribers)));
    }
    const result = this.judge(detectorFrame, frame, atMs, transcribers);
    return result instanceof Promise ? this.track(result) : result;
  }

  private judge(detectorFrame: Buffer, frame: Buffer, atMs: number, transcribers: Iterable<Transcriber>): Change | Promise<Change> {
    const verdict = this.detector.judge(detectorFrame);
    if (typeof verdict === 'boolean') return this.judged(verdict, frame, atMs, transcribers);
    return verdict.then((speech) => this.judged(speech, frame, atMs, transcribers));
  }

  /** Keeps the latest frame waiting on its verdict as the tail the next frame waits on. */
  private track(pending: Promise<Change>): Promise<Change> {
    this.tail = pending;
    this.backlog++;
    const untrack = () => {
      this.backlog--;
      if (this.tail === pending) this.tail = undefined;
    };
    pending.then(untrack, untrack);
    return pending;
  }

  private judged(speech: boolean, frame: Buffer, atMs: number, transcribers: Iterable<Transcriber>): Change {
    const change = this.activity.push(speech, levelDb(frame), atMs);
    if (change?.kind === 'speech-start') {
      this.speaking = true;
      const preroll = Buffer.concat(this.preroll);
      for (const t of transcribers) t.speechStart(atMs, preroll);
    }
    // Every frame: an engine that finds utterances itself (Deepgram) hears the whole stream; one that
    // decodes our utterances (PocketSphinx) takes only the frames between start and end, and may skip
    // the end's silence by the frame's verdict.
    const voiced = this.activity.voiced;
    for (const t of transcribers) t.audio(frame, atMs, voiced);
    this.onVerdict?.(voiced, atMs);
    if (change?.kind === 'speech-end') {
      this.speaking = false;
      for (const t of transcribers) t.speechEnd(change.atMs);
    }
    this.preroll.push(frame);
    if (this.preroll.length > PREROLL_MS / FRAME_MS) this.preroll.shift();
    this.lastFrameEndMs = atMs + FRAME_MS;
    return change;
  }

  /** The stream ended: speech going on ends with it (after the frames still being judged). */
  finish(transcribers: Iterable<Transcriber>): Change | Promise<Change> {
    if (this.tail) return this.tail.then(() => this.finish(transcribers));
    if (!this.speaking) return undefined;
    this.speaking = false;
    for (const t of transcribers) t.speechEnd(this.lastFrameEndMs);
    return { kind: 'speech-end', atMs: this.lastFrameEndMs };
  }

  close(): void {
    this.detector.close();
    this.suppressor?.close();
  }
}
