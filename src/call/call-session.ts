/**
 * One WebSocket leg of a call: the state machine between "socket open" and "socket closed", the
 * call's identity, its counters, and typed events for the app. It knows nothing of `ws` or HTTP: the
 * server hands it text and binary messages through `receiveText`/`receiveBinary` and gives it a
 * `CallTransport` to write to, so the same session runs over any socket implementation.
 */
import { EventEmitter } from 'node:events';
import { errorCode } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { FrameSplitter } from '../audio/frame-splitter.js';
import { FrameClock } from '../audio/frame-clock.js';
import { Pacer, type AudioBudget } from '../audio/pacer.js';
import { wavToCallPcmSlices } from '../audio/wav.js';
import { DEFAULT_SAMPLE_RATE, FRAME_MS, contentTypeFor, frameBytes, type SampleRate } from '../protocol/audio-format.js';
import { clearCommand, notifyCommand, parseVonageMessage, type VonageMessage } from '../protocol/socket-messages.js';
import { lenientText } from '../protocol/lenient.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import { SampledLog, type Logger } from './logger.js';
import type { AgentTurnSnapshot } from './call-snapshot.js';
import { CallSpeech, type ListenOptions, type SayOptions, type TranscribeCallOptions, type Transcription } from './call-speech.js';
import { speechEngines, type SpeechEngines } from '../speech/engines.js';
import type { Synthesizer } from '../speech/synthesizer.js';
import { SpeechEngineError, type SpeechActivityEvent, type SpeechErrorEvent, type TranscriptEvent } from '../speech/speech-events.js';

/** What a session needs from a socket. `ws` and any future transport adapt to this. */
export interface CallTransport {
  /** Sends one frame; false when the transport dropped it (a reader too slow to keep up). */
  sendBinary(frame: Buffer): boolean;
  sendText(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued in the socket but not yet written to the network. */
  readonly bufferedAmount: number;
}

export interface CallIdentity {
  uuid: string | undefined;
  conversationUuid: string | undefined;
  from: string | undefined;
  to: string | undefined;
  /** Every header from websocket:connected, as sent. */
  headers: Record<string, unknown>;
}

export type CallState = 'connecting' | 'active' | 'ended';

export interface CallStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  dtmfIn: number;
  textIn: number;
  /** Text messages that could not be understood (logged, ignored). */
  textRejected: number;
  /** Binary messages that arrived before websocket:connected. */
  audioBeforeConnected: number;
  /** Inbound binary messages that were not exactly one frame. */
  offSizeFramesIn: number;
  /** Outbound frames the transport dropped because the peer did not read them. */
  framesDropped: number;
}

/** Every counter at zero: a new call's, and the start of the registry's running totals. */
export function emptyCallStats(): CallStats {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    dtmfIn: 0,
    textIn: 0,
    textRejected: 0,
    audioBeforeConnected: 0,
    offSizeFramesIn: 0,
    framesDropped: 0,
  };
}

/** One line of a call's socket timeline (for people: the dashboard). */
export interface SocketEvent {
  at: number;
  text: string;
}

/** Socket events kept per call: enough to read a call's story, bounded whatever a peer sends. */
const MAX_SOCKET_EVENTS = 40;

export interface CallEnd {
  code: number;
  reason: string;
  durationMs: number;
}

export interface DtmfEvent {
  digit: string;
  duration: number | undefined;
}

export interface CallSessionEvents {
  connected: [identity: CallIdentity];
  audio: [frame: Buffer];
  dtmf: [event: DtmfEvent];
  cleared: [];
  notify: [payload: unknown];
  /** The caller started speaking (voice activity; after `listen()` or `transcribe()`). */
  'speech-start': [event: SpeechActivityEvent];
  'speech-end': [event: SpeechActivityEvent];
  /** Interim and final results of `transcribe()`. */
  transcript: [event: TranscriptEvent];
  /** A speech engine failed (missing, refused, dropped, stalled); the call goes on. */
  'speech-error': [event: SpeechErrorEvent];
  end: [end: CallEnd];
}

export { CLOSE_CODES } from '../protocol/close-codes.js';

/** A listener of a session event; it may be async (a rejection ends the call like a throw). */
export type CallListener<K extends keyof CallSessionEvents> = (...args: CallSessionEvents[K]) => unknown;

