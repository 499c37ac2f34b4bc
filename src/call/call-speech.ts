/**
 * Speech on one call: the caller's voice activity, live transcription and spoken replies, wired to
 * the session's audio and events. The session owns one of these, made on first use; nothing here runs
 * until an app asks (a call that only echoes pays nothing).
 *
 * Call time is caller audio time: frame n of the call starts at n × 20 ms. Engine faults become a
 * `speech-error` event and a coded log line; the call goes on.
 */
import { errorCode, type ErrorName } from '../errors.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';
import { VoiceActivity, levelDb, type VoiceActivityOptions } from '../speech/voice-activity.js';
import { createWebRtcVad, type FrameClassifier } from '../speech/webrtc-vad.js';
import { sentimentOf } from '../speech/sentiment.js';
import { SpeechEngineError, type SpeechErrorEvent, type TranscriptEvent } from '../speech/speech-events.js';
import type { SpeechEngines } from '../speech/engines.js';
import type { TranscribeOptions, Transcriber, TranscriberFactory } from '../speech/transcriber.js';
import type { Logger } from './logger.js';

/** Caller audio kept before an onset, so the engine hears the start of the first word. */
const PREROLL_MS = 300;
/** Final results kept per call for the dashboard and /api/calls. */
const MAX_TRANSCRIPT = 50;

export interface ListenOptions extends VoiceActivityOptions {
  /** WebRTC VAD aggressiveness 0–3 (default 2). */
  aggressiveness?: 0 | 1 | 2 | 3;
}

export interface TranscribeCallOptions extends TranscribeOptions {
  /** An engine other than the server's default (`pocketsphinx`, `deepgram`). */
  engine?: string;
}

export interface SayOptions {
  /** An engine other than the server's default (`espeak-ng`, `deepgram`). */
  engine?: string;
  voice?: string;
  wordsPerMinute?: number;
}

/** What CallSpeech needs of its session; the session implements it. */
export interface SpeechHost {
  readonly log: Logger;
  sampleRate(): number;
  /** Resolves true once websocket:connected has told the rate (at once if it has), false if the call ended first. */
  rateKnown(): Promise<boolean>;
  /** Frames received so far (the current frame included when called from an audio listener). */
  framesIn(): number;
  ended(): boolean;
  emitSpeech(event: 'speech-start' | 'speech-end', atMs: number): void;
  emitTranscript(event: TranscriptEvent): void;
  emitSpeechError(event: SpeechErrorEvent): void;
  onAudio(listener: (frame: Buffer) => void): void;
}

export interface Transcription {
  readonly engine: string;
  /** Resolves when the engine takes audio; rejects (after the speech-error event) when it cannot. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

function errorName(error: SpeechEngineError): ErrorName {
  if (error.kind === 'missing') return 'SPEECH_ENGINE_MISSING';
  if (error.kind === 'unauthorized') return 'SPEECH_ENGINE_UNAUTHORIZED';
  return 'SPEECH_ENGINE_FAILED';
}

export class CallSpeech {
  /** The caller is speaking (by the voice activity detector). */
  speaking = false;
  /** Recent final results, oldest first, plus the current interim one. */
  readonly transcript: TranscriptEvent[] = [];
  interim: TranscriptEvent | undefined;
  private detector: Promise<void> | undefined;
  private classifier: FrameClassifier | undefined;
  private activity: VoiceActivity | undefined;
  private detectorResampler: Resampler | undefined;
  private detectorPending = Buffer.alloc(0);
  private preroll: Buffer[] = [];
  private readonly transcribers = new Set<Transcriber>();
  private wired = false;
  private pendingFrames: Array<{ frame: Buffer; atMs: number }> | undefined = [];

  constructor(
    private readonly host: SpeechHost,
    private readonly engines: SpeechEngines,
  ) {}

  /** Starts voice activity detection: `speech-start` / `speech-end` events. Idempotent. */
  listen(options: ListenOptions = {}): Promise<void> {
    this.detector ??= this.startDetector(options);
    return this.detector;
  }

  transcribe(options: TranscribeCallOptions = {}): Transcription {
    let factory;
    try {
      factory = this.engines.transcriber(options.engine);
    } catch (cause) {
      // An engine this server does not have: the call goes on without transcription.
      const error = new SpeechEngineError('stt', options.engine ?? 'default', 'missing', (cause as Error).message);
      this.reportError(error);
      const ready = Promise.reject(error);
      ready.catch(() => undefined);
      return { engine: error.engine, ready, stop: () => Promise.resolve() };
    }
    // An app may ask before websocket:connected has told the call's rate: the engine starts then.
    const started = this.host.rateKnown().then((known) => (known ? this.startTranscriber(factory, options) : undefined));
    const ready = started.then((transcriber) =>
      transcriber ? transcriber.ready() : Promise.reject(new SpeechEngineError('stt', factory.engine, 'failed', 'the call ended before it connected')),
    );
    ready.catch(() => undefined); // reported through the error event
    void this.listen();
    return {
      engine: factory.engine,
      ready,
      stop: async () => {
        const transcriber = await started;
        if (!transcriber) return;
        this.transcribers.delete(transcriber);
        await transcriber.close();
      },
    };
  }

