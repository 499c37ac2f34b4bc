/**
 * Barge-in: whatever is playing stops when the caller interrupts by voice or presses a key (DTMF):
 * `clear` drops our queue and Vonage's, so the caller hears no more of it. Speech interrupts as the
 * barge-in policy says (docs/turn-taking.md): once it has lasted `minSpeechMs` of voiced time
 * (default 500 ms: a cough or a short "yeah" does not), and, with `words` (an app that transcribes the
 * call), as soon as a word is heard that is not an acknowledgement.
 */
import type { CallSession } from '../call/call-session.js';
import { BargeInGate, type BargeInSettings } from '../call/barge-in-gate.js';

export type BargeIn = 'speech' | 'dtmf' | 'both' | 'none';

export const BARGE_IN_MODES: readonly BargeIn[] = ['speech', 'dtmf', 'both', 'none'];

export interface BargeInOptions extends BargeInSettings {
  /** The app transcribes the call: its words decide (an "uh-huh" never interrupts). Default false. */
  words?: boolean;
}

/** Installs barge-in on a call; `onBargeIn` runs after each clear it sends. */
export function bargeIn(session: CallSession, mode: BargeIn, onBargeIn?: (by: 'speech' | 'dtmf') => void, options: BargeInOptions = {}): void {
  const stop = (by: 'speech' | 'dtmf') => {
    if (!session.playing) return;
    void session.clear();
    onBargeIn?.(by);
  };
  if (mode === 'speech' || mode === 'both') {
    void session.listen();
    new BargeInGate(session, options, () => stop('speech'));
  }
  if (mode === 'dtmf' || mode === 'both') session.on('dtmf', () => stop('dtmf'));
}