export interface CallSessionOptions {
  id: string;
  transport: CallTransport;
  /** The call's logger, already bound to the call (its lines carry `call` once). */
  log: Logger;
  /** The audio clock; the server shares one among all its calls (one timer for all pacers). */
  clock?: FrameClock;
  /** How far ahead of Vonage's playout paced audio is sent, ms. */
  leadMs?: number;
  /** Paced audio held locally before `write` applies backpressure, ms. */
  maxQueueMs?: number;
  /** Paced audio queued before writes are dropped (an app ignoring backpressure), ms. */
  hardQueueMs?: number;
  /** The server's process-wide budget of queued audio, shared by every call. */
  audioBudget?: AudioBudget;
  /** Receives the app's handling time of one audio frame in 64, seconds (metrics). */
  onAppTiming?: (seconds: number) => void;
  /** Speech engines for listen/transcribe/say; the offline ones when absent. */
  speech?: SpeechEngines;
}

/** What `play` accepts: PCM (s16le mono at the call rate), a WAV file path (any format, converted), or a stream of PCM chunks. */
export type PlaySource = Buffer | string | { wav: Buffer } | AsyncIterable<Buffer>;

export interface PlayResult {
  /** True when the caller heard it all; false when it was cleared or the call ended first. */
  completed: boolean;
  /** True when Vonage confirmed the end of playout (websocket:notify), not only our playout model. */
  confirmed: boolean;
  /** What the caller has heard of this call's paced audio so far, ms. */
  playedMs: number;
}

export interface SayResult extends PlayResult {
  text: string;
  /** Milliseconds of this reply the caller heard (all of it when completed). */
  heardMs: number;
  /** Set when the engine failed before the whole reply was made. */
  error?: SpeechErrorEvent;
}

/** Messages of audio held before websocket:connected: one second at Vonage's 50 frames/s. */
const EARLY_AUDIO_MAX_MESSAGES = 50;

/** Key added to notify payloads so the session can tell its own markers apart; removed before the app sees them. */
const MARK_KEY = 'voicesocket_mark';
/** How long to wait for Vonage's acknowledgement of clear/notify beyond what the audio needs. */
const ACK_GRACE_MS = 2000;
const defaultClock = new FrameClock();

export class CallSession extends EventEmitter<CallSessionEvents> {
  readonly id: string;
  readonly startedAt = Date.now();
  state: CallState = 'connecting';
  sampleRate: SampleRate = DEFAULT_SAMPLE_RATE;
  /** Bytes in one 20 ms frame at the negotiated rate. */
  frameBytes = frameBytes(DEFAULT_SAMPLE_RATE);
  identity: CallIdentity = { uuid: undefined, conversationUuid: undefined, from: undefined, to: undefined, headers: {} };
  readonly stats: CallStats = emptyCallStats();
  end: CallEnd | undefined;
  /** The latest frame each way (level meters read them on demand; nothing is computed per frame). */
  lastFrameIn: Buffer | undefined;
  lastFrameOut: Buffer | undefined;
  readonly socketEvents: SocketEvent[] = [];

  private readonly transport: CallTransport;
  /** The call's logger: apps log through it, and every line names the call. */
  readonly log: Logger;
  private readonly sampled: SampledLog;
  private readonly now: () => number;
  private readonly clock: FrameClock;
  private readonly leadMs: number | undefined;
  private readonly maxQueueMs: number | undefined;
  private readonly hardQueueMs: number | undefined;
  private readonly audioBudget: AudioBudget | undefined;
  private pacer: Pacer | undefined;
  private markSeq = 0;
  private readonly pendingMarks = new Map<number, (confirmed: boolean) => void>();
  private readonly pendingClears: Array<(acknowledged: boolean) => void> = [];
  /** Listeners of every frame sent (recording, an agent's latency): a plain array on the hot path. */
  private outboundTaps: Array<(frame: Buffer) => void> = [];
  private readonly onAppTiming: ((seconds: number) => void) | undefined;
  private readonly speechEngines: SpeechEngines | undefined;
  private speechState: CallSpeech | undefined;
  private readonly openedAt: number;
  private splitter: FrameSplitter;
  private readonly sendFrame = (frame: Buffer) => {
    if (!this.transport.sendBinary(frame)) {
      this.stats.framesDropped++;
      return;
    }
    this.stats.framesOut++;
    this.stats.bytesOut += frame.length;
    this.lastFrameOut = frame;
    for (const tap of this.outboundTaps) tap(frame);
  };