  private startTranscriber(factory: TranscriberFactory, options: TranscribeOptions): Transcriber {
    const transcriber = factory.create(this.host.sampleRate(), options);
    this.transcribers.add(transcriber);
    transcriber.on('result', (result) => {
      const event: TranscriptEvent = result.kind === 'final' ? { ...result, sentiment: sentimentOf(result.text) } : result;
      if (event.kind === 'final') {
        this.interim = undefined;
        this.transcript.push(event);
        if (this.transcript.length > MAX_TRANSCRIPT) this.transcript.shift();
      } else this.interim = event;
      this.host.emitTranscript(event);
    });
    transcriber.on('error', (error) => {
      this.transcribers.delete(transcriber);
      this.reportError(error);
    });
    return transcriber;
  }

  /** Reports an engine failure: one coded log line and a `speech-error` event. */
  reportError(error: SpeechEngineError): void {
    this.host.log.warn(
      { code: errorCode(errorName(error)), engine: error.engine, job: error.job, kind: error.kind, detail: error.message },
      'speech engine failed; the call goes on',
    );
    this.host.emitSpeechError(error.toEvent());
  }

  async close(): Promise<void> {
    const closing = [...this.transcribers].map((t) => t.close().catch(() => undefined));
    this.transcribers.clear();
    this.classifier?.close();
    await Promise.all(closing);
  }

  private async startDetector(options: ListenOptions): Promise<void> {
    if (!(await this.host.rateKnown())) return;
    this.activity = new VoiceActivity(options);
    this.wire();
    const rate = this.host.sampleRate() === 8000 ? 8000 : 16000;
    if (this.host.sampleRate() !== rate) this.detectorResampler = new Resampler(this.host.sampleRate(), rate);
    try {
      this.classifier = await createWebRtcVad(rate, options.aggressiveness ?? 2);
    } catch (error) {
      this.reportError(new SpeechEngineError('vad', 'webrtc-vad', 'failed', (error as Error).message, { cause: error }));
      return;
    }
    if (this.host.ended()) return this.classifier.close();
    // Frames that arrived while the detector loaded are judged now, in order.
    const held = this.pendingFrames ?? [];
    this.pendingFrames = undefined;
    for (const { frame, atMs } of held) this.onFrame(frame, atMs);
  }

  private wire(): void {
    if (this.wired) return;
    this.wired = true;
    this.host.onAudio((frame) => {
      const atMs = (this.host.framesIn() - 1) * FRAME_MS;
      if (this.pendingFrames) {
        this.pendingFrames.push({ frame, atMs });
        return;
      }
      try {
        this.onFrame(frame, atMs);
      } catch (error) {
        // A fault of the speech layer is not the app's: detection stops, the call goes on.
        this.activity = undefined;
        this.reportError(new SpeechEngineError('vad', 'webrtc-vad', 'failed', (error as Error).message, { cause: error }));
      }
    });
  }

  private onFrame(frame: Buffer, atMs: number): void {
    const activity = this.activity;
    const classifier = this.classifier;
    if (!activity || !classifier) return;
    let detectorFrame: Buffer = frame;
    if (this.detectorResampler) {
      this.detectorPending = Buffer.concat([this.detectorPending, floatToPcm16(this.detectorResampler.process(pcm16ToFloat(frame)))]);
      const bytes = 640;
      detectorFrame = this.detectorPending.subarray(0, bytes);
      this.detectorPending = this.detectorPending.subarray(Math.min(bytes, this.detectorPending.length));
    }
    const change = activity.push(classifier.isSpeech(detectorFrame), levelDb(frame), atMs);
    if (change?.kind === 'speech-start') {
      this.speaking = true;
      const preroll = Buffer.concat(this.preroll);
      for (const t of this.transcribers) t.speechStart(atMs, preroll);
      this.host.emitSpeech('speech-start', change.atMs);
    }
    // Every frame: an engine that finds utterances itself (Deepgram) hears the whole stream; one that
    // decodes our utterances (PocketSphinx) takes only the frames between start and end.
    for (const t of this.transcribers) t.audio(frame, atMs);
    if (change?.kind === 'speech-end') {
      this.speaking = false;
      for (const t of this.transcribers) t.speechEnd(change.atMs);
      this.host.emitSpeech('speech-end', change.atMs);
    }
    this.preroll.push(frame);
    if (this.preroll.length > PREROLL_MS / FRAME_MS) this.preroll.shift();
  }
}
