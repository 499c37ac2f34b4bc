/**
 * The server's telephony: places calls (live-dial.ts), follows their legs' events, and gives every
 * call socket its telephony — the dial that placed it, found by the dial id in its headers (in memory,
 * or Redis across instances), its outcome and machine verdicts as events, transfers and DTMF out
 * (call-telephony.ts). A warm transfer's call to the person opens a socket marked as a briefing,
 * which runs briefing.ts instead of the app. Nothing here runs per audio frame.
 */
import type { Voice } from '@vonage/voice';
import { errorCode } from '../errors.js';
import type { CallSession } from '../call/call-session.js';
import type { Logger } from '../call/logger.js';
import type { DialInfo, DialSnapshot } from '../call/telephony-types.js';
import type { WebsocketAuthorization } from '../protocol/ncco.js';
import type { SampleRate } from '../protocol/audio-format.js';
import { lenientText } from '../protocol/lenient.js';
import type { CallEvent } from '../protocol/webhooks.js';
import { CallTelephony } from './call-telephony.js';
import { runBriefing, type BriefingVerdict } from './briefing.js';
import { MemoryDialStore, type DialRecord, type DialStore } from './dial-store.js';
import { LiveDial, type DialedCall, type DialResult } from './live-dial.js';
import { checkDial, DIAL_ID_HEADER, dialNcco, type DialRequest } from './outbound-call.js';
import type { TelephonyRelay } from './relay.js';
import { SessionDial } from './session-dial.js';
import type { NamedDestination } from './transfer.js';
import type { BriefingOrder } from './warm-transfer.js';

/** Marks a briefing's socket URL: its socket runs the briefing, not the app. */
export const BRIEFING_QUERY = 'voicesocket_briefing';
/** Outbound legs whose events are kept for sockets still to come; each keeps its last few events. */
const MAX_LEGS = 10_000;
const MAX_EVENTS_PER_LEG = 16;
/** Ended dials the dashboard still shows. */
const RECENT_DIALS = 200;
/** Extra life of a dial's record past its timers, s: a socket may open a little after Vonage says it answered. */
const RECORD_SLACK_S = 120;
/**
 * A socket may open before the dialling instance stored the leg's uuid (it learns it from Vonage's
 * answer to the request): how long it looks again, and how often. The record itself is written before
 * the request is sent, seconds before any answer: one that is not there after a few looks never will be.
 */
const LOOKUP_TRIES = 30;
const LOOKUP_TRIES_UNKNOWN = 3;
const LOOKUP_EVERY_MS = 100;
/** How long after the briefing a key still declines, ms. */
export const DEFAULT_ACCEPT_WINDOW_MS = 4000;

export interface TelephonyOptions {
  vonage: Voice;
  /** This instance's id (host and pid). */
  instance: string;
  log: Logger;
  /** Where Vonage reaches this server: the call socket and the event webhook. */
  endpoints(): { socketUri: string; eventUrl: string };
  sampleRate: SampleRate;
  authorization?: WebsocketAuthorization;
  /** Defaults of every dial: caller ID, timers, machine detection. */
  defaults?: Pick<DialRequest, 'from' | 'ringingTimerS' | 'lengthTimerS' | 'machineDetection'>;
  destinations?: () => readonly NamedDestination[];
  /** With `--redis`: dial records and events across instances. */
  store?: DialStore;
  relay?: TelephonyRelay;
  holdAudio?: Buffer;
  acceptWindowMs?: number;
}

export class Telephony {
  readonly #local = new MemoryDialStore();
  readonly #dials = new Map<string, LiveDial>();
  readonly #byLeg = new Map<string, LiveDial>();
  readonly #legEvents = new Map<string, CallEvent[]>();
  readonly #sessions = new Map<string, SessionDial>();
  readonly #briefings = new Map<string, (verdict: BriefingVerdict) => void>();
  readonly #decided = new Map<string, DialResult>();

  constructor(private readonly options: TelephonyOptions) {
    options.relay?.subscribe((message) => {
      if (message.kind === 'event') this.observe(message.event, true);
      else this.#briefings.get(message.transferId)?.({ accepted: message.accepted, detail: message.detail });
    });
  }

  get vonage(): Voice {
    return this.options.vonage;
  }

