/**
 * What the dashboard and `GET /api/calls` show of a call: identity, state, counters, levels, and its
 * timeline of webhook and socket events. Computed on request, never per frame.
 */
import { pcm16RmsDbfs } from '../audio/levels.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { CallSession } from '../call/call-session.js';

export interface CallSnapshot {
  /** The process serving the call: with `--workers`, tells the workers apart. */
  pid: number;
  id: string;
  uuid: string | undefined;
  conversationUuid: string | undefined;
  from: string | undefined;
  to: string | undefined;
  state: string;
  startedAt: number;
  durationMs: number;
  rate: number;
  framesIn: number;
  framesOut: number;
  framesDropped: number;
  dtmf: number;
  playedMs: number;
  /** RMS of the latest frame each way, dBFS (null: nothing yet, or silence). */
  levelInDb: number | null;
  levelOutDb: number | null;
  closeCode: number | undefined;
  timeline: Array<{ at: number; source: 'webhook' | 'socket'; text: string }>;
}

function level(frame: Buffer | undefined): number | null {
  if (!frame) return null;
  const db = pcm16RmsDbfs(frame);
  return Number.isFinite(db) ? Math.round(db * 10) / 10 : null;
}

export function snapshotCall(session: CallSession, registry: CallRegistry): CallSnapshot {
  const leg = registry.legFor(session);
  const webhook = (leg?.events ?? []).map((event) => ({
    at: event.timestamp ? Date.parse(event.timestamp) || leg!.lastSeen : leg!.lastSeen,
    source: 'webhook' as const,
    text: event.status ?? event.kind,
  }));
  const socket = session.socketEvents.map((event) => ({ at: event.at, source: 'socket' as const, text: event.text }));
  return {
    pid: process.pid,
    id: session.id,
    uuid: session.identity.uuid,
    conversationUuid: session.identity.conversationUuid,
    from: session.identity.from,
    to: session.identity.to,
    state: session.state,
    startedAt: session.startedAt,
    durationMs: Math.round(session.durationMs),
    rate: session.sampleRate,
    framesIn: session.stats.framesIn,
    framesOut: session.stats.framesOut,
    framesDropped: session.stats.framesDropped,
    dtmf: session.stats.dtmfIn,
    playedMs: session.playedMs,
    levelInDb: session.state === 'ended' ? null : level(session.lastFrameIn),
    levelOutDb: session.state === 'ended' ? null : level(session.lastFrameOut),
    closeCode: session.end?.code,
    timeline: [...webhook, ...socket].sort((a, b) => a.at - b.at),
  };
}
