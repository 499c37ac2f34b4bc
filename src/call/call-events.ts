/**
 * The call's typed events, whose listeners may be sync or async: a listener that throws or whose
 * promise rejects fails its own call (`fail`), never the socket handler or the server — fastify's
 * hook-runner habit. The audio event, once per 20 ms frame, is dispatched from a plain array.
 */
import { EventEmitter } from 'node:events';
import { errorCode } from '../errors.js';
import type { Logger } from './logger.js';
import type { SpeechActivityEvent, SpeechErrorEvent, TranscriptEvent } from '../speech/speech-events.js';
import type { CallEnd, CallIdentity, DtmfEvent, SocketEvent } from './call-types.js';
import type { CallActivity } from './call-activity.js';
import type { DialOutcomeEvent, DtmfSent, MachineEvent, TransferStep } from './telephony-types.js';

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
  /** What happened beyond the audio (replies, tools, faults, transfers): `CallSession.report`, for the call's record. */
  activity: [activity: CallActivity];
  /** An outbound call's outcome (src/telephony/): answered by a person or by a machine. */
  'dial-outcome': [event: DialOutcomeEvent];
  /** Vonage's machine detection: human, machine, then beep or no-beep (docs/outbound.md). */
  machine: [event: MachineEvent];
  /** A step of a transfer of this call, cold or warm. */
  transfer: [event: TransferStep];
  /** DTMF sent into the call through Vonage's REST API. */
  'dtmf-sent': [event: DtmfSent];
  end: [end: CallEnd];
}

/** A listener of a session event; it may be async (a rejection ends the call like a throw). */
export type CallListener<K extends keyof CallSessionEvents> = (...args: CallSessionEvents[K]) => unknown;

/** Socket events kept per call: enough to read a call's story, bounded whatever a peer sends. */
const MAX_SOCKET_EVENTS = 40;

export abstract class CallEmitter extends EventEmitter<CallSessionEvents> {
  /** The call's timeline of socket events (connected, cleared, closed...), for the dashboard. */
  readonly socketEvents: SocketEvent[] = [];

  abstract readonly log: Logger;
  /** Ends the call because its app failed. */
  abstract fail(error: unknown): void;

  constructor() {
    super({ captureRejections: true });
  }

  /**
   * The per-frame path: audio listeners are called from a plain array, without EventEmitter's
   * dispatch (the largest cost our echo path had over a bare `ws` echo). The emitter stays the one
   * store of listeners; the array is a copy refreshed on every change, so `once`, `prependListener`,
   * `off` of a `once` listener and `removeAllListeners` behave exactly as on any emitter.
   */
  protected emitAudio(frame: Buffer): void {
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

  /** Tells the call's record what happened beyond the audio: an `activity` event (docs/records.md). */
  report(activity: CallActivity): void {
    if (this.listenerCount('activity') > 0) this.emitSafely('activity', activity);
  }

  /** An app's listener that throws ends its own call, never the socket handler or the server. */
  protected emitSafely<K extends keyof CallSessionEvents>(event: K, ...args: CallSessionEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: CallSessionEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      if (event === 'end') this.log.error({ code: errorCode('APP_FAILED'), err: error }, 'call app failed while ending');
      else this.fail(error);
    }
  }
}
