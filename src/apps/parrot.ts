/**
 * `parrot`: hears an utterance and says it back — "you said …" — the whole speech loop (detect,
 * transcribe, synthesize, play) offline. The caller may talk over the reply: it stops at once.
 */
import type { CallSession } from '../call/call-session.js';
import type { AppDefinition } from './app.js';
import { bargeIn } from './barge-in.js';

export const parrot = (session: CallSession): void => {
  session.once('connected', () => {
    session.transcribe();
    void session.say('Say something, and I will say it back.');
  });
  bargeIn(session, 'speech');
  session.on('transcript', async (event) => {
    if (event.kind !== 'final') return;
    await session.say(`you said ${event.text}`);
  });
};

export const parrotApp: AppDefinition = {
  name: 'parrot',
  description: 'says back what the caller said ("you said …"); speech recognition and synthesis offline',
  create: () => parrot,
};
