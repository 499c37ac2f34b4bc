/**
 * The offline transcriber: CMU PocketSphinx from Debian (python3-pocketsphinx with the
 * pocketsphinx-en-us model) in a child process per call, driven by lib/pocketsphinx-stream.py.
 * Utterances are the ones our detector found: audio from the onset (with its preroll) to the end of
 * speech is resampled to the model's 16 kHz and streamed as it arrives; partial hypotheses of a
 * streamed pass come back as interim results. Free-form final results are decoded whole, by a decoder
 * that never streams and searches as PocketSphinx does by default; menu mode's are streamed (`finals`; why, and what it measured: the driver and
 * docs/speech.md). A crash, a stall or a missing package is a SpeechEngineError for this call only.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { PauseHold } from './pause-hold.js';
import { RateBatcher } from './rate-batcher.js';
import { SpeechEngineError } from './speech-events.js';
import type { TranscribeOptions, Transcriber, TranscriberEvents, TranscriberFactory } from './transcriber.js';

const MODEL_RATE = 16000;
const DRIVER = fileURLToPath(new URL('../../lib/pocketsphinx-stream.py', import.meta.url));
/** Debian's interpreter: python3-pocketsphinx is installed for it, not for any other python3 on PATH. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface PocketSphinxOptions {
  /** The Python that has python3-pocketsphinx (default Debian's /usr/bin/python3). */
  python?: string;
  /** The model folder (default Debian's pocketsphinx-en-us: /usr/share/pocketsphinx/model/en-us). */
  model?: string;
  /**
   * Engines running at once in this process; past it a call gets a `busy` speech-error at once and
   * goes on untranscribed. Default 4 per core: an engine works only while the caller speaks, and
   * free-form decoding measured 36 % of a core per call whose caller talked ~70 % of the time
   * (docs/benchmarks.md): about 50 % while speaking, so 4 per core holds at the ~40 % a caller
   * usually talks.
   * Without a limit an overload makes every call's engine fall behind and time out together.
   */
  maxEngines?: number;
  /**
   * Longest utterance decoded as one (default 30 s): a caller who never pauses gets a final result at
   * least this often. Without it the hypothesis, the interim text and the decoder's memory grow with
   * the utterance (120 s of speech: +34 MB, a 1965-character interim and no final until a pause).
   * The cost is a word cut at the seam, rare in a phone turn of this length.
   */
  maxUtteranceMs?: number;
  /**
   * How final results are decoded in free-form mode (menu mode keeps streamed finals: decoded whole,
   * noise came out as the nearest choice). `whole` (default): every utterance decoded whole at its
   * end, by a decoder that never streams, so it is normalised by its own cepstral mean (one decode
   * more per utterance when interim results stream; the final comes that decode later, ~0.1–0.2 × the
   * utterance). `adaptive`: whole until 2 s of the call's speech have been streamed, the streamed
   * pass's own result after that. `streamed`: never (the least CPU; the streamed pass's mean starts
   * at the model's generic guess). Measured in docs/speech.md, "Accuracy and cost".
   */
  finals?: 'adaptive' | 'whole' | 'streamed';
  /**
   * PocketSphinx settings by their command-line names, `{ '-beam': 1e-60, '-fwdflat': true }`: over
   * the driver's narrow search for the streamed pass (lib/pocketsphinx-stream.py, SEARCH), over
   * PocketSphinx's own defaults for whole decodes.
   */
  decoder?: Record<string, string | number | boolean>;
  /**
   * How long the driver may owe a final result without saying anything before it is judged stalled
   * (default 10 s): after an end of speech, and while closing. Decoding is faster than real time, but a
   * recording transcribed after the fact (transcribeRecording) hands it all its audio at once, and a
   * machine loaded many times over can take longer than this over the backlog.
   */
  finalTimeoutMs?: number;
}
/** The Debian packages that make this engine work, named in the error a missing one gives. */
export const POCKETSPHINX_PACKAGES = 'python3-pocketsphinx pocketsphinx-en-us';
/** Loading the model takes ~0.1–0.3 s; past this the engine is stalled. */
const READY_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_UTTERANCE_MS = 30_000;
/** After speech end, the final result is expected within this (decoding is faster than real time). */
const FINAL_TIMEOUT_MS = 10_000;

const KIND = { start: 0x53, audio: 0x41, end: 0x45 } as const;
/** 100 ms of model-rate audio per driver message. */
const MESSAGE_BYTES = (MODEL_RATE / 10) * 2;
/**
 * Silence decoded after a word before the detector's end of speech; the rest of a pause waits
 * (PauseHold). Measured on the recorded human speech through our detector (docs/benchmarks.md): the
 * same words at 100 ms, 200 ms and the whole 500 ms, at 16 and 8 kHz.
 */
const PAUSE_TAIL_MS = 100;

/** A driver message's 5-byte header; the payload is written after it as is (no copy per frame). */
function header(kind: number, length: number): Buffer {
  const bytes = Buffer.alloc(5);
  bytes[0] = kind;
  bytes.writeUInt32LE(length, 1);
  return bytes;
}

