/**
 * What the primary and its workers say to each other over the cluster's IPC channel (`--workers`).
 * One shape per message; requests carry an id, replies echo it.
 */
import type { CallSnapshot } from '../call/call-snapshot.js';

export type ToPrimary =
  | { type: 'vs:call-started'; call: string }
  | { type: 'vs:call-ended'; call: string }
  | { type: 'vs:instance-metrics'; id: number }
  | { type: 'vs:instance-calls'; id: number }
  | { type: 'vs:snapshot-reply'; id: number; calls: CallSnapshot[]; recent: CallSnapshot[] }
  | PromisedMessage;

export type ToWorker =
  | { type: 'vs:drain' }
  | { type: 'vs:stop-now' }
  | { type: 'vs:instance-metrics-reply'; id: number; text?: string; error?: string }
  | { type: 'vs:instance-calls-reply'; id: number; calls: CallSnapshot[]; recent: CallSnapshot[] }
  | { type: 'vs:snapshot'; id: number }
  | PromisedMessage;

/**
 * A socket an answer promised, or one kept or released (server/promised-sockets.ts): relayed by the
 * primary to every other worker, as a call's answer and its socket may land on different workers.
 */
export type PromisedMessage = { type: 'vs:promised'; kind: 'promise' | 'settle'; key: string };

export function isMessage<T extends { type: string }>(value: unknown): value is T {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' && (value as { type: string }).type.startsWith('vs:')
  );
}