  constructor(options: CallSessionOptions) {
    super({ captureRejections: true });
    this.id = options.id;
    this.transport = options.transport;
    this.log = options.log;
    this.sampled = new SampledLog(options.log);
    this.clock = options.clock ?? defaultClock;
    this.now = () => this.clock.now();
    this.leadMs = options.leadMs;
    this.maxQueueMs = options.maxQueueMs;
    this.hardQueueMs = options.hardQueueMs;
    this.audioBudget = options.audioBudget;
    this.onAppTiming = options.onAppTiming;
    this.speechEngines = options.speech;
    this.openedAt = this.now();
    this.splitter = new FrameSplitter(this.frameBytes);
  }

  get contentType(): string {
    return contentTypeFor(this.sampleRate);
  }

  get durationMs(): number {
    return this.end?.durationMs ?? this.now() - this.openedAt;
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  // ---- inbound, called by the transport ----

  receiveText(text: string): void {
    if (this.state === 'ended') return;
    this.stats.textIn++;
    const parsed = parseVonageMessage(text);
    if (!parsed.ok) {
      this.stats.textRejected++;
      this.sampled.warn(errorCode(parsed.problem), { detail: parsed.detail, sample: text.slice(0, 120) }, 'text message ignored');
      return;
    }
    this.handleMessage(parsed.message);
  }

  receiveBinary(data: Buffer): void {
    if (this.state === 'ended') return;
    if (this.state === 'connecting') {
      // Audio before websocket:connected (docs/protocol.md §2): its rate is not known yet. Hold it
      // until the connected message says the rate; only a peer that never says it gets the default.
      this.stats.audioBeforeConnected++;
      this.sampled.warn(errorCode('AUDIO_BEFORE_CONNECTED'), { rate: this.sampleRate }, 'audio before websocket:connected');
      this.early ??= [];
      if (this.early.length < EARLY_AUDIO_MAX_MESSAGES) {
        this.early.push(data);
        return;
      }
      this.activate();
      this.replayEarlyAudio();
    }
    this.stats.framesIn++;
    this.stats.bytesIn += data.length;
    this.lastFrameIn = data;
    if (data.length !== this.frameBytes) {
      this.stats.offSizeFramesIn++;
      if (data.length % 2 !== 0) {
        this.sampled.warn(errorCode('AUDIO_ODD_LENGTH'), { bytes: data.length }, 'odd-length audio message');
      }
    }
    // Timing every frame would cost more than most apps; one in 64 shows the distribution.
    if (this.onAppTiming && (this.stats.framesIn & 63) === 0) {
      const started = performance.now();
      this.emitAudio(data);
      this.onAppTiming((performance.now() - started) / 1000);
    } else {
      this.emitAudio(data);
    }
  }

  /**
   * The per-frame path: audio listeners are called from a plain array, without EventEmitter's
   * dispatch (the largest cost our echo path had over a bare `ws` echo). The emitter stays the one
   * store of listeners; the array is a copy refreshed on every change, so `once`, `prependListener`,
   * `off` of a `once` listener and `removeAllListeners` behave exactly as on any emitter.
   */
  private emitAudio(frame: Buffer): void {
    const handlers = this.audioHandlers;
    try {
      for (let i = 0; i < handlers.length; i++) {
        const returned = handlers[i]!(frame) as unknown;
        // An async listener's rejection is its call's failure, as for every other event.
        if (returned != null && typeof (returned as Promise<unknown>).then === 'function')
          (returned as Promise<unknown>).then(undefined, (error: unknown) => this.fail(error));
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private audioHandlers: Array<(frame: Buffer) => unknown> = [];

  private refreshAudio(event: string | symbol | undefined): void {
    if (event === undefined || event === 'audio') this.audioHandlers = super.rawListeners('audio') as Array<(frame: Buffer) => unknown>;
  }

  // Listeners may be async: a rejection fails the call (captureRejections below), so the types say so.
  override on<K extends keyof CallSessionEvents>(event: K, listener: CallListener<K>): this {
    super.on(event, listener as never);
    this.refreshAudio(event);
    return this;
  }

  override addListener<K extends keyof CallSessionEvents>(event: K, listener: CallListener<K>): this {
    return this.on(event, listener);
  }

  override prependListener<K extends keyof CallSessionEvents>(event: K, listener: CallListener<K>): this {
    super.prependListener(event, listener as never);
    this.refreshAudio(event);
    return this;
  }

  override once<K extends keyof CallSessionEvents>(event: K, listener: CallListener<K>): this {
    return super.once(event, listener as never);
  }

  override prependOnceListener<K extends keyof CallSessionEvents>(event: K, listener: CallListener<K>): this {
    return super.prependOnceListener(event, listener as never);
  }

  override off<K extends keyof CallSessionEvents>(event: K, listener: CallListener<K>): this {
    super.removeListener(event, listener as never);
    this.refreshAudio(event);
    return this;
  }

  override removeListener<K extends keyof CallSessionEvents>(event: K, listener: CallListener<K>): this {
    return this.off(event, listener);
  }

  override removeAllListeners(event?: keyof CallSessionEvents): this {
    // EventEmitter tells "all" from "this event" by the argument count, not by undefined.
    if (event === undefined) super.removeAllListeners();
    else super.removeAllListeners(event);
    this.refreshAudio(event);
    return this;
  }

  /**
   * A listener that returns a rejected promise (an `async` listener that throws) fails its own call,
   * like one that throws: EventEmitter's `captureRejections` routes the rejection here.
   */
  [Symbol.for('nodejs.rejection')](error: unknown, event: string | symbol): void {
    if (event === 'end') this.log.error({ code: errorCode('APP_FAILED'), err: error }, 'call app failed while ending');
    else this.fail(error);
  }

  /** Notes a socket event on the call's timeline (bounded). */
  note(text: string): void {
    if (this.socketEvents.length >= MAX_SOCKET_EVENTS) this.socketEvents.splice(0, this.socketEvents.length - MAX_SOCKET_EVENTS + 1);
    this.socketEvents.push({ at: Date.now(), text });
  }

  /** The socket is gone, whoever closed it. Idempotent. */
  transportClosed(code: number, reason: string): void {
    if (this.state === 'ended') return;
    this.note(`closed ${code}${reason ? ` (${reason})` : ''}`);
    this.state = 'ended';
    this.end = { code, reason, durationMs: this.now() - this.openedAt };
    this.pacer?.stop();
    for (const settle of this.pendingMarks.values()) settle(false);
    this.pendingMarks.clear();
    for (const settle of this.pendingClears.splice(0)) settle(false);
    void this.speechState?.close();
    this.emitSafely('end', this.end);
    this.removeAllListeners();
  }

  // ---- outbound, called by apps ----

  /**
   * Sends PCM now, re-framed into exact frames: a whole frame goes out as is, a partial one waits for
   * the next bytes. For audio that is already paced (echo); paced playback belongs to the pacer.
   */
  sendAudio(pcm: Buffer): void {
    if (this.state === 'ended') return;
    this.splitter.push(pcm, this.sendFrame);
  }

  /** Paced playback: queues PCM (s16le mono at the call rate) behind what is already queued; resolves when there is room again. */
  write(pcm: Buffer): Promise<void> {
    if (this.state === 'ended') return Promise.resolve();
    return this.ensurePacer().write(pcm);
  }

  /**
   * Plays audio through the pacer and resolves when the caller has heard all of it (Vonage's
   * websocket:notify for a marker placed after it), or when it was cleared or the call ended.
   */
  async play(source: PlaySource): Promise<PlayResult> {
    if (this.ended) return { completed: false, confirmed: false, playedMs: 0 };
    const pacer = this.ensurePacer();
    const clearsBefore = pacer.stats.clearedFrames;
    const generation = this.clearGeneration;
    if (typeof source === 'string') await this.writeWav(pacer, await readFile(source), generation);
    else if (Buffer.isBuffer(source)) await this.writeAll(pacer, source, generation);
    else if ('wav' in source) await this.writeWav(pacer, source.wav, generation);
    else {
      for await (const chunk of source) {
        if (this.ended || this.clearGeneration !== generation) break;
        await pacer.write(chunk);
      }
    }
    if (this.ended || this.clearGeneration !== generation) return { completed: false, confirmed: false, playedMs: pacer.playedMs() };
    const confirmed = await this.markInternal();
    const completed = !this.ended && this.clearGeneration === generation && pacer.stats.clearedFrames === clearsBefore;
    return { completed, confirmed: completed && confirmed, playedMs: pacer.playedMs() };
  }

  /**
   * Places a marker after everything queued so far; resolves true when Vonage reports it played
   * (websocket:notify), false when it was cleared, the call ended, or no acknowledgement came.
   */
  mark(payload: Record<string, unknown> = {}): Promise<boolean> {
    return this.markInternal(payload);
  }

  /**
   * Barge-in: drops all queued audio here and at Vonage (`clear`); resolves true on
   * websocket:cleared, false if none came within the grace period.
   */
  clear(): Promise<boolean> {
    if (this.state === 'ended') return Promise.resolve(false);
    this.clearGeneration++;
    this.note('clear sent');
    this.pacer?.clear();
    this.splitter.reset();
    this.transport.sendText(clearCommand());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const index = this.pendingClears.indexOf(settle);
        if (index >= 0) this.pendingClears.splice(index, 1);
        resolve(false);
      }, ACK_GRACE_MS);
      const settle = (acknowledged: boolean) => {
        clearTimeout(timer);
        resolve(acknowledged);
      };
      this.pendingClears.push(settle);
    });
  }

