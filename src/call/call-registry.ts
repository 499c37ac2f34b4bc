/**
 * What the server knows about calls: every leg seen on the event webhook (keyed by leg uuid and by
 * conversation uuid) and every open call socket. Memory is bounded: old legs are forgotten first.
 */
import { FINAL_STATUSES, statusStage, type CallEvent } from '../protocol/webhooks.js';
import type { CallSession } from './call-session.js';
import { emptyCallStats, type CallStats } from './call-types.js';

/** Outcome of a call socket, from its close code. */
export type CallOutcome = 'normal' | 'dropped' | 'app_error' | 'refused' | 'other';

export function callOutcome(code: number): CallOutcome {
  if (code === 1000 || code === 1001 || code === 1005) return 'normal';
  if (code === 1006) return 'dropped';
  if (code === 1011) return 'app_error';
  if (code === 1008 || code === 1009) return 'refused';
  return 'other';
}

/** Counters of ended calls, kept as plain numbers (metrics add the live calls at scrape time). */
export interface EndedTotals extends Record<keyof CallStats, number> {
  pacerUnderruns: number;
}

/** Legs remembered at most. A busy server has a few thousand live legs; each record is a few KB. */
export const MAX_LEGS = 10_000;
/** Events kept per leg; a normal leg has under ten (started … completed). */
export const MAX_EVENTS_PER_LEG = 32;
/** Ended call sockets kept for the dashboard, and for how long. */
export const MAX_RECENT_CALLS = 50;
export const RECENT_CALL_MS = 10 * 60_000;

/** Conversations whose leg-less events (notify, error) are remembered at most. */
export const MAX_CONVERSATIONS = 10_000;

export interface LegRecord {
  uuid: string;
  conversationUuid: string | undefined;
  status: string | undefined;
  direction: string | undefined;
  from: string | undefined;
  to: string | undefined;
  events: CallEvent[];
  /** Events received for this leg, including any dropped beyond MAX_EVENTS_PER_LEG. */
  eventCount: number;
  firstSeen: number;
  lastSeen: number;
  ended: boolean;
}

/** Byte budgets of the event store (server/limits.ts names them for the server). */
export interface EventBudget {
  /** Largest event kept as received; a bigger one keeps its parsed fields, trimmed, and a note of its size. */
  maxEventBytes: number;
  /** All stored events together; past it the oldest legs are forgotten first. */
  maxStoreBytes: number;
}

/** Longest text field of a trimmed event: numbers, uuids and statuses are far shorter. */
const MAX_TRIMMED_TEXT = 256;

/** The event as stored, and what it costs (its JSON size, an upper bound of its heap size's order). */
function sized(event: CallEvent, maxBytes: number): { event: CallEvent; bytes: number } {
  const bytes = JSON.stringify(event).length;
  if (bytes <= maxBytes) return { event, bytes };
  const text = (value: string | undefined) => value?.slice(0, MAX_TRIMMED_TEXT);
  const trimmed: CallEvent = {
    kind: event.kind,
    raw: { voicesocket_trimmed: true, bytes },
    ...(event.status !== undefined ? { status: text(event.status)! } : {}),
    ...(event.legUuid !== undefined ? { legUuid: text(event.legUuid)! } : {}),
    ...(event.conversationUuid !== undefined ? { conversationUuid: text(event.conversationUuid)! } : {}),
    ...(event.direction !== undefined ? { direction: event.direction } : {}),
    ...(event.from !== undefined ? { from: text(event.from)! } : {}),
    ...(event.to !== undefined ? { to: text(event.to)! } : {}),
    ...(event.timestamp !== undefined ? { timestamp: text(event.timestamp)! } : {}),
    ...(event.detail !== undefined ? { detail: text(event.detail)! } : {}),
    ...(event.reason !== undefined ? { reason: text(event.reason)! } : {}),
    ...(event.duration !== undefined ? { duration: event.duration } : {}),
  };
  return { event: trimmed, bytes: JSON.stringify(trimmed).length };
}

