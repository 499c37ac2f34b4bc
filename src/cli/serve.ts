/**
 * `voicesocket serve`: the echo server (or another app) on :3000 with no configuration needed.
 */
import { Command } from 'commander';
import { VoicesocketError } from '../errors.js';
import { BUILT_IN_APPS } from '../apps/index.js';
import { SETTINGS, loadConfig, type RawSettings } from '../server/config.js';
import { createServer } from '../server/server.js';
import { loadApp } from '../server/load-app.js';

interface AppFlags {
  delay?: string;
  file?: string;
  loop?: boolean;
  dir?: string;
}
import { ANSWER_PATHS } from '../server/answer-route.js';
import { EVENT_PATHS } from '../server/event-route.js';
import { SOCKET_PATH } from '../server/socket-url.js';

/** Shutdown must finish within 5 s (systemd and container runtimes escalate soon after). */
export const SHUTDOWN_DEADLINE_MS = 4500;

export function serveCommand(): Command {
  const command = new Command('serve').description('answer Vonage calls and run an app on each call socket (echo by default)');
  for (const item of SETTINGS) {
    const allowed = item.key === 'app' ? `${Object.keys(BUILT_IN_APPS).join(', ')}, or a module path` : item.allowed;
    command.option(item.flag, `${item.description} [env ${item.env}] (${allowed})`);
  }
  command
    .option('--delay <time>', 'delay-echo: the delay (default 1s)')
    .option('--file <wav>', 'play: the prompt to play (any WAV)')
    .option('--loop', 'play: repeat the prompt until a key is pressed')
    .option('--dir <path>', 'record: where to write recordings (default recordings/)');
  command.action(async (flags: RawSettings & AppFlags) => {
    const config = loadConfig(flags);
    const appOptions = { delay: flags.delay, file: flags.file, loop: flags.loop === true, dir: flags.dir };
    const app = await loadApp(config.app, appOptions);
    const server = createServer({ config, app });
    const address = await server.listen();
    const shown = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address;
    const base = `http://${shown}:${address.port}`;
    server.logger.info(
      { answerUrl: `${base}${ANSWER_PATHS[0]}`, eventUrl: `${base}${EVENT_PATHS[0]}`, socket: `ws://${shown}:${address.port}${SOCKET_PATH}`, app: config.app, rate: config.sampleRate },
      `voicesocket listening on ${base}`,
    );

    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.logger.info({ signal, activeCalls: server.registry.activeCalls }, 'shutting down');
      const deadline = setTimeout(() => {
        server.logger.error({ code: 'VS_ERR_SHUTTING_DOWN' }, 'shutdown took too long; exiting');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      server.close().then(
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
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return command;
}

export function isUsageError(error: unknown): error is VoicesocketError {
  return error instanceof VoicesocketError && error.code === 'VS_ERR_CONFIG_INVALID';
}
