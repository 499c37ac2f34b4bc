/**
 * One WebSocket leg of a call, the facade apps see: the state machine between "socket open" and
 * "socket closed", the call's identity and counters, and the inbound wire (Vonage's text messages and
 * audio, held until websocket:connected says the rate). What it delegates: outbound audio to
 * CallPlayback (call-playback.ts), its events to CallEmitter (call-events.ts), speech to CallSpeech
 * (call-speech.ts). It knows nothing of `ws` or HTTP: the server hands it messages through
 * `receiveText`/`receiveBinary` and gives it a `CallTransport` to write to.
 */
import { errorCode } from '../errors.js';
import { FrameClock } from '../audio/frame-clock.js';
import type { Pacer, AudioBudget } from '../audio/pacer.js';
import { DEFAULT_SAMPLE_RATE, FRAME_MS, contentTypeFor, frameBytes, type SampleRate } from '../protocol/audio-format.js';
import { parseVonageMessage, type VonageMessage } from '../protocol/socket-messages.js';
import { lenientText } from '../protocol/lenient.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import { SampledLog, type Logger } from './logger.js';
import {
  emptyCallStats,
  type AgentTurnSnapshot,
  type CallEnd,
  type CallIdentity,
  type CallState,
  type CallStats,
  type CallTransport,
  type OutboundTap,
  type PlayResult,
  type PlaySource,
  type SayResult,
} from './call-types.js';
import { CallPlayback } from './call-playback.js';
import { reportingCodedLines } from './reporting-logger.js';
import { CallPhone } from './call-phone.js';
import { CallSpeech, type ListenOptions, type SayOptions, type TranscribeCallOptions, type Transcription } from './call-speech.js';
import { speechEngines, type SpeechEngines } from '../speech/engines.js';

// The session's module stays the one door to its words: apps and layers above import from here.
export type { CallSessionEvents, CallListener } from './call-events.js';
export type { CallActivity, CutBy } from './call-activity.js';
export { CLOSE_CODES } from '../protocol/close-codes.js';
export { emptyCallStats } from './call-types.js';
export type * from './telephony-types.js';
export type * from './call-types.js';

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

/** Messages of audio held before websocket:connected: one second at Vonage's 50 frames/s. */
const EARLY_AUDIO_MAX_MESSAGES = 50;

const defaultClock = new FrameClock();

export class CallSession extends CallPhone {
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

  private readonly transport: CallTransport;
  /** The call's logger: apps log through it, and every line names the call. */
  readonly log: Logger;
  private readonly sampled: SampledLog;
  private readonly now: () => number;
  private readonly clock: FrameClock;
  /** Outbound audio: the pacer, play/write/mark/clear and their acknowledgements (call-playback.ts). */
  private readonly playback: CallPlayback;
  /** Listeners of every frame sent (recording, an agent's latency): a plain array on the hot path. */
  private outboundTaps: Array<OutboundTap> = [];
  private readonly onAppTiming: ((seconds: number) => void) | undefined;
  private readonly speechEngines: SpeechEngines | undefined;
  private speechState: CallSpeech | undefined;
  private readonly openedAt: number;
  private readonly sendFrame = (frame: Buffer, paced: boolean) => {
    if (!this.transport.sendBinary(frame)) {
      this.stats.framesDropped++;
      return;
    }
    this.stats.framesOut++;
    this.stats.bytesOut += frame.length;
    this.lastFrameOut = frame;
    const taps = this.outboundTaps;
    if (taps.length === 0) return;
    // A paced frame plays when everything sent before it has played (the pacer's model); audio
    // sent unpaced (echo) plays as it arrives.
    const playsInMs = paced ? Math.max(0, this.playback.aheadMs - FRAME_MS) : 0;
    for (const tap of taps) tap(frame, playsInMs, paced);
  };

