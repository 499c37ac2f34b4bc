/**
 * The telephony side of a call, as apps see it on the session: the dial that placed it and its
 * context, machine-detection verdicts, transfers to named destinations and DTMF out. The work is the
 * server's telephony (src/telephony/), reached through a `TelephonyPort` it sets on each session; a
 * server without Vonage credentials has none, and these methods say so with a coded error.
 */
import { VoicesocketError } from '../errors.js';
import { CallEmitter, type CallSessionEvents } from './call-events.js';
import type { CallActivity } from './call-activity.js';
import type { DialInfo, DtmfSent, MachineEvent, TelephonyPort, TransferResult, TransferStep, WarmTransferOptions } from './telephony-types.js';

/** The telephony events of a session: emitted only by the server's telephony. */
export type TelephonyEventName = 'dial-outcome' | 'machine' | 'transfer' | 'dtmf-sent';

/** What the call's record keeps of a telephony event (docs/records.md). */
function recordActivityOf(name: TelephonyEventName, event: unknown): CallActivity | undefined {
  switch (name) {
    case 'machine': {
      const { verdict } = event as MachineEvent;
      // A beep (or its absence) follows a machine verdict: the record keeps the machine, with what came after.
      return verdict === 'human' || verdict === 'machine'
        ? { kind: 'machine-detection', result: verdict, detail: 'vonage advanced machine detection' }
        : { kind: 'machine-detection', result: 'machine', detail: verdict };
    }
    case 'transfer': {
      const step = event as TransferStep;
      return { kind: 'transfer', to: step.to, mode: step.kind, detail: step.detail ? `${step.step}: ${step.detail}` : step.step };
    }
    case 'dtmf-sent':
      return { kind: 'dtmf-sent', digits: (event as DtmfSent).digits };
    case 'dial-outcome':
      return { kind: 'direction', direction: 'outbound' };
  }
}

export abstract class CallPhone extends CallEmitter {
  /** Set by the server when it can reach Vonage's Voice API. */
  telephony: TelephonyPort | undefined;
  /** The dial that placed this call, once known; undefined for a call that came in. */
  dial: DialInfo | undefined;
  /** Machine-detection verdicts so far, in order (`machine` events). */
  readonly verdicts: MachineEvent[] = [];
  /**
   * True while a warm transfer holds the caller: an agent on the call neither hears the caller nor
   * stops for their voice (the hold audio is playing).
   */
  onHold = false;
  #dialKnown: Promise<DialInfo | undefined> | undefined;
  #settleDial: ((dial: DialInfo | undefined) => void) | undefined;

  /**
   * The dial that placed this call and its context (`context` is the JSON given when dialling),
   * wherever the socket landed; undefined for a call that came in. Resolves once the socket has said
   * who it is and the dial was looked up (from memory, or Redis across instances).
   */
  dialed(): Promise<DialInfo | undefined> {
    this.#dialKnown ??= new Promise((resolve) => (this.#settleDial = resolve));
    return this.#dialKnown;
  }

  /** The server's telephony, once it knows: the dial (or undefined), never twice. */
  dialResolved(dial: DialInfo | undefined): void {
    if (this.#dialKnown === undefined) this.#dialKnown = Promise.resolve(dial);
    // The record's direction: this server placed the call (the socket's own events may not say so).
    if (dial && !this.dial) this.report({ kind: 'direction', direction: 'outbound' });
    this.dial ??= dial;
    this.#settleDial?.(dial);
    this.#settleDial = undefined;
  }

  /** Moves the caller to a named destination (`--transfer name=…`); the call's socket ends. */
  transfer(to: string): Promise<TransferResult> {
    return this.#port().then((port) => port.transfer(to));
  }

  /**
   * Hold audio for the caller while the person named `to` is dialled and told `briefing`; then the
   * two are joined. If the person does not answer, declines or presses a key, the caller is back on
   * this call and the result says why.
   */
  warmTransfer(to: string, options: WarmTransferOptions): Promise<TransferResult> {
    return this.#port().then((port) => port.warmTransfer(to, options));
  }

  /** Plays DTMF digits (0-9, *, #, p for a pause) into the call through Vonage's REST API. */
  sendDtmf(digits: string): Promise<void> {
    return this.#port().then((port) => port.sendDtmf(digits));
  }

  /**
   * Emits a telephony event, noting it on the call's timeline and telling the call's record (the
   * server's telephony calls this).
   */
  telephonyEvent<K extends TelephonyEventName>(name: K, event: CallSessionEvents[K][0], line: string): void {
    if (name === 'machine') this.verdicts.push(event as MachineEvent);
    this.note(line);
    const activity = recordActivityOf(name, event);
    if (activity) this.report(activity);
    this.emitSafely(name, ...([event] as unknown as CallSessionEvents[K]));
  }

  async #port(): Promise<TelephonyPort> {
    if (!this.telephony)
      throw new VoicesocketError('TELEPHONY_UNAVAILABLE', 'set VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY (or give createServer a Voice client)');
    return this.telephony;
  }
}
