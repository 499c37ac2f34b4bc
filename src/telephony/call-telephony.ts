/**
 * One call's telephony port (the session's `transfer`, `warmTransfer`, `sendDtmf`): transfers to the
 * named destinations only, and DTMF through Vonage's REST API into the call's phone leg (the far end
 * hears it: an IVR the agent is getting through, say).
 */
import { errorCode, VoicesocketError } from '../errors.js';
import type { CallSession } from '../call/call-session.js';
import type { TelephonyPort, TransferResult, WarmTransferOptions } from '../call/telephony-types.js';
import { coldTransfer, findDestination, refusedTransfer, type NamedDestination } from './transfer.js';
import { warmTransfer, type WarmTransferParts } from './warm-transfer.js';
import { describeVonageFailure } from './vonage-failure.js';

/** Vonage's `PUT /v1/calls/:uuid/dtmf` digits: 0-9, *, #, and p for a 500 ms pause. */
export const DTMF_DIGITS = /^[0-9*#p]{1,100}$/;

export interface CallTelephonyParts extends WarmTransferParts {
  destinations: () => readonly NamedDestination[];
  from: string | undefined;
}

export class CallTelephony implements TelephonyPort {
  /** One transfer at a time: a second one while the first runs is refused. */
  #transferring = false;

  constructor(
    private readonly call: CallSession,
    private readonly parts: CallTelephonyParts,
  ) {}

  destinations(): string[] {
    return this.parts.destinations().map((destination) => destination.name);
  }

  transfer(to: string): Promise<TransferResult> {
    return this.#once('cold', to, (destination) => coldTransfer(this.call, destination, { vonage: this.parts.vonage, from: this.parts.from }));
  }

  warmTransfer(to: string, options: WarmTransferOptions): Promise<TransferResult> {
    return this.#once('warm', to, (destination) => warmTransfer(this.call, destination, options, this.parts));
  }

  async sendDtmf(digits: string): Promise<void> {
    if (typeof digits !== 'string' || !DTMF_DIGITS.test(digits)) throw new VoicesocketError('DTMF_INVALID', JSON.stringify(String(digits).slice(0, 120)));
    const leg = this.call.identity.uuid;
    if (!leg) throw new VoicesocketError('TELEPHONY_UNAVAILABLE', "this call's leg uuid is not known");
    try {
      await this.parts.vonage.playDTMF(leg, digits);
    } catch (error) {
      const { detail } = await describeVonageFailure(error);
      this.call.log.warn({ code: errorCode('DTMF_FAILED'), leg, detail }, 'DTMF could not be sent');
      throw new VoicesocketError('DTMF_FAILED', `DTMF into ${leg}: ${detail}`, { cause: error });
    }
    if (this.call.state !== 'ended') this.call.telephonyEvent('dtmf-sent', { digits, at: Date.now() }, `dtmf sent ${digits}`);
  }

  async #once(kind: 'cold' | 'warm', to: string, run: (destination: NamedDestination) => Promise<TransferResult>): Promise<TransferResult> {
    const destination = findDestination(this.parts.destinations(), String(to));
    if (!destination) return refusedTransfer(this.call, kind, String(to), this.destinations());
    if (this.#transferring) return { ok: false, kind, to: destination.name, reason: 'failed', detail: 'another transfer of this call is in progress' };
    this.#transferring = true;
    try {
      return await run(destination);
    } finally {
      this.#transferring = false;
    }
  }
}
