/**
 * Utterances in a stream of 20 ms frames at the call's rate: WebRTC's detector (at 8 or 16 kHz, so a
 * 24 kHz call is resampled for it) and our VoiceActivity decide where speech starts and ends, and the
 * transcribers hear it in order — the start with the 300 ms just before the onset (the detector
 * needs a few frames to be sure; the engine needs the start of the first word), every frame, the end.
 * Used by a live call (call/call-speech.ts) and by a recording transcribed after the fact
 * (transcribe-recording.ts), so both hear the same utterances.
 */
import { FRAME_MS, frameBytes } from '../protocol/audio-format.js';
import { FrameSplitter } from '../audio/frame-splitter.js';
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';
import { VoiceActivity, levelDb, type VoiceActivityChange, type VoiceActivityOptions } from './voice-activity.js';
import { createWebRtcVad, type FrameClassifier } from './webrtc-vad.js';
import type { Transcriber } from './transcriber.js';

const NO_FRAME = Buffer.alloc(0);

/** Caller audio kept before an onset, so the engine hears the start of the first word. */
const PREROLL_MS = 300;

export interface ListenOptions extends VoiceActivityOptions {
  /** WebRTC VAD aggressiveness 0–3 (default 2). */
  aggressiveness?: 0 | 1 | 2 | 3;
}

export class UtteranceDetector {
  /** Speech is going on (between a start and its end). */
  speaking = false;
  private readonly activity: VoiceActivity;
  private readonly resampler: Resampler | undefined;
  /** The detector's frames out of the resampled stream (24 kHz calls only). */
  private readonly splitter: FrameSplitter;
  private readonly preroll: Buffer[] = [];
  private lastFrameEndMs = 0;

  private constructor(
    private readonly classifier: FrameClassifier,
    callRate: number,
    detectorRate: number,
    options: ListenOptions,
  ) {
    this.activity = new VoiceActivity(options);
    this.resampler = callRate === detectorRate ? undefined : new Resampler(callRate, detectorRate);
    this.splitter = new FrameSplitter(frameBytes(detectorRate));
  }

  static async create(callRate: number, options: ListenOptions = {}): Promise<UtteranceDetector> {
    const detectorRate = callRate === 8000 ? 8000 : 16000;
    const classifier = await createWebRtcVad(detectorRate, options.aggressiveness ?? 2);
    return new UtteranceDetector(classifier, callRate, detectorRate, options);
  }

  /** Judges one frame starting at `atMs` and passes it on; returns the change it made, if any. */
  push(frame: Buffer, atMs: number, transcribers: Iterable<Transcriber>): VoiceActivityChange | undefined {
    let detectorFrame = frame;
    if (this.resampler) {
      // The resampler gives a sample more or less than a frame at times: the splitter evens it out. A
      // call frame that completes no detector frame is judged silent, as a short frame would be.
      detectorFrame = NO_FRAME;
      this.splitter.push(floatToPcm16(this.resampler.process(pcm16ToFloat(frame))), (whole) => (detectorFrame = whole));
    }
    const change = this.activity.push(this.classifier.isSpeech(detectorFrame), levelDb(frame), atMs);
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
    if (change?.kind === 'speech-end') {
      this.speaking = false;
      for (const t of transcribers) t.speechEnd(change.atMs);
    }
    this.preroll.push(frame);
    if (this.preroll.length > PREROLL_MS / FRAME_MS) this.preroll.shift();
    this.lastFrameEndMs = atMs + FRAME_MS;
    return change;
  }

  /** The stream ended: speech going on ends with it. */
  finish(transcribers: Iterable<Transcriber>): VoiceActivityChange | undefined {
    if (!this.speaking) return undefined;
    this.speaking = false;
    for (const t of transcribers) t.speechEnd(this.lastFrameEndMs);
    return { kind: 'speech-end', atMs: this.lastFrameEndMs };
  }

  close(): void {
    this.classifier.close();
  }
}
