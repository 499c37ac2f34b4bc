/**
 * What instances tell each other about the calls they place (`--redis`; src/scale/telephony-relay.ts).
 * Vonage posts a dialled leg's events wherever its event URL leads, and opens its socket wherever
 * the socket URL leads; behind a load balancer those are rarely the instance that dialled. So every
 * status event of an outbound leg is relayed to every instance, and each uses what concerns it: the
 * dialling one its outcome, the one holding the socket its verdicts. A warm transfer's person may be
 * briefed on another instance than the caller's: the briefing's result travels the same way.
 */
import type { CallEvent } from '../protocol/webhooks.js';

export type RelayMessage = { kind: 'event'; event: CallEvent } | { kind: 'briefed'; transferId: string; accepted: boolean; detail: string };

export interface TelephonyRelay {
  /** To every other instance; dropped (not queued) while Redis is away. */
  publish(message: RelayMessage): void;
  /** Messages of the other instances, checked before they are handed over. */
  subscribe(handler: (message: RelayMessage) => void): void;
}
