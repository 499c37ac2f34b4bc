/**
 * Speech on one call: the caller's voice activity, live transcription and spoken replies, wired to
 * the session's audio and events. The session owns one of these, made on first use; nothing here runs
 * until an app asks (a call that only echoes pays nothing).
 *
 * Call time is caller audio time: frame n of the call starts at n × 20 ms. Engine faults become a
 * `speech-error` event and a coded log line; the call goes on. An engine's results are bounded here,
 * for every engine and every app: their size, and how many a second.
 */
import { errorCode, type ErrorName } from '../errors.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import { UtteranceDetector, type ListenOptions } from '../speech/utterance-detector.js';
import { sentimentOf } from '../speech/sentiment.js';
import { SpeechEngineError, type SpeechErrorEvent, type TranscriptEvent } from '../speech/speech-events.js';
import type { SpeechEngines } from '../speech/engines.js';
import type { TranscribeOptions, Transcriber, TranscriberFactory } from '../speech/transcriber.js';
import { SampledLog, type Logger } from './logger.js';
import type { PlayResult, PlaySource, SayResult } from './call-types.js';
import type { Synthesizer } from '../speech/synthesizer.js';
import type { CallActivity } from './call-activity.js';

/** Final results kept per call for the dashboard and /api/calls. */
const MAX_TRANSCRIPT = 50;
/**
 * A result's text, at most: two minutes of fast speech. An engine that reports more (1 MB finals made
 * 30 MB chat requests and 52 MB /api/calls) has its result cut here, for every app and every engine.
 */
export const MAX_RESULT_CHARS = 2000;
/** Words of a result kept with their timings, at most (the text's cap in words, and then some). */
const MAX_RESULT_WORDS = 500;
/**
 * Results taken per second, on average, and in a burst: people do not say fifty things a second. An
 * engine that reports faster (10 000 finals a second were seen) has the excess dropped.
 */
const RESULTS_PER_SECOND = 50;
const RESULTS_BURST = 100;

export type { ListenOptions };

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
  /** The session's paced playback, for spoken replies. */
  play(source: PlaySource): Promise<PlayResult>;
  playedMs(): number;
  /** Tells the call's record of a spoken reply (`CallSession.report`). */
  report(activity: CallActivity): void;
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
  if (error.kind === 'busy') return 'SPEECH_ENGINE_BUSY';
  return 'SPEECH_ENGINE_FAILED';
}

export class CallSpeech {
  /** The caller is speaking (by the voice activity detector). */
  get speaking(): boolean {
    return this.detector?.speaking ?? false;
  }
  /** Recent final results, oldest first, plus the current interim one. */
  readonly transcript: TranscriptEvent[] = [];
  interim: TranscriptEvent | undefined;
  private listening: Promise<void> | undefined;
  private detector: UtteranceDetector | undefined;
  private readonly transcribers = new Set<Transcriber>();
  /** Results that may still be taken now (a token bucket), and when it was last filled. */
  private resultTokens = RESULTS_BURST;
  private resultsFilledAt = performance.now();
  private readonly bounded: SampledLog;
  private wired = false;
  private pendingFrames: Array<{ frame: Buffer; atMs: number }> | undefined = [];
  private says = 0;
  private readonly verdictListeners = new Set<(voiced: boolean, atMs: number) => void>();

  constructor(
    private readonly host: SpeechHost,
    private readonly engines: SpeechEngines,
  ) {
    this.bounded = new SampledLog(host.log);
  }

  /** Starts voice activity detection: `speech-start` / `speech-end` events. Idempotent. */
  listen(options: ListenOptions = {}): Promise<void> {
    this.listening ??= this.startDetector(options);
    return this.listening;
  }

