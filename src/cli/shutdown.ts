/**
 * Signals for `serve`: the first SIGTERM/SIGINT drains the server (docs/deploy.md) and then closes it
 * in order; a second one stops at once; both leave a final log line. Exit 0 on an orderly stop.
 */
import type { VoicesocketServer } from '../server/server.js';
import { SIGNAL_EXIT } from '../signal-exit.js';

/**
 * After the drain, closing must finish within 5 s: the drain's own time (delay + timeout) plus this is
 * what the orchestrator's grace period must cover (terminationGracePeriodSeconds, TimeoutStopSec).
 */
export const SHUTDOWN_DEADLINE_MS = 4500;

export interface ShutdownExtras {
  /** Runs after the server closed, before exit (closing a tunnel, saying what was left behind); its failure is logged. */
  afterClose?: () => Promise<void>;
}

export function installShutdown(server: VoicesocketServer, extras: ShutdownExtras = {}): void {
  let stopping = false;
  const stop = (signal: keyof typeof SIGNAL_EXIT) => {
    if (stopping) {
      server.logger.warn({ code: 'VS_ERR_SHUTTING_DOWN', signal }, 'second signal: stopping now');
      process.exit(SIGNAL_EXIT[signal]);
    }
    stopping = true;
    server.logger.info({ signal, activeCalls: server.registry.activeCalls }, 'shutting down');
    const { drainDelayS, drainTimeoutS } = server.config;
    const deadline = setTimeout(
      () => {
        server.logger.error({ code: 'VS_ERR_SHUTTING_DOWN' }, 'shutdown took too long; exiting');
        process.exit(1);
      },
      (drainDelayS + drainTimeoutS) * 1000 + SHUTDOWN_DEADLINE_MS,
    );
    deadline.unref();
    void closeAll(server, extras).then(
      () => {
        server.logger.info({}, 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        server.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function closeAll(server: VoicesocketServer, extras: ShutdownExtras): Promise<void> {
  await server.drain();
  await server.close();
  try {
    await extras.afterClose?.();
  } catch (error) {
    server.logger.warn({ err: error }, 'cleanup after shutdown failed');
  }
}