  /** Places a call; throws a DIAL_INVALID error for a request that cannot be placed, before anything is sent. */
  dial(request: DialRequest, briefing?: BriefingOrder): DialedCall {
    const defaults = this.options.defaults ?? {};
    const checked = checkDial({ ...defaults, ...request }, defaults.from);
    const record: DialRecord = {
      dialId: checked.dialId,
      to: checked.to,
      from: checked.from,
      context: checked.context,
      instance: this.options.instance,
      ...(checked.machineDetection ? { machineDetection: checked.machineDetection.mode } : {}),
      ...(briefing ? { briefing } : {}),
    };
    const ttlS = checked.ringingTimerS + checked.lengthTimerS + RECORD_SLACK_S;
    const dial = new LiveDial(checked, {
      vonage: this.options.vonage,
      log: this.options.log,
      legKnown: (uuid, placed) => {
        this.#byLeg.set(uuid, dial);
        const known = { ...record, uuid, ...(placed.conversationUuid ? { conversationUuid: placed.conversationUuid } : {}) };
        this.#store(known, ttlS);
        for (const event of this.#legEvents.get(uuid) ?? []) dial.take(event);
      },
      decided: (result) => this.#decided.set(result.dialId, result),
      over: (result) => {
        if (result.uuid) this.#byLeg.delete(result.uuid);
        this.#forgetOldDials();
      },
    });
    this.#dials.set(checked.dialId, dial);
    this.#store(record, ttlS);
    const { socketUri, eventUrl } = this.options.endpoints();
    const uri = briefing ? `${socketUri}?${BRIEFING_QUERY}=1` : socketUri;
    void dial.start(dialNcco(checked, { uri, sampleRate: this.options.sampleRate, authorization: this.options.authorization }), eventUrl);
    return dial;
  }

  /** An event webhook (here, or relayed from another instance). */
  observe(event: CallEvent, relayed = false): void {
    const uuid = event.legUuid;
    if (event.kind !== 'status' || !uuid || !this.#concerns(event)) return;
    const events = this.#legEvents.get(uuid) ?? [];
    if (events.length === 0) {
      this.#legEvents.set(uuid, events);
      if (this.#legEvents.size > MAX_LEGS) this.#legEvents.delete(this.#legEvents.keys().next().value!);
    }
    if (events.length < MAX_EVENTS_PER_LEG) events.push(event);
    this.#byLeg.get(uuid)?.take(event);
    this.#sessions.get(uuid)?.take(event);
    if (!relayed) this.options.relay?.publish({ kind: 'event', event: { ...event, raw: {} } });
  }

  /** Every call socket: its telephony port, and its dial once it says who it is. */
  attach(session: CallSession, socketPath = ''): void {
    session.telephony = new CallTelephony(session, {
      vonage: this.options.vonage,
      destinations: this.options.destinations ?? (() => []),
      from: this.options.defaults?.from,
      dialPerson: (to, ringingTimerS, briefing) => this.dial({ to, ringingTimerS, context: null }, briefing),
      briefed: (transferId, timeoutMs) => this.#awaitBriefing(transferId, timeoutMs),
      acceptWindowMs: this.options.acceptWindowMs ?? DEFAULT_ACCEPT_WINDOW_MS,
      ...(this.options.holdAudio ? { holdAudio: this.options.holdAudio } : {}),
    });
    const briefingSocket = Telephony.isBriefing(socketPath);
    session.once('connected', (identity) => void this.#identify(session, lenientText(identity.headers[DIAL_ID_HEADER]), briefingSocket));
  }

  /** True for a socket URL of a briefing (the server runs the briefing, not the app, on it). */
  static isBriefing(socketPath: string): boolean {
    return socketPath.includes(`${BRIEFING_QUERY}=`);
  }

  /** The dials in progress and recently ended, newest first (the dashboard's rows). */
  dials(): DialSnapshot[] {
    return [...this.#dials.values()].reverse().map((dial) => {
      const result = dial.result();
      const decided = this.#decided.get(dial.dialId);
      return {
        dialId: dial.dialId,
        to: dial.to,
        uuid: dial.uuid,
        state: dial.endedAt !== undefined ? 'ended' : dial.answeredAt !== undefined ? 'answered' : 'ringing',
        outcome: decided?.outcome,
        status: decided?.status,
        ...(result.detail ? { detail: result.detail } : {}),
        verdicts: result.verdicts,
        startedAt: dial.startedAt,
        ...(dial.answeredAt !== undefined ? { answeredAt: dial.answeredAt } : {}),
        ...(dial.endedAt !== undefined ? { endedAt: dial.endedAt } : {}),
      };
    });
  }

  async #identify(session: CallSession, dialId: string | undefined, briefingSocket: boolean): Promise<void> {
    if (!dialId) {
      if (briefingSocket) session.hangup(1008, 'briefing socket without a dial');
      return session.dialResolved(undefined);
    }
    const record = await this.#lookup(dialId);
    if (!record) {
      this.options.log.warn({ code: errorCode('DIAL_INVALID'), call: session.id, dial: dialId.slice(0, 64) }, 'a socket named a dial that no instance placed');
      if (briefingSocket) session.hangup(1008, 'unknown dial');
      return session.dialResolved(undefined);
    }
    if (!session.identity.uuid && record.uuid) session.identity = { ...session.identity, uuid: record.uuid, conversationUuid: record.conversationUuid };
    const dial: DialInfo = {
      dialId,
      to: record.to,
      from: record.from,
      context: record.context,
      uuid: record.uuid,
      conversationUuid: record.conversationUuid,
      machineDetection: record.machineDetection,
    };
    session.dialResolved(dial);
    if (session.state === 'ended') return;
    if (record.briefing && briefingSocket) return this.#brief(session, record);
    const uuid = record.uuid;
    if (!uuid) return;
    const watch = new SessionDial(session, dial);
    this.#sessions.set(uuid, watch);
    session.once('end', () => {
      if (this.#sessions.get(uuid) === watch) this.#sessions.delete(uuid);
      this.#byLeg.get(uuid)?.socketEnded();
    });
    for (const event of this.#legEvents.get(uuid) ?? []) watch.take(event);
  }

  #brief(session: CallSession, record: DialRecord): void {
    const briefing = record.briefing!;
    const hangUp = async () => {
      if (record.uuid) await this.options.vonage.hangupCall(record.uuid);
      else session.hangup(1000, 'declined');
    };
    void runBriefing(session, briefing.text, briefing.acceptWindowMs, hangUp).then((verdict) => {
      session.note(`briefing: ${verdict.accepted ? 'accepted' : 'declined'} (${verdict.detail})`);
      const local = this.#briefings.get(briefing.transferId);
      if (local) local(verdict);
      else this.options.relay?.publish({ kind: 'briefed', transferId: briefing.transferId, ...verdict });
    });
  }

  #awaitBriefing(transferId: string, timeoutMs: number): Promise<BriefingVerdict | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      timer.unref();
      const finish = (verdict: BriefingVerdict | undefined) => {
        clearTimeout(timer);
        this.#briefings.delete(transferId);
        resolve(verdict);
      };
      this.#briefings.set(transferId, finish);
    });
  }