  /**
   * Every frame's verdict once the detector runs (voiced: speech above the line's noise floor), in
   * call time, before the speech-start or speech-end it makes: what the turn-taking policies count
   * (docs/turn-taking.md). Returns the unsubscribe.
   */
  onVerdict(listener: (voiced: boolean, atMs: number) => void): () => void {
    this.verdictListeners.add(listener);
    return () => this.verdictListeners.delete(listener);
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
    transcriber.on('result', (raw) => {
      const result = this.withinBounds(raw, transcriber.engine);
      if (!result) return;
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

  /**
   * A result as the call takes it: dropped when results come faster than any speech
   * (`VS_ERR_SPEECH_RESULT_FLOOD`), its text and words cut when larger than any utterance
   * (`VS_ERR_SPEECH_RESULT_TOO_LARGE`); each line sampled.
   */
  private withinBounds(result: Omit<TranscriptEvent, 'sentiment'>, engine: string): Omit<TranscriptEvent, 'sentiment'> | undefined {
    const now = performance.now();
    this.resultTokens = Math.min(RESULTS_BURST, this.resultTokens + ((now - this.resultsFilledAt) / 1000) * RESULTS_PER_SECOND);
    this.resultsFilledAt = now;
    if (this.resultTokens < 1) {
      this.bounded.warn(
        errorCode('SPEECH_RESULT_FLOOD'),
        { engine, perSecond: RESULTS_PER_SECOND },
        'speech engine reported results faster than speech; dropped',
      );
      return undefined;
    }
    this.resultTokens--;
    const text = typeof result.text === 'string' ? result.text : String(result.text);
    const words = Array.isArray(result.words) ? result.words : [];
    if (text.length <= MAX_RESULT_CHARS && words.length <= MAX_RESULT_WORDS) return result;
    this.bounded.warn(
      errorCode('SPEECH_RESULT_TOO_LARGE'),
      { engine, chars: text.length, words: words.length, maxChars: MAX_RESULT_CHARS },
      'speech engine reported a result larger than any utterance; cut',
    );
    // At a word's end where there is one near the limit.
    const head = text.slice(0, MAX_RESULT_CHARS);
    const space = head.lastIndexOf(' ');
    return { ...result, text: space > MAX_RESULT_CHARS / 2 ? head.slice(0, space) : head, words: words.slice(0, MAX_RESULT_WORDS) };
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
    this.detector?.close();
    await Promise.all(closing);
  }

  private async startDetector(options: ListenOptions): Promise<void> {
    if (!(await this.host.rateKnown())) return;
    this.wire();
    try {
      this.detector = await UtteranceDetector.create(this.host.sampleRate(), { ...this.engines.listen, ...options });
    } catch (error) {
      this.pendingFrames = undefined;
      this.reportError(
        error instanceof SpeechEngineError
          ? error
          : new SpeechEngineError('vad', options.vad ?? this.engines.listen?.vad ?? 'webrtc', 'failed', (error as Error).message, { cause: error }),
      );
      return;
    }
    if (this.host.ended()) return this.detector.close();
    this.detector.onVerdict = (voiced, atMs) => {
      for (const listener of this.verdictListeners) listener(voiced, atMs);
    };
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
        this.detectorFailed(this.detector, error);
      }
    });
  }

  private onFrame(frame: Buffer, atMs: number): void {
    const detector = this.detector;
    const change = detector?.push(frame, atMs, this.transcribers);
    if (!(change instanceof Promise)) {
      if (change) this.host.emitSpeech(change.kind, change.atMs);
      return;
    }
    // An asynchronous detector (Silero): the change comes in frame order; a failure stops detection once.
    change.then(
      (settled) => {
        if (settled && this.detector === detector && !this.host.ended()) this.host.emitSpeech(settled.kind, settled.atMs);
      },
      (error: unknown) => this.detectorFailed(detector, error),
    );
  }

  private detectorFailed(detector: UtteranceDetector | undefined, error: unknown): void {
    if (!detector || this.detector !== detector) return;
    this.detector = undefined;
    detector.close();
    this.reportError(
      error instanceof SpeechEngineError ? error : new SpeechEngineError('vad', detector.vad, 'failed', (error as Error).message, { cause: error }),
    );
  }

  /** The text-to-speech engine by name (the server's default when unset); throws RangeError for one this server lacks. */
  synthesizer(name?: string): Synthesizer {
    return this.engines.synthesizer(name);
  }

  /**
   * Speaks `text` through the pacer as it is synthesized; resolves like `play` when the caller has
   * heard it, or when it was cleared (barge-in) or the call ended, with how much was heard. An engine
   * that is missing or fails is a speech-error; the call goes on.
   */
  async say(text: string, options: SayOptions = {}): Promise<SayResult> {
    const before = this.host.playedMs();
    let error: SpeechErrorEvent | undefined;
    let synthesizer: Synthesizer;
    try {
      synthesizer = this.engines.synthesizer(options.engine);
    } catch (cause) {
      const failure = new SpeechEngineError('tts', options.engine ?? 'default', 'missing', (cause as Error).message);
      this.reportError(failure);
      return { completed: false, confirmed: false, playedMs: before, heardMs: 0, text, error: failure.toEvent() };
    }
    const sampleRate = this.host.sampleRate();
    const report = (failure: SpeechEngineError) => this.reportError(failure);
    const host = this.host;
    const replyId = `say-${++this.says}`;
    host.report({ kind: 'reply-started', replyId, by: 'say' });
    host.report({ kind: 'reply-text', replyId, text });
    let madeBytes = 0;
    const stream = async function* (): AsyncGenerator<Buffer> {
      try {
        for await (const pcm of synthesizer.synthesize(text, {
          sampleRate,
          ...(options.voice ? { voice: options.voice } : {}),
          ...(options.wordsPerMinute ? { wordsPerMinute: options.wordsPerMinute } : {}),
        })) {
          if (madeBytes === 0 && pcm.length > 0) host.report({ kind: 'reply-audio', replyId });
          madeBytes += pcm.length;
          yield pcm;
        }
      } catch (cause) {
        const failure =
          cause instanceof SpeechEngineError ? cause : new SpeechEngineError('tts', synthesizer.engine, 'failed', (cause as Error).message, { cause });
        error = failure.toEvent();
        report(failure);
      }
    };
    const result = await this.host.play(stream());
    const heardMs = Math.max(0, result.playedMs - before);
    const cut = result.completed || error ? undefined : this.host.ended() ? 'hangup' : 'barge-in';
    const sentMs = Math.round((madeBytes / 2 / sampleRate) * 1000);
    host.report({ kind: 'reply-done', replyId, sentMs, heardMs: Math.min(heardMs, sentMs), ...(cut ? { cut } : {}) });
    return error ? { ...result, completed: false, confirmed: false, heardMs, text, error } : { ...result, heardMs, text };
  }
}
