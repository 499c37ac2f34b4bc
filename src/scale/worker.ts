/**
 * A `serve --workers N` worker: an ordinary server whose instance-wide views (`/metrics`, the calls on
 * the dashboard and `/api/calls`) come from the primary, which asks every worker; it reports its calls'
 * start and end so the primary can name what a dying worker lost; and it drains or stops when the
 * primary says so, not on its own signals (a terminal's Ctrl-C reaches every process of the group).
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { CallSnapshot } from '../call/call-snapshot.js';
import { isMessage, type PromisedMessage, type ToPrimary, type ToWorker } from './messages.js';

/** The primary answers from memory; a reply this late means it is gone or stuck. */
const REPLY_TIMEOUT_MS = 3000;

export interface InstanceView {
  metrics(): Promise<string>;
  calls(): Promise<{ calls: CallSnapshot[]; recent: CallSnapshot[] }>;
}

export interface WorkerLink {
  view: InstanceView;
  callStarted(call: string): void;
  callEnded(call: string): void;
  /** A socket promised, kept or released here: every other worker hears of it. */
  promised(kind: PromisedMessage['kind'], key: string): void;
}

function toPrimary(message: ToPrimary): void {
  process.send?.(message);
}

export function linkWorker(options: {
  registry: Registry;
  snapshot: () => { calls: CallSnapshot[]; recent: CallSnapshot[] };
  drain: () => void;
  stopNow: () => void;
  /** Another worker's promised socket, kept or released. */
  promised?: (kind: PromisedMessage['kind'], key: string) => void;
}): WorkerLink {
  // prom-client's worker side answers the primary's AggregatorRegistry with this registry's metrics.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([options.registry]);
  // The primary decides when to stop; the terminal's signal to the whole group is not ours to act on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);

  let nextId = 0;
  const pending = new Map<number, (message: ToWorker) => void>();
  process.on('message', (message: unknown) => {
    if (!isMessage<ToWorker>(message)) return;
    switch (message.type) {
      case 'vs:drain':
        options.drain();
        return;
      case 'vs:stop-now':
        options.stopNow();
        return;
      case 'vs:snapshot':
        toPrimary({ type: 'vs:snapshot-reply', id: message.id, ...options.snapshot() });
        return;
      case 'vs:promised':
        options.promised?.(message.kind, message.key);
        return;
      default:
        pending.get(message.id)?.(message);
    }
  });
  const ask = (message: ToPrimary & { id: number }): Promise<ToWorker> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(message.id);
        reject(new Error('the primary did not answer'));
      }, REPLY_TIMEOUT_MS);
      pending.set(message.id, (reply) => {
        clearTimeout(timer);
        pending.delete(message.id);
        resolve(reply);
      });
      toPrimary(message);
    });

  return {
    view: {
      async metrics() {
        const reply = await ask({ type: 'vs:instance-metrics', id: nextId++ });
        if (reply.type !== 'vs:instance-metrics-reply' || reply.text === undefined)
          throw new Error(reply.type === 'vs:instance-metrics-reply' ? reply.error : 'no metrics');
        return reply.text;
      },
      async calls() {
        const reply = await ask({ type: 'vs:instance-calls', id: nextId++ });
        return reply.type === 'vs:instance-calls-reply' ? { calls: reply.calls, recent: reply.recent } : { calls: [], recent: [] };
      },
    },
    callStarted: (call) => toPrimary({ type: 'vs:call-started', call }),
    callEnded: (call) => toPrimary({ type: 'vs:call-ended', call }),
    promised: (kind, key) => toPrimary({ type: 'vs:promised', kind, key }),
  };
}
