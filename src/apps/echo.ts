/**
 * The default app: every audio frame the caller sends goes straight back, byte-identical and in
 * order, with no added latency. Control messages are never echoed (the tutorial's mistake): only
 * audio events are subscribed to. `sendAudio` re-frames off-size input, so nothing but exact frames
 * ever leaves.
 */
import type { CallSession } from '../call/call-session.js';
import type { AppDefinition } from './app.js';

export const echo = (session: CallSession): void => {
  session.on('audio', (frame) => session.sendAudio(frame));
};

export const echoApp: AppDefinition = {
  name: 'echo',
  description: 'sends every caller frame straight back (default)',
  create: () => echo,
};