/** The status a leg has after `next` arrives: never one of an earlier stage (statusStage). */
function advance(current: string | undefined, next: string): string {
  return current === undefined || statusStage(next) >= statusStage(current) ? next : current;
}

/** A leg's status from its events in any order (docs/protocol.md §8): the furthest stage, the later on a tie. */
export function legStatus(events: readonly CallEvent[]): string | undefined {
  let status: string | undefined;
  for (const event of events) if (event.kind === 'status' && event.status) status = advance(status, event.status);
  return status;
}

export class CallRegistry {
  private readonly legs = new Map<string, LegRecord>();
  private readonly conversationLegs = new Map<string, Set<string>>();
  private readonly conversationEvents = new Map<string, CallEvent[]>();
  private readonly sessions = new Set<CallSession>();
  readonly endedTotals: EndedTotals = { ...emptyCallStats(), pacerUnderruns: 0 };
  readonly outcomes: Record<CallOutcome, number> = { normal: 0, dropped: 0, app_error: 0, refused: 0, other: 0 };
  private readonly recent: CallSession[] = [];
  /** What each stored event costs, and all of them together. */
  private readonly eventBytes = new WeakMap<CallEvent, number>();
  private storedBytes = 0;
  private readonly budget: EventBudget;

  constructor(
    private readonly now: () => number = Date.now,
    budget: Partial<EventBudget> = {},
  ) {
    // A Vonage event is well under 2 KiB; the defaults hold ~10 000 legs of normal calls.
    this.budget = { maxEventBytes: 4096, maxStoreBytes: 32 * 1024 * 1024, ...budget };
  }

  /** Bytes of all stored events (bounded by the budget). */
  get eventStoreBytes(): number {
    return this.storedBytes;
  }

  /** Stores an event in a bounded list, keeping the byte count; evicts old legs past the budget. */
  private store(list: CallEvent[], event: CallEvent): void {
    const { event: kept, bytes } = sized(event, this.budget.maxEventBytes);
    list.push(kept);
    this.eventBytes.set(kept, bytes);
    this.storedBytes += bytes;
    while (list.length > MAX_EVENTS_PER_LEG) this.forget(list.shift()!);
    while (this.storedBytes > this.budget.maxStoreBytes && (this.legs.size > 1 || this.conversationEvents.size > 0)) {
      // The oldest conversation events go before the oldest legs: a leg is what a live call needs.
      const conversation = this.conversationEvents.keys().next().value as string | undefined;
      if (conversation !== undefined && this.conversationEvents.get(conversation) !== list) this.dropConversationEvents(conversation);
      else this.dropLeg(this.legs.keys().next().value as string);
    }
  }

  private forget(event: CallEvent): void {
    this.storedBytes -= this.eventBytes.get(event) ?? 0;
  }

  private dropConversationEvents(uuid: string): void {
    for (const event of this.conversationEvents.get(uuid) ?? []) this.forget(event);
    this.conversationEvents.delete(uuid);
  }