  /** The dial's record with its leg's uuid: from memory, else the shared store, looking again while the uuid is not there yet. */
  async #lookup(dialId: string): Promise<DialRecord | undefined> {
    let record: DialRecord | undefined;
    for (let attempt = 0; attempt < LOOKUP_TRIES; attempt++) {
      record = this.#local.getNow(dialId) ?? (await this.options.store?.get(dialId)) ?? record;
      if (record?.uuid) return record;
      // A dial that is over without a leg (its request was refused) will never get one.
      if (this.#dials.get(dialId)?.endedAt !== undefined) return record;
      if (!record && attempt + 1 >= LOOKUP_TRIES_UNKNOWN) return undefined;
      await new Promise((resolve) => setTimeout(resolve, LOOKUP_EVERY_MS));
    }
    return record;
  }

  #store(record: DialRecord, ttlS: number): void {
    this.#local.putNow(record, ttlS);
    this.options.store?.put(record, ttlS).catch((error: unknown) => {
      this.options.log.warn(
        { code: errorCode('REDIS_UNAVAILABLE'), dial: record.dialId, err: error },
        'dial record not shared: a socket on another instance will not find it',
      );
    });
  }

  /** Outbound legs (ours or another instance's) and machine-detection events; not websocket legs. */
  #concerns(event: CallEvent): boolean {
    if (event.to?.startsWith('ws')) return false;
    return event.direction === 'outbound' || event.status === 'human' || event.status === 'machine' || this.#byLeg.has(event.legUuid!);
  }

  #forgetOldDials(): void {
    const ended = [...this.#dials.values()].filter((dial) => dial.endedAt !== undefined);
    for (const dial of ended.slice(0, Math.max(0, ended.length - RECENT_DIALS))) {
      this.#dials.delete(dial.dialId);
      this.#decided.delete(dial.dialId);
    }
  }

  /** Stops following: dials in progress go on at Vonage; their promises settle by their own timers. */
  close(): void {
    this.#briefings.clear();
  }
}
