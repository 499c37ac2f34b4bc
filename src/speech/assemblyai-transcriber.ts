/**
 * AssemblyAI streaming speech to text (Universal-Streaming, v3) through its official SDK
 * (`assemblyai`, `streaming.transcriber`, pointed elsewhere by `websocketBaseUrl`): one WebSocket per
 * transcribing call, `pcm_s16le` at the call's own rate (AssemblyAI takes 8, 16 and 24 kHz: nothing is
 * resampled), every frame of the call from the first one sent, so its stream milliseconds map to call
 * time by one offset. AssemblyAI finds turns itself; at our detector's speech end we send
 * `ForceEndpoint` when a turn is open, so the final result does not wait for its own end-of-turn. Menu choices become
 * `keyterms`. AssemblyAI takes 50 to 1000 ms of audio per message: frames go out five at a time.
 *
 * Failures are this call's: a refused key is `unauthorized`, a socket that drops is `disconnected`,
 * no Begin or no answer to ForceEndpoint in time is `timeout`; the engine then reports nothing more.
 * The SDK is asked for one connection attempt: its retries would hold the call's audio meanwhile.
 */
import { EventEmitter } from 'node:events';
import { AssemblyAI, type StreamingTranscriber, type TurnEvent } from 'assemblyai';
import { errorDetail } from '../error-detail.js';
import { SpeechEngineError } from './speech-events.js';
import type { TranscribeOptions, Transcriber, TranscriberEvents, TranscriberFactory } from './transcriber.js';

export interface AssemblyAIOptions {
  /** The API key (`ASSEMBLYAI_API_KEY`). */
  apiKey?: string | undefined;
  /** The streaming endpoint (default AssemblyAI's `wss://streaming.assemblyai.com/v3/ws`). */
  streamingUrl?: string | undefined;
  /** Opening the stream (up to AssemblyAI's Begin) past this is a timeout, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** No final result this long after ForceEndpoint is a stalled stream, ms (default 5 000). */
  answerTimeoutMs?: number;
}

/** The SDK's own streaming endpoint, named in a line that says it could not be reached. */
const ASSEMBLYAI_STREAMING_URL = 'wss://streaming.assemblyai.com/v3/ws';

export const ASSEMBLYAI_DEFAULTS = { connectTimeoutMs: 10_000, answerTimeoutMs: 5_000 } as const;
/** Frames per message: 100 ms, inside AssemblyAI's 50–1000 ms per message. */
const FRAMES_PER_MESSAGE = 5;
const MIN_FRAMES_PER_MESSAGE = 3;
/** Speech this long (our detector) with no Turn at all from AssemblyAI means the stream has stalled. */
const UNANSWERED_SPEECH_MS = 1000;
/** Audio held while the stream opens: the connect timeout's worth of 20 ms frames. */
const MAX_QUEUED_FRAMES = ASSEMBLYAI_DEFAULTS.connectTimeoutMs / 20;
/** AssemblyAI's close code for a key it does not accept (its documented streaming error codes). */
const NOT_AUTHORIZED = 4001;