  /** Milliseconds of paced audio the caller has heard (cleared audio excluded). */
  get playedMs(): number {
    return this.pacer?.playedMs() ?? 0;
  }

  /** Where paced audio written now will start, in the same ms as `playedMs` (docs/apps.md). */
  get scheduledMs(): number {
    return this.pacer?.scheduledMs() ?? 0;
  }

  /** True while paced audio is queued or still playing at Vonage (what barge-in would stop). */
  get playing(): boolean {
    const pacer = this.pacer;
    return pacer !== undefined && (pacer.queuedMs > 0 || pacer.aheadMs() > 0);
  }

  /** Audio queued for paced playback, not yet sent, ms. */
  get queuedMs(): number {
    return this.pacer?.queuedMs ?? 0;
  }

  /** Pacer counters (frames sent, underruns, furthest ahead of playout), once something was played. */
  get pacerStats(): Pacer['stats'] | undefined {
    return this.pacer?.stats;
  }

  /** Sees every frame sent to the caller (recording, latency); returns what removes it. */
  tapOutbound(tap: (frame: Buffer) => void): () => void {
    this.outboundTaps.push(tap);
    return () => {
      this.outboundTaps = this.outboundTaps.filter((other) => other !== tap);
    };
  }

  /** Set by a voice agent on this call (src/agents/): its turns, for `/api/calls` and the dashboard. */
  agentTurns: (() => AgentTurnSnapshot[]) | undefined;

