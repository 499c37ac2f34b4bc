/**
 * What the server knows about calls: every leg seen on the event webhook (keyed by leg uuid and by
 * conversation uuid) and every open call socket. Memory is bounded: old legs are forgotten first.
 */
import { FINAL_STATUSES, type CallEvent } from '../protocol/webhooks.js';
import type { CallSession, CallStats } from './call-session.js';

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

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

export class CallRegistry {
  private readonly legs = new Map<string, LegRecord>();
  private readonly conversationLegs = new Map<string, Set<string>>();
  private readonly conversationEvents = new Map<string, CallEvent[]>();
  private readonly sessions = new Set<CallSession>();
  readonly endedTotals: EndedTotals = {
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
    pacerUnderruns: 0,
  };
  readonly outcomes: Record<CallOutcome, number> = { normal: 0, dropped: 0, app_error: 0, refused: 0, other: 0 };
  private readonly recent: CallSession[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Records an event under its leg, or under its conversation when it names no leg. */
  recordEvent(event: CallEvent): LegRecord | undefined {
    const at = this.now();
    if (!event.legUuid) {
      if (event.conversationUuid) {
        const list = this.conversationEvents.get(event.conversationUuid) ?? [];
        pushBounded(list, event, MAX_EVENTS_PER_LEG);
        this.conversationEvents.set(event.conversationUuid, list);
        this.evict(this.conversationEvents, MAX_CONVERSATIONS);
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
    leg.conversationUuid ??= event.conversationUuid;
    leg.direction ??= event.direction;
    leg.from ??= event.from;
    leg.to ??= event.to;
    // Events arrive out of order (docs/protocol.md §8): a final status is never replaced by an earlier-stage one.
    if (event.kind === 'status' && event.status && !leg.ended) {
      leg.status = event.status;
      leg.ended = FINAL_STATUSES.has(event.status);
    }
    leg.lastSeen = at;
    leg.eventCount++;
    pushBounded(leg.events, event, MAX_EVENTS_PER_LEG);
    if (leg.conversationUuid) {
      const set = this.conversationLegs.get(leg.conversationUuid) ?? new Set<string>();
      set.add(leg.uuid);
      this.conversationLegs.set(leg.conversationUuid, set);
    }
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
    while (this.legs.size > MAX_LEGS) {
      const oldest = this.legs.keys().next().value as string;
      const leg = this.legs.get(oldest);
      this.legs.delete(oldest);
      if (leg?.conversationUuid) {
        const set = this.conversationLegs.get(leg.conversationUuid);
        set?.delete(oldest);
        if (set && set.size === 0) this.conversationLegs.delete(leg.conversationUuid);
      }
    }
  }

  private evict<V>(map: Map<string, V>, max: number): void {
    while (map.size > max) map.delete(map.keys().next().value as string);
  }
}
