/**
 * A dialled call's socket, on whichever instance it landed: what the call's app sees of its dial —
 * the outcome once answered (`dial-outcome`) and machine detection's verdicts (`machine`) — from the
 * phone leg's events, those that came before the socket (replayed) and those that come after.
 */
import type { CallSession } from '../call/call-session.js';
import type { DialInfo } from '../call/telephony-types.js';
import type { CallEvent } from '../protocol/webhooks.js';
import { DialProgress } from './dial-outcome.js';

export class SessionDial {
  readonly #progress: DialProgress;
  #outcomeSent = false;

  constructor(
    private readonly session: CallSession,
    private readonly dial: DialInfo,
  ) {
    this.#progress = new DialProgress(dial.machineDetection !== undefined);
  }

  take(event: CallEvent): void {
    if (this.session.state === 'ended') return;
    const { decided, verdict } = this.#progress.take(event);
    const uuid = this.dial.uuid;
    if (verdict) this.session.telephonyEvent('machine', { verdict, uuid, at: Date.now() }, `machine detection: ${verdict}`);
    const outcome = decided ?? this.#progress.decided;
    // A call whose socket is open was answered: only human and machine are outcomes it can have.
    if (!this.#outcomeSent && outcome && (outcome.outcome === 'human' || outcome.outcome === 'machine')) {
      this.#outcomeSent = true;
      this.session.telephonyEvent(
        'dial-outcome',
        { outcome: outcome.outcome, dialId: this.dial.dialId, uuid, to: this.dial.to, status: outcome.status, at: Date.now() },
        `dial outcome: ${outcome.outcome} (${outcome.status})`,
      );
    }
  }
}