class AssemblyAITranscriber extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'assemblyai';
  private stream: StreamingTranscriber | undefined;
  private open = false;
  private readonly readyPromise: Promise<void>;
  /** Frames not sent yet: while the stream opens, and the rest of a message being gathered. */
  private pending: Buffer[] = [];
  /** Call time of the first audio sent: AssemblyAI's millisecond 0. */
  private originMs: number | undefined;
  private failed = false;
  private closing = false;
  private answerTimer: NodeJS.Timeout | undefined;
  private readonly answerTimeoutMs: number;
  private readonly interim: boolean;
  /** A turn has begun (a Turn without end_of_turn) and not ended yet. */
  private turnOpen = false;
  /** Our detector's speech start, and whether AssemblyAI has said anything since. */
  private speechStartedAt: number | undefined;
  private turnSinceSpeech = false;

  constructor(callRate: number, options: TranscribeOptions, settings: AssemblyAIOptions) {
    super();
    this.answerTimeoutMs = settings.answerTimeoutMs ?? ASSEMBLYAI_DEFAULTS.answerTimeoutMs;
    this.interim = options.interim !== false;
    this.readyPromise = this.connect(callRate, options, settings).catch((error: unknown) => {
      const failure = openError(error, settings.streamingUrl ?? ASSEMBLYAI_STREAMING_URL);
      this.fail(failure);
      throw failure;
    });
    // A rejection nobody awaits is still this engine's error event; do not let it go unhandled.
    this.readyPromise.catch(() => undefined);
  }

  private async connect(callRate: number, options: TranscribeOptions, settings: AssemblyAIOptions): Promise<void> {
    if (!settings.apiKey)
      throw new SpeechEngineError('stt', this.engine, 'unauthorized', 'no AssemblyAI API key: set ASSEMBLYAI_API_KEY (or --assemblyai-key)');
    const connectTimeoutMs = settings.connectTimeoutMs ?? ASSEMBLYAI_DEFAULTS.connectTimeoutMs;
    const stream = new AssemblyAI({ apiKey: settings.apiKey }).streaming.transcriber({
      sampleRate: callRate,
      encoding: 'pcm_s16le',
      formatTurns: true,
      // One attempt: a call cannot wait through retries, and would lose the audio in between.
      maxConnectionRetries: 0,
      connectTimeout: connectTimeoutMs,
      ...(options.choices?.length ? { keytermsPrompt: options.choices } : {}),
      ...(settings.streamingUrl ? { websocketBaseUrl: settings.streamingUrl } : {}),
    });
    this.stream = stream;
    stream.on('turn', (turn) => this.onTurn(turn));
    stream.on('error', (error) => this.fail(dropped(error.message)));
    stream.on('close', (code, reason) => {
      if (this.closing) return;
      const text = `AssemblyAI closed the stream (${code}${reason ? ` ${reason}` : ''})`;
      this.fail(code === NOT_AUTHORIZED ? new SpeechEngineError('stt', this.engine, 'unauthorized', text) : dropped(text));
    });
    await stream.connect();
    this.open = true;
    if (this.failed || this.closing) return;
    this.flush(false);
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  // AssemblyAI hears the whole stream and finds turns itself; the start only tells a stall (speechEnd).
  speechStart(atMs: number): void {
    this.speechStartedAt = atMs;
    this.turnSinceSpeech = false;
  }

  audio(frame: Buffer, atMs: number): void {
    if (this.failed || this.closing) return;
    this.originMs ??= atMs;
    if (this.pending.length >= MAX_QUEUED_FRAMES) return;
    this.pending.push(frame);
    if (this.open) this.flush(false);
  }

  speechEnd(atMs: number): void {
    if (this.failed || this.closing || !this.open) return;
    this.flush(true);
    // AssemblyAI may have ended the turn itself already: then nothing is open and nothing will answer.
    if (this.turnOpen) this.stream!.forceEndpoint();
    // A turn is open, or a second of speech went by without a word from AssemblyAI: a final is due.
    const unanswered = !this.turnSinceSpeech && atMs - (this.speechStartedAt ?? atMs) >= UNANSWERED_SPEECH_MS;
    if (!this.turnOpen && !unanswered) return;
    this.answerTimer ??= setTimeout(
      () =>
        this.fail(
          new SpeechEngineError('stt', this.engine, 'timeout', `AssemblyAI gave no final result within ${this.answerTimeoutMs / 1000} s of speech end`),
        ),
      this.answerTimeoutMs,
    );
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.answerTimer);
    const stream = this.stream;
    if (!stream) return;
    if (this.failed || !this.open) {
      await stream.close(false).catch(() => undefined);
      return;
    }
    this.flush(true);
    // Terminate makes AssemblyAI send what is pending, then Termination: the SDK waits a bounded time.
    await stream.close(true, this.answerTimeoutMs).catch(() => undefined);
  }

  /**
   * Sends the gathered frames, five to a message; `force` (speech end, close) sends a shorter rest too
   * when it holds AssemblyAI's 50 ms minimum. A rest below it (at most 40 ms, after the detector's
   * 500 ms of silence) waits for the next frames, or is dropped at close: padding it would shift every
   * later time.
   */
  private flush(force: boolean): void {
    while (this.pending.length >= FRAMES_PER_MESSAGE || (force && this.pending.length >= MIN_FRAMES_PER_MESSAGE)) {
      const chunk = Buffer.concat(this.pending.splice(0, FRAMES_PER_MESSAGE));
      // The SDK types audio as an ArrayBuffer: the chunk's own bytes (Buffer.concat may pool them).
      this.stream!.sendAudio(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength));
    }
  }

  private onTurn(turn: TurnEvent): void {
    if (this.failed) return;
    // With format_turns a turn's end comes twice: unformatted, then formatted. The formatted one is final.
    const final = turn.end_of_turn && turn.turn_is_formatted;
    this.turnOpen = !turn.end_of_turn;
    this.turnSinceSpeech = true;
    if (turn.end_of_turn && !final) return;
    if (!final && !this.interim) return;
    if (final) {
      clearTimeout(this.answerTimer);
      this.answerTimer = undefined;
    }
    if (turn.transcript.trim() === '') return;
    const origin = this.originMs ?? 0;
    const words = turn.words.map((w) => ({ word: w.text, startMs: origin + w.start, endMs: origin + w.end, confidence: w.confidence }));
    this.emit('result', {
      kind: final ? 'final' : 'interim',
      text: turn.transcript,
      startMs: words[0]?.startMs ?? origin,
      endMs: words.at(-1)?.endMs ?? origin,
      words,
      ...(final ? { confidence: turn.end_of_turn_confidence } : {}),
      engine: this.engine,
    });
  }

  private fail(failure: SpeechEngineError): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    clearTimeout(this.answerTimer);
    this.pending = [];
    void this.stream?.close(false).catch(() => undefined);
    this.emit('error', failure);
  }
}

function dropped(text: string): SpeechEngineError {
  return new SpeechEngineError('stt', 'assemblyai', 'disconnected', text);
}

/** The stream could not begin: a 401/403 handshake or AssemblyAI's not-authorized close is the key, a time-out is a timeout, the rest the network. */
function openError(error: unknown, url: string): SpeechEngineError {
  if (error instanceof SpeechEngineError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (/timed out/i.test(text)) return new SpeechEngineError('stt', 'assemblyai', 'timeout', `AssemblyAI did not begin in time (${text})`, { cause: error });
  if (/\b(401|403|4001)\b|not authori[sz]ed/i.test(text))
    return new SpeechEngineError('stt', 'assemblyai', 'unauthorized', `AssemblyAI refused the API key (${text})`, { cause: error });
  return new SpeechEngineError('stt', 'assemblyai', 'disconnected', `cannot reach AssemblyAI: ${errorDetail(error, url)}`, { cause: error });
}

export function assemblyaiTranscriber(settings: AssemblyAIOptions): TranscriberFactory {
  return { engine: 'assemblyai', create: (callRate, options) => new AssemblyAITranscriber(callRate, options, settings) };
}
