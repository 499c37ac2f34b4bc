/**
 * The process logger: JSON lines (pino) for machines, pretty lines when a person watches a terminal.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.js';

export type ServerLogger = PinoLogger;

export function createLogger(level: LogLevel, options: { pretty?: boolean } = {}): ServerLogger {
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  // The pid tells the processes of one instance apart (--workers).
  const base = { level, base: { service: 'voicesocket', pid: process.pid } };
  // pino-pretty as a synchronous stream (not a worker transport) so logs are flushed at exit.
  // `conversation` (the terminal's lines of what callers and agents say, src/cli/conversation-lines.ts)
  // is said in the message itself: in a terminal, one line.
  return usePretty ? pino(base, pretty({ colorize: true, sync: true, ignore: 'pid,hostname,service,conversation' })) : pino(base);
}