  /** Records an event under its leg, or under its conversation when it names no leg. */
  recordEvent(event: CallEvent): LegRecord | undefined {
    const at = this.now();
    if (!event.legUuid) {
      if (event.conversationUuid) {
        const list = this.conversationEvents.get(event.conversationUuid) ?? [];
        this.conversationEvents.set(event.conversationUuid, list);
        this.store(list, event);
        while (this.conversationEvents.size > MAX_CONVERSATIONS) this.dropConversationEvents(this.conversationEvents.keys().next().value as string);
      }
      return undefined;
    }
    let leg = this.legs.get(event.legUuid);
    if (!leg) {
      leg = {
        uuid: event.legUuid,
        conversationUuid: undefined,
        status: undefined,
        direction: undefined,
        from: undefined,
        to: undefined,
        events: [],
        eventCount: 0,
        firstSeen: at,
        lastSeen: at,
        ended: false,
      };
      this.legs.set(leg.uuid, leg);
      this.evictLegs();
    }
    // Identity fields come from whoever posts first: kept short, whatever was sent.
    leg.conversationUuid ??= event.conversationUuid?.slice(0, MAX_TRIMMED_TEXT);
    leg.direction ??= event.direction;
    leg.from ??= event.from?.slice(0, MAX_TRIMMED_TEXT);
    leg.to ??= event.to?.slice(0, MAX_TRIMMED_TEXT);
    // Events arrive out of order (docs/protocol.md §8): a status never replaces one of a later stage.
    if (event.kind === 'status' && event.status && !leg.ended) {
      leg.status = advance(leg.status, event.status);
      leg.ended = FINAL_STATUSES.has(leg.status);
    }
    leg.lastSeen = at;
    leg.eventCount++;
    if (leg.conversationUuid) {
      const set = this.conversationLegs.get(leg.conversationUuid) ?? new Set<string>();
      set.add(leg.uuid);
      this.conversationLegs.set(leg.conversationUuid, set);
    }
    this.store(leg.events, event);
    return leg;
  }

  leg(uuid: string): LegRecord | undefined {
    return this.legs.get(uuid);
  }

  /** Every leg of a conversation, plus the conversation's leg-less events. */
  conversation(conversationUuid: string): { legs: LegRecord[]; events: CallEvent[] } {
    const uuids = this.conversationLegs.get(conversationUuid) ?? new Set<string>();
    const legs = [...uuids].map((uuid) => this.legs.get(uuid)).filter((leg): leg is LegRecord => leg !== undefined);
    return { legs, events: this.conversationEvents.get(conversationUuid) ?? [] };
  }

  addSession(session: CallSession): void {
    this.sessions.add(session);
    session.once('end', (end) => {
      this.sessions.delete(session);
      for (const key of Object.keys(session.stats) as Array<keyof CallStats>) this.endedTotals[key] += session.stats[key];
      this.endedTotals.pacerUnderruns += session.pacerStats?.underruns ?? 0;
      this.outcomes[callOutcome(end.code)]++;
      this.recent.push(session);
      if (this.recent.length > MAX_RECENT_CALLS) this.recent.shift();
    });
  }

  /** Counters of every call so far: the ended ones' plus the live ones' current values. */
  totals(): EndedTotals {
    const sum: EndedTotals = { ...this.endedTotals };
    for (const session of this.sessions) {
      for (const key of Object.keys(session.stats) as Array<keyof CallStats>) sum[key] += session.stats[key];
      sum.pacerUnderruns += session.pacerStats?.underruns ?? 0;
    }
    return sum;
  }

  /** Recently ended call sockets, newest last (bounded in count and age). */
  recentSessions(now = Date.now()): CallSession[] {
    while (this.recent.length > 0 && now - (this.recent[0]!.startedAt + this.recent[0]!.durationMs) > RECENT_CALL_MS) this.recent.shift();
    return [...this.recent];
  }

  /** Call sockets open now. */
  get activeCalls(): number {
    return this.sessions.size;
  }

  activeSessions(): IterableIterator<CallSession> {
    return this.sessions.values();
  }

  /** The event record of the leg a socket carries (from its uuid header). */
  legFor(session: CallSession): LegRecord | undefined {
    return session.identity.uuid ? this.legs.get(session.identity.uuid) : undefined;
  }

  private evictLegs(): void {
    while (this.legs.size > MAX_LEGS) this.dropLeg(this.legs.keys().next().value as string);
  }

  private dropLeg(uuid: string): void {
    const leg = this.legs.get(uuid);
    if (!leg) return;
    this.legs.delete(uuid);
    for (const event of leg.events) this.forget(event);
    if (leg.conversationUuid) {
      const set = this.conversationLegs.get(leg.conversationUuid);
      set?.delete(uuid);
      if (set && set.size === 0) this.conversationLegs.delete(leg.conversationUuid);
    }
  }
}