  // ---- speech ----

  /** The call's speech state (voice activity, transcript); made on first use. */
  get speech(): CallSpeech {
    this.speechState ??= new CallSpeech(
      {
        log: this.log,
        sampleRate: () => this.sampleRate,
        rateKnown: () =>
          this.state !== 'connecting'
            ? Promise.resolve(this.state !== 'ended')
            : new Promise<boolean>((resolve) => {
                this.once('connected', () => resolve(true));
                this.once('end', () => resolve(false));
              }),
        framesIn: () => this.stats.framesIn,
        ended: () => this.state === 'ended',
        emitSpeech: (event, atMs) => this.emitSafely(event, { atMs }),
        emitTranscript: (event) => this.emitSafely('transcript', event),
        emitSpeechError: (event) => this.emitSafely('speech-error', event),
        onAudio: (listener) => this.on('audio', listener),
      },
      this.speechEngines ?? speechEngines(),
    );
    return this.speechState;
  }

  /** The call's speech state if an app has used speech, without making one. */
  get speechIfUsed(): CallSpeech | undefined {
    return this.speechState;
  }

  /** Voice activity on the caller's audio: `speech-start` / `speech-end` events (docs/apps.md). */
  listen(options?: ListenOptions): Promise<void> {
    return this.speech.listen(options);
  }

