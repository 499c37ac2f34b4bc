/**
 * `serve --workers N`: the primary process. It forks N workers that share one port (Node's cluster:
 * the primary accepts connections and hands them round-robin to the workers), replaces a worker that
 * dies and logs each call it lost, answers the workers' questions about the whole instance (metrics
 * through prom-client's AggregatorRegistry, the calls of every worker), and on a signal drains every
 * worker. It serves nothing itself and holds no call. docs/deploy.md "Every core".
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { errorCode } from '../errors.js';
import type { Logger } from '../call/logger.js';
import type { CallSnapshot } from '../call/call-snapshot.js';
import { isMessage, type ToPrimary, type ToWorker } from './messages.js';
import { SIGNAL_EXIT } from '../signal-exit.js';

/** How long a worker may take to answer for its calls: a busy one is left out, not waited for. */
const SNAPSHOT_TIMEOUT_MS = 1000;

export function runPrimary(count: number, log: Logger): void {
  const aggregator = new AggregatorRegistry();
  const callsOf = new Map<Worker, Set<string>>();
  let stopping = false;
  let nextId = 0;
  const waiting = new Map<number, { calls: CallSnapshot[]; recent: CallSnapshot[]; left: number; done: () => void }>();

  const send = (worker: Worker, message: ToWorker) => {
    if (worker.isConnected()) worker.send(message);
  };

  const fork = () => {
    const worker = cluster.fork();
    callsOf.set(worker, new Set());
    worker.on('message', (message: unknown) => {
      if (isMessage<ToPrimary>(message)) void answer(worker, message);
    });
  };

  /** Every worker's calls, gathered for one worker's dashboard or `/api/calls`. */
  const gather = (): Promise<{ calls: CallSnapshot[]; recent: CallSnapshot[] }> => {
    const id = nextId++;
    const workers = [...callsOf.keys()].filter((worker) => worker.isConnected());
    return new Promise((resolve) => {
      const entry = { calls: [] as CallSnapshot[], recent: [] as CallSnapshot[], left: workers.length, done: () => undefined as void };
      const timer = setTimeout(() => entry.done(), SNAPSHOT_TIMEOUT_MS);
      entry.done = () => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve({ calls: entry.calls, recent: entry.recent });
      };
      waiting.set(id, entry);
      if (workers.length === 0) entry.done();
      for (const worker of workers) send(worker, { type: 'vs:snapshot', id });
    });
  };

  const answer = async (worker: Worker, message: ToPrimary): Promise<void> => {
    switch (message.type) {
      case 'vs:call-started':
        callsOf.get(worker)?.add(message.call);
        return;
      case 'vs:call-ended':
        callsOf.get(worker)?.delete(message.call);
        return;
      case 'vs:snapshot-reply': {
        const entry = waiting.get(message.id);
        if (!entry) return;
        entry.calls.push(...message.calls);
        entry.recent.push(...message.recent);
        if (--entry.left === 0) entry.done();
        return;
      }
      case 'vs:instance-metrics':
        try {
          send(worker, { type: 'vs:instance-metrics-reply', id: message.id, text: await aggregator.clusterMetrics() });
        } catch (error) {
          send(worker, { type: 'vs:instance-metrics-reply', id: message.id, error: (error as Error).message });
        }
        return;
      case 'vs:instance-calls':
        send(worker, { type: 'vs:instance-calls-reply', id: message.id, ...(await gather()) });
        return;
      case 'vs:promised':
        for (const other of callsOf.keys()) if (other !== worker) send(other, message);
        return;
    }
  };

  // A worker that dies before it ever listened failed at start (its setting, its app, its port): a
  // replacement would fail the same way, forever. The instance stops instead, with the worker's code.
  const listened = new WeakSet<Worker>();
  cluster.on('listening', (worker) => listened.add(worker));

  cluster.on('exit', (worker, code, signal) => {
    const lost = [...(callsOf.get(worker) ?? [])];
    callsOf.delete(worker);
    if (!stopping && !listened.has(worker)) {
      stopping = true;
      log.error({ code: errorCode('WORKER_DIED'), workerPid: worker.process.pid, exitCode: code, signal }, 'a worker failed at start; stopping');
      for (const other of callsOf.keys()) other.process.kill('SIGKILL');
      process.exit(code > 0 ? code : 1);
    }
    if (stopping) {
      if (callsOf.size === 0) {
        log.info({}, 'every worker has stopped');
        process.exit(0);
      }
      return;
    }
    log.error(
      { code: errorCode('WORKER_DIED'), workerPid: worker.process.pid, exitCode: code, signal, lostCalls: lost.length },
      'a worker died; starting another',
    );
    for (const call of lost) log.error({ code: errorCode('WORKER_DIED'), call, workerPid: worker.process.pid }, 'call lost with its worker');
    fork();
  });

  const stop = (signal: keyof typeof SIGNAL_EXIT) => {
    if (stopping) {
      log.warn({ code: errorCode('SHUTTING_DOWN'), signal }, 'second signal: stopping every worker now');
      for (const worker of callsOf.keys()) send(worker, { type: 'vs:stop-now' });
      setTimeout(() => process.exit(SIGNAL_EXIT[signal]), 200).unref();
      return;
    }
    stopping = true;
    log.info({ signal, workers: callsOf.size }, 'draining every worker');
    for (const worker of callsOf.keys()) send(worker, { type: 'vs:drain' });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  log.info({ workers: count }, `starting ${count} workers on one port`);
  for (let i = 0; i < count; i++) fork();
}