  constructor(options: CallSessionOptions) {
    super();
    this.id = options.id;
    this.transport = options.transport;
    // Coded lines of this call are also its record's faults (`activity` events, docs/records.md).
    this.log = reportingCodedLines(options.log, (line) => this.report({ kind: 'error', ...line }));
    this.sampled = new SampledLog(this.log);
    this.clock = options.clock ?? defaultClock;
    this.now = () => this.clock.now();
    this.onAppTiming = options.onAppTiming;
    this.speechEngines = options.speech;
    this.openedAt = this.now();
    this.playback = new CallPlayback({
      transport: this.transport,
      log: this.log,
      clock: this.clock,
      sampleRate: () => this.sampleRate,
      frameBytes: () => this.frameBytes,
      ended: () => this.state === 'ended',
      note: (text) => this.note(text),
      sendFrame: this.sendFrame,
      leadMs: options.leadMs,
      maxQueueMs: options.maxQueueMs,
      hardQueueMs: options.hardQueueMs,
      audioBudget: options.audioBudget,
    });
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
      if (this.connectedSeen) return; // connected, yet connecting: its format was refused, it is closing
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

  /** The socket is gone, whoever closed it. Idempotent. */
  transportClosed(code: number, reason: string): void {
    if (this.state === 'ended') return;
    this.note(`closed ${code}${reason ? ` (${reason})` : ''}`);
    this.state = 'ended';
    const end: CallEnd = { code, reason, durationMs: this.now() - this.openedAt };
    this.end = end;
    this.playback.stop();
    const finished = () => {
      this.emitSafely('end', end);
      this.removeAllListeners();
    };
    // The engines' last final results (the utterance a hang-up cut short is decoded as they close)
    // reach the app before 'end'; removing the listeners at once lost them. The wait is bounded: the
    // built-in engines bound their own close, a user's engine is bounded by its guard (10 s).
    if (this.speechState) void this.speechState.close().then(finished);
    else finished();
  }

  // ---- outbound, called by apps ----

  /**
   * Sends PCM now, re-framed into exact frames: a whole frame goes out as is, a partial one waits for
   * the next bytes. For audio that is already paced (echo); paced playback belongs to the pacer.
   */
  sendAudio(pcm: Buffer): void {
    this.playback.sendAudio(pcm);
  }

  /** Paced playback: queues PCM (s16le mono at the call rate) behind what is already queued; resolves when there is room again. */
  write(pcm: Buffer): Promise<void> {
    return this.playback.write(pcm);
  }

  /**
   * Plays audio through the pacer and resolves when the caller has heard all of it (Vonage's
   * websocket:notify for a marker placed after it), or when it was cleared or the call ended.
   */
  play(source: PlaySource): Promise<PlayResult> {
    return this.playback.play(source);
  }

  /**
   * Places a marker after everything queued so far; resolves true when Vonage reports it played
   * (websocket:notify), false when it was cleared, the call ended, or no acknowledgement came.
   */
  mark(payload: Record<string, unknown> = {}): Promise<boolean> {
    return this.playback.mark(payload);
  }

  /**
   * Barge-in: drops all queued audio here and at Vonage (`clear`); resolves true on
   * websocket:cleared, false if none came within the grace period.
   */
  clear(): Promise<boolean> {
    // Told before the pacer forgets: a recording cuts what had not played at this instant.
    if (this.state !== 'ended') this.report({ kind: 'clear' });
    return this.playback.clear();
  }

  /** Milliseconds of paced audio the caller has heard (cleared audio excluded). */
  get playedMs(): number {
    return this.playback.playedMs;
  }

  /** Where paced audio written now will start, in the same ms as `playedMs` (docs/apps.md). */
  get scheduledMs(): number {
    return this.playback.scheduledMs;
  }

  /** True while paced audio is queued or still playing at Vonage (what barge-in would stop). */
  get playing(): boolean {
    return this.playback.playing;
  }

  /** Audio queued for paced playback, not yet sent, ms. */
  get queuedMs(): number {
    return this.playback.queuedMs;
  }

  /** Pacer counters (frames sent, underruns, furthest ahead of playout), once something was played. */
  get pacerStats(): Pacer['stats'] | undefined {
    return this.playback.pacerStats;
  }

  /** Sees every frame sent to the caller (recording, latency) and when it plays; returns what removes it. */
  tapOutbound(tap: OutboundTap): () => void {
    this.outboundTaps.push(tap);
    return () => {
      this.outboundTaps = this.outboundTaps.filter((other) => other !== tap);
    };
  }

  /** Set by a voice agent on this call (src/agents/): its turns, for `/api/calls` and the dashboard. */
  agentTurns: (() => AgentTurnSnapshot[]) | undefined;
  /** Who runs that agent (`openai`, `gemini`, ...), for the dashboard. */
  agentProvider: string | undefined;

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
        play: (source) => this.play(source),
        playedMs: () => this.playedMs,
        report: (activity) => this.report(activity),
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
  say(text: string, options: SayOptions = {}): Promise<SayResult> {
    return this.speech.say(text, options);
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
        if (!message.rateStated && message.contentType !== undefined) {
          // The content-type is the format in use (docs/protocol.md §2): a rate Vonage never offers
          // (0, 8001) read as 16 kHz would be misread audio and frames of a size the peer refuses.
          this.log.warn(
            { code: errorCode('AUDIO_FORMAT_UNSUPPORTED'), contentType: message.contentType.slice(0, 120) },
            'websocket:connected states an audio format we cannot speak; closing the call (1003)',
          );
          this.early = undefined;
          this.hangup(CLOSE_CODES.unsupportedData, errorCode('AUDIO_FORMAT_UNSUPPORTED'));
          return;
        }
        this.sampleRate = message.sampleRate;
        this.frameBytes = frameBytes(message.sampleRate);
        this.playback.rateChanged();
        if (!message.rateStated) {
          this.log.warn(
            { code: errorCode('AUDIO_FORMAT_ASSUMED'), rate: this.sampleRate },
            'websocket:connected without a content-type; the call runs at 16 kHz',
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
        this.playback.cleared();
        this.emitSafely('cleared');
        return;
      case 'notify':
        this.note('websocket:notify');
        this.emitSafely('notify', this.playback.notified(message.payload));
        return;
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
}
