/**
 * Barge-in: whatever is playing stops the moment the caller speaks (voice activity) or presses a key
 * (DTMF): `clear` drops our queue and Vonage's, so the caller hears no more of it.
 */
import type { CallSession } from '../call/call-session.js';

export type BargeIn = 'speech' | 'dtmf' | 'both' | 'none';

export const BARGE_IN_MODES: readonly BargeIn[] = ['speech', 'dtmf', 'both', 'none'];

/** Installs barge-in on a call; `onBargeIn` runs after each clear it sends. */
export function bargeIn(session: CallSession, mode: BargeIn, onBargeIn?: (by: 'speech' | 'dtmf') => void): void {
  const stop = (by: 'speech' | 'dtmf') => {
    if (!session.playing) return;
    void session.clear();
    onBargeIn?.(by);
  };
  if (mode === 'speech' || mode === 'both') {
    void session.listen();
    session.on('speech-start', () => stop('speech'));
  }
  if (mode === 'dtmf' || mode === 'both') session.on('dtmf', () => stop('dtmf'));
}
