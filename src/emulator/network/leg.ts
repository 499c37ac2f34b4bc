/**
 * One leg of the phone network: a call to a phone, a SIP address or a websocket, from `started` to
 * its end. It is a participant of one conversation at a time; what its party says and hears goes
 * through that conversation's mixer, and audio played into it (REST or NCCO talk, stream, DTMF)
 * goes through its two players. It keeps its own story for the REST API (`GET /v1/calls`) and ends
 * once: it leaves its conversation, hangs up the legs its NCCO connected, and posts its last events
 * (an unconnected outcome, then `completed` — none after `rejected`, docs/protocol.md §16).
 */
import { randomUUID } from 'node:crypto';
import type { WebsocketEndpoint } from '../../protocol/ncco.js';
import type { EventPoster } from '../event-poster.js';
import { InjectedAudio } from '../injected-audio.js';
import type { EmulatorSwitches } from '../switches.js';
import { Timeline } from '../timeline.js';
import { MIX_FRAME_BYTES, type Conversation, type Participant } from './conversation.js';
import { completedBody, statusBody, type LegFacts, type Tariff } from './network-events.js';

/** Where a leg goes, as `POST /v1/calls` and `connect` name it. */
export type Destination =
  | { type: 'phone'; number: string; dtmfAnswer?: string }
  | { type: 'sip'; uri: string; headers?: Record<string, unknown> }
  | { type: 'app'; user: string }
  | { type: 'vbc'; extension: string }
  | ({ type: 'websocket' } & WebsocketEndpoint);

/** The address a destination has in events (`to`). */
export function addressOf(destination: Destination): string {
  switch (destination.type) {
    case 'phone':
      return destination.number;
    case 'sip':
    case 'websocket':
      return destination.uri;
    case 'app':
      return destination.user;
    case 'vbc':
      return destination.extension;
  }
}

/** How a leg that never connected ended, in the reference's words. */
export type Unconnected = { status: 'busy' | 'timeout' | 'unanswered' | 'rejected' | 'failed' | 'cancelled'; detail?: string };

/** What is on the far end of an answered leg. */
export interface Party {
  say(): Buffer | undefined;
  hear(frame: Buffer): void;
  dtmfFrom?(digit: string): void;
  /** Vonage ends the party's side (a socket gets a close frame); a phone simply stops. */
  close?(): void;
}

export interface LegOptions {
  /** The leg's story (shared with its event poster). */
  timeline?: Timeline;
  destination: Destination;
  from: string;
  direction: 'outbound' | 'inbound';
  conversation: Conversation;
  events: EventPoster;
  eventUrl: string | undefined;
  eventMethod: 'GET' | 'POST';
  switches: EmulatorSwitches;
  tariff: Tariff;
  /** The leg whose NCCO connected this one; it ends with it. */
  parent?: NetworkLeg;
}

export class NetworkLeg implements Participant {
  readonly uuid = randomUUID();
  readonly startedAt = Date.now();
  readonly timeline: Timeline;
  readonly destination: Destination;
  readonly from: string;
  readonly to: string;
  readonly direction: 'outbound' | 'inbound';
  readonly parent: NetworkLeg | undefined;
  readonly children = new Set<NetworkLeg>();
  /** Audio played into the leg by REST (talk, stream, DTMF) and by its NCCO (talk, stream, hold music). */
  readonly restAudio = new InjectedAudio();
  readonly nccoAudio = new InjectedAudio();
  /** Aborted when the leg ends: whatever waits on the leg (ringing, an NCCO action) stops. */
  private readonly lifetime = new AbortController();
  readonly ended: Promise<void>;
  private markEnded: () => void = () => {};
  private readonly keyListeners = new Set<(digit: string) => void>();
  conversation: Conversation;
  status = 'started';
  answeredAt: number | undefined;
  endedAt: number | undefined;
  /** How an unconnected leg ended (busy, timeout...), or how it was ended. */
  outcome: Unconnected | undefined;
  disconnectedBy: 'user' | 'platform' | undefined;
  party: Party | undefined;
  muted = false;
  earmuffed = false;
  headers: Record<string, unknown> | undefined;

