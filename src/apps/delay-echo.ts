/**
 * `delay-echo --delay 1s`: the caller hears themself after a delay, the simplest real test of a
 * phone line. The delay is silence queued ahead of the echo in the pacer: playout is continuous, so
 * every frame plays exactly `delay` after it arrived.
 */
import type { AppDefinition, CallApp } from './app.js';
import { durationOption } from './options.js';

/** Longer than this is no longer a line test, and memory grows with it. */
const MAX_DELAY_MS = 10_000;

export function delayEcho(delayMs: number): CallApp {
  return (session) => {
    session.once('connected', () => void session.write(Buffer.alloc(Math.round(delayMs / 20) * session.frameBytes)));
    session.on('audio', (frame) => void session.write(frame));
  };
}

export const delayEchoApp: AppDefinition = {
  name: 'delay-echo',
  description: 'echo after a delay (--delay, default 1s)',
  create: (options) => delayEcho(durationOption(options, 'delay', 1000, MAX_DELAY_MS)),
};
