import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createServer, type CreateServerOptions, type VoicesocketServer } from '../../src/server/server.js';
import type { ServerLogger } from '../../src/server/logger.js';

export interface LogLine {
  level: number;
  msg: string;
  code?: string;
  [key: string]: unknown;
}

/** A pino logger whose lines are kept for assertions ("the log says what and why"). */
export function memoryLogger(): { logger: ServerLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export interface TestServer {
  server: VoicesocketServer;
  baseUrl: string;
  socketUrl: string;
  logs: LogLine[];
  close(): Promise<void>;
}

/** A real server on 127.0.0.1 and an ephemeral port. */
export async function startTestServer(options: CreateServerOptions = {}): Promise<TestServer> {
  const { logger, lines } = memoryLogger();
  const server = createServer({ logger, ...options, config: { port: 0, host: '127.0.0.1', ...options.config } });
  const address = await server.listen();
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return { server, baseUrl, socketUrl: `ws://127.0.0.1:${address.port}/socket`, logs: lines, close: () => server.close() };
}

/** Polls `condition` (sync, or async such as a fetch) until it holds. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
