/**
 * OpenAI realtime transcription through the official SDK (`openai`, `OpenAIRealtimeWS` with the
 * transcription intent, pointed elsewhere by `baseURL`): one WebSocket per transcribing call, a
 * transcription session (`gpt-4o-transcribe`) with OpenAI's own turn detection off, so it transcribes
 * the utterances our detector finds, as PocketSphinx does: the audio from the onset (with its
 * preroll) is appended as it comes, and committed at speech end; OpenAI's deltas are interim results,
 * its `completed` transcript the final one. Only speech is sent (OpenAI bills audio), resampled to the
 * 24 kHz PCM its sessions take. No word times come back: a result spans its utterance.
 *
 * Failures are this call's: a refused key is `unauthorized`, a socket that drops is `disconnected`,
 * no session in time or no transcript in time after a commit is `timeout`, an error event `failed`.
 */
import { EventEmitter } from 'node:events';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { errorDetail } from '../error-detail.js';
import { within } from '../within.js';
import { PauseHold } from './pause-hold.js';
import { RateBatcher } from './rate-batcher.js';
import { SpeechEngineError } from './speech-events.js';
import type { TranscribeOptions, Transcriber, TranscriberEvents, TranscriberFactory } from './transcriber.js';

export interface OpenAITranscriptionOptions {
  apiKey?: string | undefined;
  /** The API base (`https://api.openai.com/v1` by default); its Realtime socket is `wss://` on the same host. */
  baseUrl?: string | undefined;
  /** Transcription model (default `gpt-4o-transcribe`). */
  model?: string;
  /** Opening the session past this is a timeout, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** No transcript this long after a commit is a stalled session, ms (default 5 000). */
  answerTimeoutMs?: number;
}

export const OPENAI_TRANSCRIPTION_DEFAULTS = { model: 'gpt-4o-transcribe', connectTimeoutMs: 10_000, answerTimeoutMs: 5_000 } as const;
/** The PCM rate of OpenAI's realtime sessions (`audio/pcm`). */
const SESSION_RATE = 24000;
/** 100 ms of session-rate audio per append. */
const APPEND_BYTES = (SESSION_RATE / 10) * 2;

interface Utterance {
  startMs: number;
  endMs: number;
  /** OpenAI's conversation item, once it has committed the audio. */
  itemId?: string;
  text: string;
}

