/**
 * Deepgram live transcription through its official SDK: one WebSocket per transcribing call, linear16
 * at the call's own rate (no resampling: Deepgram takes 8, 16 and 24 kHz), every frame of the call
 * from the first one sent, so Deepgram's stream seconds map to call time by one offset. Deepgram
 * finds utterances itself; at our detector's speech end we send `Finalize` so the final result does
 * not wait for its endpointing. Menu choices become `keyterm` prompts (nova-3).
 *
 * Failures are this call's: a refused key is `unauthorized`, a socket that drops is `disconnected`,
 * no answer to `Finalize` within the answer timeout is `timeout`; the engine then reports nothing more.
 */
import { EventEmitter } from 'node:events';
import type { Deepgram, DeepgramClient } from '@deepgram/sdk';
import { DEEPGRAM_DEFAULTS, deepgramClient, openError, within, type DeepgramOptions } from './deepgram-client.js';
import { SpeechEngineError } from './speech-events.js';
import type { TranscribeOptions, Transcriber, TranscriberEvents, TranscriberFactory } from './transcriber.js';

type ListenSocket = Awaited<ReturnType<DeepgramClient['listen']['v1']['connect']>>;
type ListenMessage =
  Deepgram.listen.ListenV1Results | Deepgram.listen.ListenV1Metadata | Deepgram.listen.ListenV1UtteranceEnd | Deepgram.listen.ListenV1SpeechStarted;

/** Audio held while the socket opens: the connect timeout's worth of 20 ms frames. */
const MAX_QUEUED_FRAMES = DEEPGRAM_DEFAULTS.connectTimeoutMs / 20;

class DeepgramTranscriber extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'deepgram';
  private socket: ListenSocket | undefined;
  private readonly readyPromise: Promise<void>;
  private readonly queue: Buffer[] = [];
  /** Call time of the first audio sent: Deepgram's second 0. */
  private originMs: number | undefined;
  private failed = false;
  private closing = false;
  private answerTimer: NodeJS.Timeout | undefined;
  private readonly answerTimeoutMs: number;

  constructor(callRate: number, options: TranscribeOptions, settings: DeepgramOptions) {
    super();
    this.answerTimeoutMs = settings.answerTimeoutMs ?? DEEPGRAM_DEFAULTS.answerTimeoutMs;
    this.readyPromise = this.open(callRate, options, settings).catch((error: unknown) => {
      const failure = openError('stt', error, settings.baseUrl);
      this.fail(failure);
      throw failure;
    });
    // A rejection nobody awaits is still this engine's error event; do not let it go unhandled.
    this.readyPromise.catch(() => undefined);
  }

  private async open(callRate: number, options: TranscribeOptions, settings: DeepgramOptions): Promise<void> {
    const client = deepgramClient('stt', settings);
    const connectTimeoutMs = settings.connectTimeoutMs ?? DEEPGRAM_DEFAULTS.connectTimeoutMs;
    const socket = await client.listen.v1.connect({
      model: settings.model ?? DEEPGRAM_DEFAULTS.model,
      encoding: 'linear16',
      sample_rate: String(callRate),
      channels: '1',
      interim_results: options.interim === false ? 'false' : 'true',
      punctuate: 'true',
      ...(options.language ? { language: options.language } : {}),
      ...(options.choices?.length ? { keyterm: options.choices } : {}),
      reconnectAttempts: 0,
      connectionTimeoutInSeconds: connectTimeoutMs / 1000,
    });
    this.socket = socket;
    socket.on('message', (message: ListenMessage) => this.onMessage(message));
    let opened = false;
    socket.on('open', () => (opened = true));
    socket.on('close', (event) => {
      // Before it opened, a close is the handshake failing: the open's rejection says why.
      if (this.closing || !opened) return;
      this.fail(
        new SpeechEngineError('stt', this.engine, 'disconnected', `Deepgram closed the stream (${event.code}${event.reason ? ` ${event.reason}` : ''})`),
      );
    });
    socket.connect();
    await within(
      socket.waitForOpen(),
      connectTimeoutMs,
      () => new SpeechEngineError('stt', this.engine, 'timeout', `Deepgram did not open within ${connectTimeoutMs / 1000} s`),
    );
    if (this.failed) return;
    for (const frame of this.queue.splice(0)) socket.sendMedia(frame);
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  // Deepgram hears the whole stream and finds utterances itself: the detector's start is not needed.
  speechStart(): void {}

  audio(frame: Buffer, atMs: number): void {
    if (this.failed || this.closing) return;
    this.originMs ??= atMs;
    if (this.socket?.readyState === 1) this.socket.sendMedia(frame);
    else if (this.queue.length < MAX_QUEUED_FRAMES) this.queue.push(Buffer.from(frame));
  }

  speechEnd(): void {
    if (this.failed || this.closing || this.socket?.readyState !== 1) return;
    this.socket.sendFinalize({ type: 'Finalize' });
    this.answerTimer ??= setTimeout(
      () =>
        this.fail(new SpeechEngineError('stt', this.engine, 'timeout', `Deepgram gave no final result within ${this.answerTimeoutMs / 1000} s of Finalize`)),
      this.answerTimeoutMs,
    );
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.answerTimer);
    const socket = this.socket;
    if (!socket || this.failed || socket.readyState !== 1) {
      socket?.close();
      return;
    }
    // CloseStream makes Deepgram send what is pending, then close: wait for that, a bounded time.
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.sendCloseStream({ type: 'CloseStream' });
    await within(closed, this.answerTimeoutMs, () => new SpeechEngineError('stt', this.engine, 'timeout', 'Deepgram did not close')).catch(() => undefined);
    socket.close();
  }

  private onMessage(message: ListenMessage): void {
    if (this.failed || message.type !== 'Results') return;
    if (message.is_final) {
      clearTimeout(this.answerTimer);
      this.answerTimer = undefined;
    }
    const best = message.channel.alternatives[0];
    if (!best || best.transcript.trim() === '') return;
    const origin = this.originMs ?? 0;
    const at = (seconds: number) => Math.round(origin + seconds * 1000);
    this.emit('result', {
      kind: message.is_final ? 'final' : 'interim',
      text: best.transcript,
      startMs: at(message.start),
      endMs: at(message.start + message.duration),
      confidence: best.confidence,
      words: best.words.map((w) => ({ word: w.punctuated_word ?? w.word, startMs: at(w.start), endMs: at(w.end), confidence: w.confidence })),
      engine: this.engine,
    });
  }

  private fail(error: SpeechEngineError): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    clearTimeout(this.answerTimer);
    this.queue.length = 0;
    this.socket?.close();
    this.emit('error', error);
  }
}

export function deepgramTranscriber(settings: DeepgramOptions): TranscriberFactory {
  return { engine: 'deepgram', create: (callRate, options) => new DeepgramTranscriber(callRate, options, settings) };
}
