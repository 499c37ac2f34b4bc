/**
 * The process logger: JSON lines (pino) for machines, pretty lines when a person watches a terminal.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.js';

export type ServerLogger = PinoLogger;

export function createLogger(
  level: LogLevel,
  options: { pretty?: boolean; /** 2: stderr, for commands whose stdout is their result. */ destination?: 1 | 2 } = {},
): ServerLogger {
  const destination = options.destination ?? 1;
  const usePretty = options.pretty ?? (destination === 1 ? process.stdout : process.stderr).isTTY === true;
  // The pid tells the processes of one instance apart (--workers).
  const base = { level, base: { service: 'voicesocket', pid: process.pid } };
  // pino-pretty as a synchronous stream (not a worker transport) so logs are flushed at exit.
  // `conversation` (the terminal's lines of what callers and agents say, src/cli/conversation-lines.ts)
  // is said in the message itself: in a terminal, one line.
  if (usePretty) return pino(base, pretty({ colorize: true, sync: true, ignore: 'pid,hostname,service,conversation', destination }));
  return destination === 1 ? pino(base) : pino(base, pino.destination({ dest: destination, sync: true }));
}