interface DriverLine {
  type: 'ready' | 'partial' | 'final' | 'error' | 'closed';
  utterance?: string;
  text?: string;
  words?: Array<{ word: string; start: number; end: number }>;
  code?: string;
  message?: string;
}

class PocketSphinxTranscriber extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'pocketsphinx';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly readyPromise: Promise<void>;
  /**
   * Audio goes to the driver resampled and 100 ms at a time, not per 20 ms frame: a fifth of the
   * messages for the driver's Python loop to read (measured: about a tenth of its CPU), interim
   * results no later than their 200 ms cadence allows.
   */
  private readonly batcher: RateBatcher;
  /** The silence that ends an utterance past PAUSE_TAIL_MS is not decoded. */
  private readonly pause = new PauseHold(PAUSE_TAIL_MS);
  private utterance = 0;
  /** Call time of each utterance's first sample sent to the engine, by id. */
  private readonly utteranceStart = new Map<string, number>();
  private inUtterance = false;
  private failed = false;
  private closed = false;
  private finalTimer: NodeJS.Timeout | undefined;
  private stderr = '';
  private markReady: () => void = () => undefined;
  /** Settles when the process has exited and its stdout has been read to the end. */
  private readonly gone: Promise<void>;
  /** Call time at the end of the latest audio sent: where an interim result has got to. */
  private heardToMs = 0;
  private readonly maxUtteranceMs: number;
  private readonly finalTimeoutMs: number;
  /** While closing: kills a driver that has said nothing for finalTimeoutMs. */
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly callRate: number,
    options: TranscribeOptions,
    engine: PocketSphinxOptions,
    /** Called once when the engine's process is gone: its slot is free. */
    private readonly released: () => void = () => undefined,
  ) {
    super();
    this.maxUtteranceMs = engine.maxUtteranceMs ?? DEFAULT_MAX_UTTERANCE_MS;
    this.finalTimeoutMs = engine.finalTimeoutMs ?? FINAL_TIMEOUT_MS;
    this.batcher = new RateBatcher(callRate, MODEL_RATE, MESSAGE_BYTES);
    const python = engine.python ?? PYTHON;
    const args = [DRIVER, ...(engine.model ? ['--model', engine.model] : [])];
    if (options.choices?.length) args.push('--choices', options.choices.map((c) => c.toLowerCase()).join('|'));
    // Without interim results there is no streamed pass at all: one decode per utterance.
    if (options.interim === false) args.push('--partial-ms', '0');
    if (engine.finals) args.push('--finals', engine.finals);
    if (engine.decoder) args.push('--config', JSON.stringify(engine.decoder));
    this.child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined); // EPIPE when the engine died: reported by 'exit'
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 2000) this.stderr += chunk.toString();
    });
    this.readyPromise = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.fail('timeout', `pocketsphinx did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      this.markReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    // A rejection nobody awaits is still this engine's error event; do not let it go unhandled.
    this.readyPromise.catch(() => undefined);
    this.child.on('error', (error: NodeJS.ErrnoException) =>
      this.fail(error.code === 'ENOENT' ? 'missing' : 'failed', `cannot run ${python}: ${error.message} (apt-get install ${POCKETSPHINX_PACKAGES})`),
    );
    // 'close', not 'exit': it comes after stdout has ended, so the driver's last lines (a coded error
    // naming the missing package) are read first. On 'exit' that line could still be unread, and a
    // missing model was reported as a crash on a busy machine.
    let markGone: () => void = () => undefined;
    this.gone = new Promise((resolve) => (markGone = resolve));
    this.child.on('close', (code, signal) => {
      markGone();
      this.released();
      if (this.closed && code === 0) return;
      const detail = this.stderr.trim().split('\n').pop() ?? '';
      this.fail('failed', `pocketsphinx exited (${signal ?? `code ${code}`})${detail ? `: ${detail}` : ''}`);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.onLine(line));
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  speechStart(atMs: number, preroll: Buffer): void {
    if (this.failed || this.closed) return;
    if (this.inUtterance) this.speechEnd();
    const id = String(++this.utterance);
    const prerollMs = (preroll.length / 2 / this.callRate) * 1000;
    this.utteranceStart.set(id, atMs - prerollMs);
    this.inUtterance = true;
    this.pause.end();
    this.send(KIND.start, Buffer.from(id, 'ascii'));
    if (preroll.length > 0) this.sendAudio(preroll);
    this.heardToMs = atMs;
  }

  audio(frame: Buffer, atMs: number, voiced = true): void {
    if (!this.inUtterance || this.failed || this.closed) return;
    const frameMs = (frame.length / 2 / this.callRate) * 1000;
    this.pause.push(frame, frameMs, voiced, this.sendAudio);
    this.heardToMs = atMs + frameMs;
    // Speech that never pauses is cut into utterances of at most maxUtteranceMs, each with its final.
    if (this.heardToMs - this.utteranceStart.get(String(this.utterance))! >= this.maxUtteranceMs) this.speechStart(this.heardToMs, Buffer.alloc(0));
  }

  speechEnd(): void {
    if (!this.inUtterance || this.failed) return;
    this.inUtterance = false;
    this.pause.end();
    const rest = this.batcher.flush();
    if (rest) this.send(KIND.audio, rest);
    this.send(KIND.end, Buffer.alloc(0));
    this.finalTimer ??= setTimeout(() => this.fail('timeout', 'pocketsphinx gave no final result in time'), this.finalTimeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.inUtterance) this.speechEnd();
    this.closed = true;
    clearTimeout(this.finalTimer);
    this.child.stdin.end();
    // The bound is on silence, not on the whole close: a driver still decoding a backlog (a recording
    // handed over at once, a loaded machine) says something at each final. Before, it was killed 10 s
    // after close() whatever it was doing, and the finals it still owed were lost without a word.
    this.armCloseTimer();
    // 'close', not 'exit': the final results the driver wrote as it ended are read before this
    // resolves (waiting for 'exit' lost them on a loaded machine: an empty transcript).
    await this.gone;
    clearTimeout(this.closeTimer);
  }

  private armCloseTimer(): void {
    clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => {
      this.child.kill('SIGKILL');
      const error = new SpeechEngineError(
        'stt',
        this.engine,
        'timeout',
        `pocketsphinx said nothing for ${this.finalTimeoutMs / 1000} s while closing; its last results are lost`,
      );
      if (this.listenerCount('error') > 0) this.emit('error', error);
    }, this.finalTimeoutMs);
  }

  private readonly sendAudio = (pcm: Buffer): void => {
    const message = this.batcher.push(pcm);
    if (message) this.send(KIND.audio, message);
  };

  private send(kind: number, payload: Buffer): void {
    if (this.child.stdin.destroyed) return;
    this.child.stdin.write(header(kind, payload.length));
    if (payload.length > 0) this.child.stdin.write(payload);
  }

  private onLine(line: string): void {
    if (this.closed) this.armCloseTimer();
    let parsed: DriverLine;
    try {
      parsed = JSON.parse(line) as DriverLine;
    } catch {
      return;
    }
    switch (parsed.type) {
      case 'ready':
        this.markReady();
        return;
      case 'error':
        this.fail(
          parsed.code === 'missing' ? 'missing' : 'failed',
          `${parsed.message ?? 'pocketsphinx failed'}${parsed.code === 'missing' ? ` (apt-get install ${POCKETSPHINX_PACKAGES})` : ''}`,
        );
        return;
      case 'partial':
      case 'final': {
        const origin = this.utteranceStart.get(parsed.utterance ?? '');
        if (origin === undefined) return;
        const words = (parsed.words ?? []).map((w) => ({ word: w.word, startMs: origin + w.start * 1000, endMs: origin + w.end * 1000 }));
        const final = parsed.type === 'final';
        if (final) {
          this.utteranceStart.delete(parsed.utterance ?? '');
          clearTimeout(this.finalTimer);
          this.finalTimer = undefined;
          if (!parsed.text) return; // noise, not words
        }
        this.emit('result', {
          kind: final ? 'final' : 'interim',
          text: parsed.text ?? '',
          startMs: Math.round(words[0]?.startMs ?? origin),
          endMs: Math.round(words.at(-1)?.endMs ?? this.heardToMs),
          words,
          engine: this.engine,
        });
        return;
      }
      default:
        return;
    }
  }

  private fail(kind: SpeechEngineError['kind'], text: string): SpeechEngineError {
    const error = new SpeechEngineError('stt', this.engine, kind, text);
    if (this.failed || this.closed) return error;
    this.failed = true;
    clearTimeout(this.finalTimer);
    this.child.kill('SIGKILL');
    this.emit('error', error);
    return error;
  }
}

/** A call past the engine limit: its transcription fails at once, named as such; nothing is spawned. */
class BusyTranscriber extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'pocketsphinx';
  private readonly error: SpeechEngineError;

  constructor(limit: number) {
    super();
    this.error = new SpeechEngineError('stt', this.engine, 'busy', `${limit} PocketSphinx engines are already running in this process (maxEngines)`);
    // After the caller has attached its listeners.
    setImmediate(() => this.emit('error', this.error));
  }

  ready(): Promise<void> {
    return Promise.reject(this.error);
  }

  speechStart(): void {}
  audio(): void {}
  speechEnd(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function pocketsphinxTranscriber(engine: PocketSphinxOptions = {}): TranscriberFactory {
  const limit = engine.maxEngines ?? availableParallelism() * 4;
  let running = 0;
  return {
    engine: 'pocketsphinx',
    create: (callRate, options) => {
      if (running >= limit) return new BusyTranscriber(limit);
      running++;
      let released = false;
      return new PocketSphinxTranscriber(callRate, options, engine, () => {
        if (!released) running--;
        released = true;
      });
    },
  };
}
