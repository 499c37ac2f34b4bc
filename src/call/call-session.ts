/**
 * One WebSocket leg of a call: the state machine between "socket open" and "socket closed", the
 * call's identity, its counters, and typed events for the app. It knows nothing of `ws` or HTTP: the
 * server hands it text and binary messages through `receiveText`/`receiveBinary` and gives it a
 * `CallTransport` to write to, so the same session runs over any socket implementation.
 */
import { EventEmitter } from 'node:events';
import { errorCode } from '../errors.js';
import { FrameSplitter } from '../audio/frame-splitter.js';
import { DEFAULT_SAMPLE_RATE, contentTypeFor, frameBytes, type SampleRate } from '../protocol/audio-format.js';
import { parseVonageMessage, type VonageMessage } from '../protocol/socket-messages.js';
import { SampledLog, type Logger } from './logger.js';

/** What a session needs from a socket. `ws` and any future transport adapt to this. */
export interface CallTransport {
  sendBinary(frame: Buffer): void;
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
}

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
  end: [end: CallEnd];
}

/** Close codes used by the server (RFC 6455 §7.4.1). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  tooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
} as const;

export interface CallSessionOptions {
  id: string;
  transport: CallTransport;
  log: Logger;
  /** Monotonic milliseconds; injected so tests and the pacer share one clock. */
  now?: () => number;
}

function headerText(headers: Record<string, unknown>, key: string): string | undefined {
  const value = headers[key];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

export class CallSession extends EventEmitter<CallSessionEvents> {
  readonly id: string;
  readonly startedAt = Date.now();
  state: CallState = 'connecting';
  sampleRate: SampleRate = DEFAULT_SAMPLE_RATE;
  /** Bytes in one 20 ms frame at the negotiated rate. */
  frameBytes = frameBytes(DEFAULT_SAMPLE_RATE);
  identity: CallIdentity = { uuid: undefined, conversationUuid: undefined, from: undefined, to: undefined, headers: {} };
  readonly stats: CallStats = {
    framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, dtmfIn: 0, textIn: 0,
    textRejected: 0, audioBeforeConnected: 0, offSizeFramesIn: 0,
  };
  end: CallEnd | undefined;

  private readonly transport: CallTransport;
  private readonly log: Logger;
  private readonly sampled: SampledLog;
  private readonly now: () => number;
  private readonly openedAt: number;
  private splitter: FrameSplitter;
  private readonly sendFrame = (frame: Buffer) => {
    this.stats.framesOut++;
    this.stats.bytesOut += frame.length;
    this.transport.sendBinary(frame);
  };

  constructor(options: CallSessionOptions) {
    super();
    this.id = options.id;
    this.transport = options.transport;
    this.log = options.log;
    this.sampled = new SampledLog(options.log);
    this.now = options.now ?? (() => performance.now());
    this.openedAt = this.now();
    this.splitter = new FrameSplitter(this.frameBytes);
  }

  get contentType(): string {
    return contentTypeFor(this.sampleRate);
  }

  get durationMs(): number {
    return (this.end?.durationMs ?? this.now() - this.openedAt);
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
      this.sampled.warn(errorCode(parsed.problem), { call: this.id, detail: parsed.detail, sample: text.slice(0, 120) }, 'text message ignored');
      return;
    }
    this.handleMessage(parsed.message);
  }

  receiveBinary(data: Buffer): void {
    if (this.state === 'ended') return;
    if (this.state === 'connecting') {
      // A defensive server tolerates audio before the connected message (§2): assume 16 kHz.
      this.stats.audioBeforeConnected++;
      this.sampled.warn(errorCode('AUDIO_BEFORE_CONNECTED'), { call: this.id, rate: this.sampleRate }, 'audio before websocket:connected');
      this.activate();
    }
    this.stats.framesIn++;
    this.stats.bytesIn += data.length;
    if (data.length !== this.frameBytes) {
      this.stats.offSizeFramesIn++;
      if (data.length % 2 !== 0) {
        this.sampled.warn(errorCode('AUDIO_ODD_LENGTH'), { call: this.id, bytes: data.length }, 'odd-length audio message');
      }
    }
    this.emitSafely('audio', data);
  }

  /** The socket is gone, whoever closed it. Idempotent. */
  transportClosed(code: number, reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.end = { code, reason, durationMs: this.now() - this.openedAt };
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

  sendText(text: string): void {
    if (this.state !== 'ended') this.transport.sendText(text);
  }

  /** Ends the call from the app side with a close frame. */
  hangup(code: number = CLOSE_CODES.normal, reason = 'hangup'): void {
    if (this.state !== 'ended') this.transport.close(code, reason);
  }

  /** Ends the call because the app failed; the server and other calls go on. */
  fail(error: unknown): void {
    this.log.error({ code: errorCode('APP_FAILED'), call: this.id, err: error }, 'call app failed; ending its call');
    this.hangup(CLOSE_CODES.internalError, 'app error');
  }

  private handleMessage(message: VonageMessage): void {
    switch (message.type) {
      case 'connected':
        if (this.state !== 'connecting') {
          this.sampled.warn(errorCode('TEXT_INVALID'), { call: this.id }, 'second websocket:connected ignored');
          return;
        }
        this.sampleRate = message.sampleRate;
        this.frameBytes = frameBytes(message.sampleRate);
        this.splitter = new FrameSplitter(this.frameBytes);
        if (!message.rateStated) {
          this.log.warn({ call: this.id, contentType: message.contentType, rate: this.sampleRate }, 'websocket:connected without a usable content-type; assumed the default rate');
        }
        this.identity = {
          uuid: headerText(message.headers, 'uuid'),
          conversationUuid: headerText(message.headers, 'conversation_uuid'),
          from: headerText(message.headers, 'from'),
          to: headerText(message.headers, 'to'),
          headers: message.headers,
        };
        this.activate();
        return;
      case 'dtmf':
        this.stats.dtmfIn++;
        this.emitSafely('dtmf', { digit: message.digit, duration: message.duration });
        return;
      case 'cleared':
        this.emitSafely('cleared');
        return;
      case 'notify':
        this.emitSafely('notify', message.payload);
        return;
    }
  }

  private activate(): void {
    this.state = 'active';
    this.emitSafely('connected', this.identity);
  }

  /** An app's listener that throws ends its own call, never the socket handler or the server. */
  private emitSafely<K extends keyof CallSessionEvents>(event: K, ...args: CallSessionEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: CallSessionEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      if (event === 'end') this.log.error({ code: errorCode('APP_FAILED'), call: this.id, err: error }, 'call app failed while ending');
      else this.fail(error);
    }
  }
}
