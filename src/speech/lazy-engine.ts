/**
 * Engines whose module (and vendor SDK) loads on first use: a server that never speaks or listens
 * through a vendor loads none of its SDK (start-up time and memory: docs/benchmarks.md), and the SDK
 * need not be installed at all (an optional peer dependency: src/vendor-sdk.ts). An engine chosen for
 * a call whose SDK is missing is that call's `missing` speech-error, naming the package to install.
 */
import { EventEmitter } from 'node:events';
import { missingSdk, sdkMissingText } from '../vendor-sdk.js';
import { SpeechEngineError, type SpeechErrorEvent } from './speech-events.js';

/** Why an engine's module could not be loaded, as the engine's own error. */
function loadError(job: SpeechErrorEvent['job'], engine: string, error: unknown): SpeechEngineError {
  const sdk = missingSdk(error);
  const why = sdk ? sdkMissingText(sdk, `the ${engine} engine`) : `cannot load the ${engine} engine: ${(error as Error)?.message ?? String(error)}`;
  return new SpeechEngineError(job, engine, 'missing', why, { cause: error });
}
import type { Synthesizer } from './synthesizer.js';
import type { TranscribeOptions, Transcriber, TranscriberEvents, TranscriberFactory } from './transcriber.js';

export function lazySynthesizer(engine: string, load: () => Promise<Synthesizer>): Synthesizer {
  let loaded: Promise<Synthesizer> | undefined;
  return {
    engine,
    async *synthesize(text, options) {
      loaded ??= load().catch((error: unknown) => {
        throw loadError('tts', engine, error);
      });
      yield* (await loaded).synthesize(text, options);
    },
  };
}

/** Calls held while the module loads (a few ms; bounded so a load that hangs holds no more). */
const MAX_HELD_CALLS = 500;

/** A transcriber that stands in for the real one until its module has loaded, then passes everything on. */
class LazyTranscriber extends EventEmitter<TranscriberEvents> implements Transcriber {
  private inner: Transcriber | undefined;
  private held: Array<(inner: Transcriber) => void> = [];
  private readonly readyPromise: Promise<void>;

  constructor(
    readonly engine: string,
    loading: Promise<TranscriberFactory>,
    callRate: number,
    options: TranscribeOptions,
  ) {
    super();
    this.readyPromise = loading.then(
      (factory) => {
        const inner = factory.create(callRate, options);
        inner.on('result', (result) => this.emit('result', result));
        inner.on('error', (error) => this.emit('error', error));
        this.inner = inner;
        for (const call of this.held.splice(0)) call(inner);
        return inner.ready();
      },
      (error: unknown) => {
        const failure = loadError('stt', engine, error);
        this.emit('error', failure);
        throw failure;
      },
    );
    this.readyPromise.catch(() => undefined);
  }

  private pass(call: (inner: Transcriber) => void): void {
    if (this.inner) call(this.inner);
    else if (this.held.length < MAX_HELD_CALLS) this.held.push(call);
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  speechStart(atMs: number, preroll: Buffer): void {
    this.pass((inner) => inner.speechStart(atMs, preroll));
  }

  audio(frame: Buffer, atMs: number, voiced?: boolean): void {
    this.pass((inner) => inner.audio(frame, atMs, voiced));
  }

  speechEnd(atMs: number): void {
    this.pass((inner) => inner.speechEnd(atMs));
  }

  async close(): Promise<void> {
    await this.readyPromise.catch(() => undefined);
    this.held = [];
    await this.inner?.close();
  }
}

export function lazyTranscriber(engine: string, load: () => Promise<TranscriberFactory>): TranscriberFactory {
  let loaded: Promise<TranscriberFactory> | undefined;
  return {
    engine,
    create: (callRate, options) => new LazyTranscriber(engine, (loaded ??= load()), callRate, options),
  };
}
