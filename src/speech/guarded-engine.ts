/**
 * A user's speech engine, held at arm's length (docs/speech.md "Your own engine"). Whatever it does —
 * throw from any method, emit an error that is not ours, emit a malformed result, yield something that
 * is not audio — becomes one `SpeechEngineError` for its own call, never an exception in the call's
 * audio path: the call goes on without the engine, as it does when a vendor drops. The fastify habit:
 * user code is caught whatever it returns, sync or async.
 */
import { EventEmitter } from 'node:events';
import { within } from '../within.js';
import { SpeechEngineError, type SpeechErrorKind, type TranscriptEvent } from './speech-events.js';
import type { SynthesizeOptions, Synthesizer } from './synthesizer.js';
import type { TranscribeOptions, Transcriber, TranscriberEvents, TranscriberFactory } from './transcriber.js';

const KINDS: readonly SpeechErrorKind[] = ['missing', 'failed', 'unauthorized', 'disconnected', 'timeout', 'busy'];

/** Any error an engine gives, as ours: its `kind` kept when it names one, else `failed`. */
export function asSpeechEngineError(job: 'stt' | 'tts', engine: string, error: unknown): SpeechEngineError {
  if (error instanceof SpeechEngineError) return error;
  const kind = (error as { kind?: unknown } | null)?.kind;
  const message = error instanceof Error ? error.message : String(error);
  return new SpeechEngineError(job, engine, KINDS.includes(kind as SpeechErrorKind) ? (kind as SpeechErrorKind) : 'failed', message, { cause: error });
}

/**
 * How long a user's engine has to close: it may report its last finals meanwhile (the call's end waits
 * for them), and past it the call ends without them.
 */
export const ENGINE_CLOSE_TIMEOUT_MS = 10_000;

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A result as the interface documents it, or why not. */
function checkedResult(engine: string, raw: unknown): Omit<TranscriptEvent, 'sentiment'> | string {
  const result = raw as Partial<TranscriptEvent> | null;
  if (!result || (result.kind !== 'interim' && result.kind !== 'final')) return 'a result whose kind is not "interim" or "final"';
  if (typeof result.text !== 'string') return 'a result without text';
  if (!finite(result.startMs) || !finite(result.endMs)) return 'a result without startMs and endMs in call time';
  const words = Array.isArray(result.words)
    ? result.words.filter((word) => word && typeof word.word === 'string' && finite(word.startMs) && finite(word.endMs))
    : [];
  return {
    kind: result.kind,
    text: result.text,
    startMs: result.startMs,
    endMs: result.endMs,
    words,
    engine,
    ...(finite(result.confidence) ? { confidence: result.confidence } : {}),
  };
}

class GuardedTranscriber extends EventEmitter<TranscriberEvents> implements Transcriber {
  /** Nothing more is passed to the engine (it failed, or is closing). */
  private failed = false;
  /** Nothing more is heard from the engine. */
  private done = false;
  private readonly readyPromise: Promise<void>;

  constructor(
    readonly engine: string,
    private readonly inner: Transcriber | undefined,
    createError?: unknown,
    private readonly closeTimeoutMs = ENGINE_CLOSE_TIMEOUT_MS,
  ) {
    super();
    if (!inner) {
      // create() threw: the engine is failed from the start; the error is heard once listeners are on.
      const error = asSpeechEngineError('stt', engine, createError);
      this.failed = true;
      queueMicrotask(() => this.emit('error', error));
      this.readyPromise = Promise.reject(error);
    } else {
      inner.on('result', (result: unknown) => {
        // A result while closing is the last final the interface asks for: it still counts.
        if (this.done) return;
        const checked = checkedResult(engine, result);
        if (typeof checked === 'string') this.fail(new Error(`the engine emitted ${checked}`));
        else this.emit('result', checked);
      });
      inner.on('error', (error: unknown) => this.fail(error));
      this.readyPromise = (async () => {
        try {
          await inner.ready();
        } catch (error) {
          this.fail(error);
          throw asSpeechEngineError('stt', engine, error);
        }
      })();
    }
    this.readyPromise.catch(() => undefined);
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  speechStart(atMs: number, preroll: Buffer): void {
    if (!this.failed) this.run(() => this.inner!.speechStart(atMs, preroll));
  }

  audio(frame: Buffer, atMs: number, voiced?: boolean): void {
    if (!this.failed) this.run(() => this.inner!.audio(frame, atMs, voiced));
  }

  speechEnd(atMs: number): void {
    if (!this.failed) this.run(() => this.inner!.speechEnd(atMs));
  }

  async close(): Promise<void> {
    const inner = this.inner;
    const closing = !this.failed;
    this.failed = true;
    try {
      // Whatever close() returns, sync or async, and however long it would take.
      await within(
        Promise.resolve().then(() => inner?.close()),
        this.closeTimeoutMs,
        () =>
          new SpeechEngineError(
            'stt',
            this.engine,
            'timeout',
            `close() did not settle within ${this.closeTimeoutMs / 1000} s; the call ended without its last results`,
          ),
      );
    } catch (error) {
      // Closing a failed engine may fail again; the call is done with it either way.
      if (closing && !this.done) this.emit('error', asSpeechEngineError('stt', this.engine, error));
    }
    this.done = true;
  }

  /** Runs a method of the engine (per frame: no promise is made unless the engine returned one). */
  private run(method: () => unknown): void {
    try {
      const returned = method();
      if (returned != null && typeof (returned as Promise<unknown>).then === 'function')
        (returned as Promise<unknown>).then(undefined, (error: unknown) => this.fail(error));
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.done = true;
    this.emit('error', asSpeechEngineError('stt', this.engine, error));
    void this.close();
  }
}

export function guardTranscriberFactory(factory: TranscriberFactory, closeTimeoutMs = ENGINE_CLOSE_TIMEOUT_MS): TranscriberFactory {
  const engine = String(factory.engine);
  return {
    engine,
    create(callRate: number, options: TranscribeOptions): Transcriber {
      let inner: Transcriber;
      try {
        inner = factory.create(callRate, options);
        if (!inner || typeof inner.on !== 'function' || typeof inner.audio !== 'function') throw new Error('create() did not return a transcriber');
      } catch (error) {
        return new GuardedTranscriber(engine, undefined, error, closeTimeoutMs);
      }
      return new GuardedTranscriber(engine, inner, undefined, closeTimeoutMs);
    },
  };
}

export function guardSynthesizer(synthesizer: Synthesizer): Synthesizer {
  const engine = String(synthesizer.engine);
  return {
    engine,
    async *synthesize(text: string, options: SynthesizeOptions): AsyncGenerator<Buffer> {
      try {
        // Any length: the pacer frames the byte stream, so a chunk that ends mid-sample is joined to the next.
        for await (const chunk of synthesizer.synthesize(text, options) as AsyncIterable<unknown>) {
          if (Buffer.isBuffer(chunk)) yield chunk;
          else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          else throw new Error('the engine yielded something that is not audio (a Buffer of s16le PCM)');
        }
      } catch (error) {
        throw asSpeechEngineError('tts', engine, error);
      }
    },
  };
}