  /** Live transcription: `transcript` events, interim and final, in call time. */
  transcribe(options?: TranscribeCallOptions): Transcription {
    return this.speech.transcribe(options);
  }

  /**
   * Speaks `text` through the pacer as it is synthesized; resolves like `play` when the caller has
   * heard it, or when it was cleared (barge-in) or the call ended, with how much was heard.
   */
  async say(text: string, options: SayOptions = {}): Promise<SayResult> {
    const before = this.playedMs;
    let error: SpeechErrorEvent | undefined;
    const speech = this.speech;
    let synthesizer: Synthesizer;
    try {
      synthesizer = (this.speechEngines ?? speechEngines()).synthesizer(options.engine);
    } catch (cause) {
      const failure = new SpeechEngineError('tts', options.engine ?? 'default', 'missing', (cause as Error).message);
      speech.reportError(failure);
      return { completed: false, confirmed: false, playedMs: before, heardMs: 0, text, error: failure.toEvent() };
    }
    const sampleRate = this.sampleRate;
    const stream = async function* (): AsyncGenerator<Buffer> {
      try {
        yield* synthesizer.synthesize(text, {
          sampleRate,
          ...(options.voice ? { voice: options.voice } : {}),
          ...(options.wordsPerMinute ? { wordsPerMinute: options.wordsPerMinute } : {}),
        });
      } catch (cause) {
        const failure =
          cause instanceof SpeechEngineError ? cause : new SpeechEngineError('tts', synthesizer.engine, 'failed', (cause as Error).message, { cause });
        error = failure.toEvent();
        speech.reportError(failure);
      }
    };
    const result = await this.play(stream());
    const heardMs = Math.max(0, result.playedMs - before);
    return error ? { ...result, completed: false, confirmed: false, heardMs, text, error } : { ...result, heardMs, text };
  }

  private clearGeneration = 0;

  /** Not narrowed by TypeScript across awaits, unlike `state`. */
  private get ended(): boolean {
    return this.state === 'ended';
  }

  /**
   * Writes a long buffer a second at a time, waiting for room between pieces: a prompt of any length
   * plays, and the queue stays within its limits (a single write past them would be dropped).
   */
  private async writeAll(pacer: Pacer, pcm: Buffer, generation: number): Promise<void> {
    const piece = this.frameBytes * (1000 / FRAME_MS);
    for (let offset = 0; offset < pcm.length; offset += piece) {
      if (this.ended || this.clearGeneration !== generation) return;
      await pacer.write(pcm.subarray(offset, offset + piece));
    }
  }