  constructor(readonly options: LegOptions) {
    this.timeline = options.timeline ?? new Timeline();
    this.destination = options.destination;
    this.from = options.from;
    this.to = addressOf(options.destination);
    this.direction = options.direction;
    this.parent = options.parent;
    this.conversation = options.conversation;
    if (options.destination.type === 'websocket' && options.destination.headers) this.headers = options.destination.headers;
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
    options.parent?.children.add(this);
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  get live(): boolean {
    return this.endedAt === undefined;
  }

  /** The legs this leg's NCCO connected that have not ended. */
  liveChildren(): NetworkLeg[] {
    return [...this.children].filter((child) => child.live);
  }

  facts(): LegFacts {
    return {
      uuid: this.uuid,
      conversationUuid: this.conversation.uuid,
      from: this.from,
      to: this.to,
      direction: this.direction,
      startedAt: this.startedAt,
      endpointType: this.destination.type,
      status: this.status,
      ...(this.answeredAt !== undefined ? { answeredAt: this.answeredAt } : {}),
      ...(this.endedAt !== undefined ? { endedAt: this.endedAt } : {}),
      ...(this.headers ? { headers: this.headers } : {}),
    };
  }

  /** Posts a status event of this leg to its event URL, in order with the others. */
  post(status: string, extra: Record<string, unknown> = {}): void {
    this.status = status === 'disconnected' ? this.status : status;
    this.options.events.post(this.options.eventUrl, statusBody(this.facts(), status, extra));
  }

  /** The far end answered: its party joins the leg's conversation (`report`: post `answered`). */
  answer(party: Party, report = true): void {
    this.party = party;
    this.answeredAt = Date.now();
    this.status = 'answered';
    this.conversation.join(this);
    if (report) this.post('answered');
  }

  /** Moves the leg into another conversation (NCCO `conversation`/`transfer`); returns the one it left. */
  moveTo(conversation: Conversation): Conversation {
    const previous = this.conversation;
    if (previous === conversation) return previous;
    previous.leave(this.uuid);
    this.conversation = conversation;
    if (this.party) conversation.join(this);
    return previous;
  }

  /** A key pressed by this leg's party: its NCCO's `input` hears it, the other parties are told. */
  pressed(digit: string): void {
    for (const listener of this.keyListeners) listener(digit);
    this.conversation.dtmf(this.uuid, digit);
  }

  /** Listens to this leg's key presses; returns the removal. */
  onKey(listener: (digit: string) => void): () => void {
    this.keyListeners.add(listener);
    return () => this.keyListeners.delete(listener);
  }

  // Participant: the mixer's view of the leg.
  say(): Buffer | undefined {
    return this.party?.say();
  }

  played(): Buffer | undefined {
    if (!this.restAudio.active && !this.nccoAudio.active) return undefined;
    const frame = Buffer.alloc(MIX_FRAME_BYTES);
    if (this.nccoAudio.active) this.nccoAudio.mixInto(frame);
    if (this.restAudio.active) this.restAudio.mixInto(frame);
    return frame;
  }

  hear(frame: Buffer): void {
    this.party?.hear(frame);
  }

  dtmfFrom(digit: string): void {
    this.party?.dtmfFrom?.(digit);
  }

  /**
   * Ends the leg once. An answered leg posts `completed` (who hung up in `disconnected_by`); one that
   * never connected posts its outcome first, then `completed` — except `rejected`, after which Vonage
   * sends nothing more (docs/protocol.md §16). `reported`: the outcome was already posted (an event
   * that may answer with an NCCO, for a `connect` with `eventType: synchronous`).
   */
  end(how: { by: 'user' | 'platform' } | Unconnected, reported = false): void {
    if (this.endedAt !== undefined) return;
    this.endedAt = Date.now();
    this.lifetime.abort();
    this.conversation.leave(this.uuid);
    this.restAudio.stopAll();
    this.nccoAudio.stopAll();
    this.party?.close?.();
    for (const child of this.children) child.hangup();
    if ('status' in how) {
      this.outcome = how;
      this.status = how.status;
      if (!reported) this.post(how.status, how.detail ? { detail: how.detail } : {});
    } else this.disconnectedBy = how.by;
    if (!('status' in how) || how.status !== 'rejected') {
      this.status = 'completed';
      this.options.events.post(this.options.eventUrl, completedBody(this.facts(), this.options.tariff, this.options.switches, this.disconnectedBy));
    }
    this.timeline.add('ncco', `leg ended: ${this.outcome?.status ?? `completed by ${this.disconnectedBy}`}`);
    this.markEnded();
  }

  /** Vonage hangs the leg up (REST hangup, the end of its NCCO, its parent ending): `cancelled` while it has not answered. */
  hangup(): void {
    if (this.answeredAt === undefined) this.end({ status: 'cancelled' });
    else this.end({ by: 'platform' });
  }
}