class OpenAITranscriber extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'openai';
  private socket: OpenAIRealtimeWS | undefined;
  private readonly readyPromise: Promise<void>;
  /** Speech resampled to the session's rate, 100 ms per append. */
  private readonly batcher: RateBatcher;
  /** OpenAI bills audio: of the silence that ends an utterance only its first 100 ms are sent. */
  private readonly pause = new PauseHold(100);
  private readonly interim: boolean;
  private readonly answerTimeoutMs: number;
  /** The utterance being spoken, and those committed whose transcript has not come yet. */
  private current: Utterance | undefined;
  private readonly waiting: Utterance[] = [];
  private open = false;
  private failed = false;
  private closing = false;
  private answerTimer: NodeJS.Timeout | undefined;
  /** Called when no transcript is due any more (close() waits for it). */
  private drained: (() => void) | undefined;

  constructor(
    private readonly callRate: number,
    options: TranscribeOptions,
    settings: OpenAITranscriptionOptions,
  ) {
    super();
    this.batcher = new RateBatcher(callRate, SESSION_RATE, APPEND_BYTES);
    this.interim = options.interim !== false;
    this.answerTimeoutMs = settings.answerTimeoutMs ?? OPENAI_TRANSCRIPTION_DEFAULTS.answerTimeoutMs;
    this.readyPromise = this.connect(options, settings).catch((error: unknown) => {
      const failure = error instanceof SpeechEngineError ? error : failed(error, settings.baseUrl);
      this.fail(failure);
      throw failure;
    });
    // A rejection nobody awaits is still this engine's error event; do not let it go unhandled.
    this.readyPromise.catch(() => undefined);
  }

  private async connect(options: TranscribeOptions, settings: OpenAITranscriptionOptions): Promise<void> {
    if (!settings.apiKey) throw new SpeechEngineError('stt', this.engine, 'unauthorized', 'no OpenAI API key: set OPENAI_API_KEY (or --openai-key)');
    const client = new OpenAI({ apiKey: settings.apiKey, ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}) });
    const socket = new OpenAIRealtimeWS({ intent: 'transcription' }, client);
    this.socket = socket;
    const connectTimeoutMs = settings.connectTimeoutMs ?? OPENAI_TRANSCRIPTION_DEFAULTS.connectTimeoutMs;
    const session = new Promise<void>((resolve, reject) => {
      socket.on('error', (error) => {
        const failure = failed(error.error ?? error.cause ?? error, settings.baseUrl);
        if (this.open) this.fail(failure);
        else reject(failure);
      });
      socket.socket.on('close', (code: number) => {
        if (!this.open) reject(new SpeechEngineError('stt', this.engine, 'disconnected', `OpenAI closed the socket before the session began (${code})`));
        else if (!this.closing) this.fail(new SpeechEngineError('stt', this.engine, 'disconnected', `OpenAI closed the socket (${code})`));
      });
      socket.on('session.updated', () => resolve());
    });
    session.catch(() => undefined);
    socket.on('input_audio_buffer.committed', (event) => this.committed(event.item_id));
    socket.on('conversation.item.input_audio_transcription.delta', (event) => this.delta(event.item_id, event.delta ?? ''));
    socket.on('conversation.item.input_audio_transcription.completed', (event) => this.completed(event.item_id, event.transcript));
    socket.on('conversation.item.input_audio_transcription.failed', (event) =>
      this.fail(new SpeechEngineError('stt', this.engine, 'failed', `OpenAI could not transcribe an utterance: ${event.error.message ?? 'no reason given'}`)),
    );
    await within(
      new Promise<void>((resolve, reject) => {
        socket.socket.once('open', () => resolve());
        session.catch(reject);
      }),
      connectTimeoutMs,
      () => new SpeechEngineError('stt', this.engine, 'timeout', `OpenAI did not open within ${connectTimeoutMs / 1000} s`),
    );
    socket.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: SESSION_RATE },
            transcription: {
              model: settings.model ?? OPENAI_TRANSCRIPTION_DEFAULTS.model,
              ...(options.language ? { language: options.language.split('-')[0]! } : {}),
              // Menu choices as a prompt: the model has no grammar, but a prompt steers its spelling.
              ...(options.choices?.length ? { prompt: `The caller says one of: ${options.choices.join(', ')}.` } : {}),
            },
            // Our detector delimits utterances; OpenAI's own would commit on its own schedule.
            turn_detection: null,
          },
        },
      },
    });
    await within(session, connectTimeoutMs, () => new SpeechEngineError('stt', this.engine, 'timeout', 'OpenAI did not confirm the transcription session'));
    this.open = true;
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  speechStart(atMs: number, preroll: Buffer): void {
    if (this.failed || this.closing) return;
    if (this.current) this.speechEnd();
    this.current = { startMs: atMs - (preroll.length / 2 / this.callRate) * 1000, endMs: atMs, text: '' };
    this.pause.end();
    if (preroll.length > 0) this.append(preroll);
  }

  audio(frame: Buffer, atMs: number, voiced = true): void {
    if (!this.current || this.failed || this.closing) return;
    const frameMs = (frame.length / 2 / this.callRate) * 1000;
    this.pause.push(frame, frameMs, voiced, this.append);
    this.current.endMs = atMs + frameMs;
  }

  speechEnd(): void {
    const utterance = this.current;
    if (!utterance || this.failed) return;
    this.current = undefined;
    this.pause.end();
    this.sendAppend(this.batcher.flush());
    if (!this.open) return;
    this.waiting.push(utterance);
    this.socket!.send({ type: 'input_audio_buffer.commit' });
    this.answerTimer ??= this.answerDue();
  }

  private answerDue(): NodeJS.Timeout {
    return setTimeout(
      () => this.fail(new SpeechEngineError('stt', this.engine, 'timeout', `OpenAI gave no transcript within ${this.answerTimeoutMs / 1000} s of a commit`)),
      this.answerTimeoutMs,
    );
  }

  async close(): Promise<void> {
    if (this.closing) return;
    if (this.current) this.speechEnd();
    // The transcripts of committed speech are still due: wait for them, a bounded time.
    if (this.open && !this.failed && this.waiting.length > 0) {
      await within(new Promise<void>((resolve) => (this.drained = resolve)), this.answerTimeoutMs, () => new Error('no transcript')).catch(() => undefined);
    }
    this.closing = true;
    clearTimeout(this.answerTimer);
    this.socket?.close();
  }

  private readonly append = (pcm: Buffer): void => {
    this.sendAppend(this.batcher.push(pcm));
  };

  private sendAppend(audio: Buffer | undefined): void {
    // Before the session is confirmed the audio is dropped: a caller who speaks in the first
    // fraction of a second loses those words, as with any engine that is still connecting.
    if (!audio || !this.open || this.failed) return;
    this.socket!.send({ type: 'input_audio_buffer.append', audio: audio.toString('base64') });
  }

  private committed(itemId: string): void {
    const utterance = this.waiting.find((u) => u.itemId === undefined);
    if (utterance) utterance.itemId = itemId;
  }

  private delta(itemId: string, delta: string): void {
    const utterance = this.waiting.find((u) => u.itemId === itemId);
    if (!utterance || this.failed) return;
    utterance.text += delta;
    if (this.interim && utterance.text.trim() !== '')
      this.emit('result', { kind: 'interim', text: utterance.text.trim(), startMs: utterance.startMs, endMs: utterance.endMs, words: [], engine: this.engine });
  }

  private completed(itemId: string, transcript: string): void {
    const at = this.waiting.findIndex((u) => u.itemId === itemId);
    if (at < 0 || this.failed) return;
    const [utterance] = this.waiting.splice(at, 1);
    clearTimeout(this.answerTimer);
    // The next committed utterance gets its own full time.
    this.answerTimer = this.waiting.length > 0 ? this.answerDue() : undefined;
    if (this.waiting.length === 0) this.drained?.();
    if (transcript.trim() === '') return;
    this.emit('result', { kind: 'final', text: transcript.trim(), startMs: utterance!.startMs, endMs: utterance!.endMs, words: [], engine: this.engine });
  }

  private fail(failure: SpeechEngineError): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    clearTimeout(this.answerTimer);
    this.batcher.clear();
    this.socket?.close();
    this.emit('error', failure);
    this.drained?.();
  }
}

/** An SDK error as a SpeechEngineError: a refused key (HTTP 401/403 on the upgrade, or OpenAI's `invalid_api_key`) is `unauthorized`. */
function failed(error: unknown, baseUrl: string | undefined): SpeechEngineError {
  const detail = error as { message?: unknown; code?: unknown } | undefined;
  const text = typeof detail?.message === 'string' ? detail.message : String(error);
  if (/\b(401|403)\b/.test(text) || detail?.code === 'invalid_api_key')
    return new SpeechEngineError('stt', 'openai', 'unauthorized', `OpenAI refused the API key (${text})`, { cause: error });
  if (/ECONNREFUSED|ENOTFOUND|socket hang up|closed/i.test(text))
    return new SpeechEngineError('stt', 'openai', 'disconnected', `cannot reach OpenAI: ${errorDetail(error, baseUrl ?? 'https://api.openai.com/v1')}`, {
      cause: error,
    });
  return new SpeechEngineError('stt', 'openai', 'failed', `OpenAI failed: ${text}`, { cause: error });
}

export function openaiTranscriber(settings: OpenAITranscriptionOptions): TranscriberFactory {
  return { engine: 'openai', create: (callRate, options) => new OpenAITranscriber(callRate, options, settings) };
}