  /**
   * Converts a WAV a second at a time as the pacer takes it, yielding to the event loop between
   * slices: a long or low-rate file (a 4 MiB 4 kHz WAV is 17 minutes) never stalls every other call.
   */
  private async writeWav(pacer: Pacer, wav: Buffer, generation: number): Promise<void> {
    for (const pcm of wavToCallPcmSlices(wav, this.sampleRate)) {
      if (this.ended || this.clearGeneration !== generation) return;
      await this.writeAll(pacer, pcm, generation);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private ensurePacer(): Pacer {
    if (this.pacer) return this.pacer;
    this.pacer = new Pacer({
      frameBytes: this.frameBytes,
      clock: this.clock,
      ...(this.leadMs !== undefined ? { leadMs: this.leadMs } : {}),
      ...(this.maxQueueMs !== undefined ? { maxQueueMs: this.maxQueueMs } : {}),
      ...(this.hardQueueMs !== undefined ? { hardQueueMs: this.hardQueueMs } : {}),
      ...(this.audioBudget ? { budget: this.audioBudget } : {}),
      sink: { sendFrame: this.sendFrame, sendMark: (payload) => this.transport.sendText(notifyCommand(payload)) },
    });
    this.pacer.once('overflow', () =>
      this.log.warn(
        { code: errorCode('PLAYBACK_OVERFLOW'), queuedMs: this.pacer?.queuedMs },
        'paced audio queue full; writes are dropped (await write() for backpressure)',
      ),
    );
    return this.pacer;
  }

  private markInternal(payload: Record<string, unknown> = {}): Promise<boolean> {
    if (this.state === 'ended') return Promise.resolve(false);
    const pacer = this.ensurePacer();
    const id = ++this.markSeq;
    pacer.mark({ ...payload, [MARK_KEY]: id });
    const waitMs = pacer.queuedMs + pacer.aheadMs() + ACK_GRACE_MS;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingMarks.delete(id);
        resolve(false);
      }, waitMs);
      this.pendingMarks.set(id, (confirmed) => {
        clearTimeout(timer);
        resolve(confirmed);
      });
    });
  }

  sendText(text: string): void {
    if (this.state !== 'ended') this.transport.sendText(text);
  }

  /** Ends the call from the app side with a close frame. */
  hangup(code: number = CLOSE_CODES.normal, reason = 'hangup'): void {
    if (this.state !== 'ended') this.transport.close(code, reason);
  }

  /** Ends the call because the app failed; the server and other calls go on. */
  fail(error: unknown): void {
    this.log.error({ code: errorCode('APP_FAILED'), err: error }, 'call app failed; ending its call');
    this.hangup(CLOSE_CODES.internalError, 'app error');
  }

  private handleMessage(message: VonageMessage): void {
    switch (message.type) {
      case 'connected':
        if (this.connectedSeen) {
          this.sampled.warn(errorCode('TEXT_INVALID'), {}, 'second websocket:connected ignored');
          return;
        }
        this.connectedSeen = true;
        this.sampleRate = message.sampleRate;
        this.frameBytes = frameBytes(message.sampleRate);
        this.splitter = new FrameSplitter(this.frameBytes);
        if (!message.rateStated) {
          this.log.warn(
            { contentType: message.contentType, rate: this.sampleRate },
            'websocket:connected without a usable content-type; assumed the default rate',
          );
        }
        this.identity = {
          uuid: lenientText(message.headers.uuid),
          conversationUuid: lenientText(message.headers.conversation_uuid),
          from: lenientText(message.headers.from),
          to: lenientText(message.headers.to),
          headers: message.headers,
        };
        if (this.state === 'connecting') {
          this.activate();
          this.replayEarlyAudio();
        } else {
          // The peer sent over a second of audio before saying its rate: the call started at the
          // default; from here on it runs at the rate and with the identity now known.
          this.note(`connected late ${this.contentType}`);
        }
        return;
      case 'dtmf':
        this.stats.dtmfIn++;
        this.note(`dtmf ${message.digit}`);
        this.emitSafely('dtmf', { digit: message.digit, duration: message.duration });
        return;
      case 'cleared':
        this.note('websocket:cleared');
        this.pendingClears.shift()?.(true);
        // Markers Vonage held were discarded with the audio.
        for (const settle of this.pendingMarks.values()) settle(false);
        this.pendingMarks.clear();
        this.emitSafely('cleared');
        return;
      case 'notify': {
        this.note('websocket:notify');
        const payload = message.payload;
        if (payload !== null && typeof payload === 'object' && MARK_KEY in payload) {
          const { [MARK_KEY]: id, ...rest } = payload as Record<string, unknown>;
          const settle = this.pendingMarks.get(id as number);
          this.pendingMarks.delete(id as number);
          settle?.(true);
          this.emitSafely('notify', rest);
          return;
        }
        this.emitSafely('notify', payload);
        return;
      }
    }
  }

  /** Audio that came before websocket:connected, in order, played to the app once the rate is known. */
  private early: Buffer[] | undefined;
  private connectedSeen = false;

  private replayEarlyAudio(): void {
    const early = this.early;
    this.early = undefined;
    if (!early) return;
    for (const frame of early) {
      if (this.state !== 'active') return;
      this.receiveBinary(frame);
    }
  }

  private activate(): void {
    this.note(`connected ${this.contentType}`);
    this.state = 'active';
    this.emitSafely('connected', this.identity);
  }

  /** An app's listener that throws ends its own call, never the socket handler or the server. */
  private emitSafely<K extends keyof CallSessionEvents>(event: K, ...args: CallSessionEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: CallSessionEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      if (event === 'end') this.log.error({ code: errorCode('APP_FAILED'), err: error }, 'call app failed while ending');
      else this.fail(error);
    }
  }
}
