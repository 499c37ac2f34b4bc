/**
 * What the dashboard and `GET /api/calls` show of a call: identity, state, counters, levels, and its
 * timeline of webhook and socket events. Computed on request, never per frame.
 */
import { pcm16RmsDbfs } from '../audio/levels.js';
import type { CallEvent } from '../protocol/webhooks.js';
import { legStatus, type CallRegistry } from './call-registry.js';
import type { CallSession } from './call-session.js';
import type { AgentTurnSnapshot } from './call-types.js';
import type { DialSnapshot } from './telephony-types.js';

export type { AgentTurnSnapshot } from './call-types.js';

export interface CallSnapshot {
  /** The process serving the call: with `--workers`, tells the workers apart. */
  pid: number;
  /** With `--redis`: the instance serving the call (host and pid). */
  instance?: string;
  id: string;
  uuid: string | undefined;
  conversationUuid: string | undefined;
  from: string | undefined;
  to: string | undefined;
  state: string;
  /** The leg's status from the event webhooks (answered, completed, ...), wherever they arrived. */
  status: string | undefined;
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
  /** Present once the app used speech: who is speaking, the transcript so far (finals, then the interim one). */
  speech?: CallSpeechSnapshot;
  /** Present on a voice agent's call: who runs it (`openai`, `gemini`, ...) and its turns, newest last. */
  agent?: { provider?: string; turns: AgentTurnSnapshot[] };
  timeline: Array<{ at: number; source: 'webhook' | 'socket'; text: string }>;
}

export interface CallSpeechSnapshot {
  callerSpeaking: boolean;
  appSpeaking: boolean;
  transcript: Array<{
    kind: 'interim' | 'final';
    text: string;
    startMs: number;
    endMs: number;
    engine: string;
    sentiment?: { label: string; score: number; comparative: number };
  }>;
}

/** Calls in progress and recently ended, as `/api/calls` answers. */
export interface CallList {
  calls: CallSnapshot[];
  recent: CallSnapshot[];
  /** Calls this instance placed, ringing, answered or recently over (src/telephony/). */
  dials?: DialSnapshot[];
}

function level(frame: Buffer | undefined): number | null {
  if (!frame) return null;
  const db = pcm16RmsDbfs(frame);
  return Number.isFinite(db) ? Math.round(db * 10) / 10 : null;
}

/**
 * The snapshot with its webhook part (status and timeline) taken from these events: with `--redis`
 * the events of a leg may have arrived at other instances than the one serving its socket.
 */
export function withLegEvents(snapshot: CallSnapshot, events: readonly CallEvent[], lastSeen = snapshot.startedAt): CallSnapshot {
  const webhook = events.map((event) => ({
    at: event.timestamp ? Date.parse(event.timestamp) || lastSeen : lastSeen,
    source: 'webhook' as const,
    text: event.status ?? event.kind,
  }));
  const socket = snapshot.timeline.filter((entry) => entry.source === 'socket');
  return { ...snapshot, status: legStatus(events), timeline: [...webhook, ...socket].sort((a, b) => a.at - b.at) };
}

export function snapshotCall(session: CallSession, registry: CallRegistry): CallSnapshot {
  const leg = registry.legFor(session);
  const socket = session.socketEvents.map((event) => ({ at: event.at, source: 'socket' as const, text: event.text }));
  const snapshot: CallSnapshot = {
    pid: process.pid,
    id: session.id,
    uuid: session.identity.uuid,
    conversationUuid: session.identity.conversationUuid,
    from: session.identity.from,
    to: session.identity.to,
    state: session.state,
    status: undefined,
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
    timeline: socket,
  };
  const speech = session.speechIfUsed;
  if (speech) {
    const results = speech.interim ? [...speech.transcript, speech.interim] : speech.transcript;
    snapshot.speech = {
      callerSpeaking: speech.speaking,
      appSpeaking: session.playing,
      transcript: results.map((r) => ({
        kind: r.kind,
        text: r.text,
        startMs: r.startMs,
        endMs: r.endMs,
        engine: r.engine,
        ...(r.sentiment
          ? { sentiment: { label: r.sentiment.label, score: r.sentiment.score, comparative: Math.round(r.sentiment.comparative * 1000) / 1000 } }
          : {}),
      })),
    };
  }
  const turns = session.agentTurns?.();
  if (turns) snapshot.agent = { ...(session.agentProvider ? { provider: session.agentProvider } : {}), turns };
  return withLegEvents(snapshot, leg?.events ?? [], leg?.lastSeen);
}
