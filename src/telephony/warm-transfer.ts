/**
 * A warm transfer (LiveKit's WarmTransferTask is the model; this is it on Vonage's API): the caller
 * hears hold audio on their own call, the person named is dialled, and their call's socket briefs them
 * (briefing.ts) on whichever instance it lands. If they stay on the line, both legs are moved into one
 * new conversation (two REST transfers) and this call's socket ends. If they do not answer, decline,
 * press a key or hang up, the hold ends and the caller is back with the app (the agent), which the
 * result tells why. Each step is a `transfer` event on the call.
 */
import { randomUUID } from 'node:crypto';
import type { Voice } from '@vonage/voice';
import type { CallSession } from '../call/call-session.js';
import type { TransferResult, WarmTransferOptions } from '../call/telephony-types.js';
import type { DialedCall } from './live-dial.js';
import type { BriefingVerdict } from './briefing.js';
import { startHold } from './hold-audio.js';
import { endpointAddress, failed, transferStep, type NamedDestination } from './transfer.js';
import { describeVonageFailure } from './vonage-failure.js';

/** How long the person's phone rings by default, s: a desk phone's voicemail usually answers after 20-30 s. */
export const WARM_RINGING_TIMEOUT_S = 20;
/** Once answered, the longest a briefing (speech and the window) may take before the transfer gives up. */
export const BRIEFING_TIMEOUT_MS = 90_000;

export interface BriefingOrder {
  transferId: string;
  text: string;
  acceptWindowMs: number;
}

export interface WarmTransferParts {
  vonage: Voice;
  /** Places the call to the person, whose socket will run the briefing. */
  dialPerson(to: string, ringingTimerS: number, briefing: BriefingOrder): DialedCall;
  /** The briefing's verdict, from whichever instance briefed them. */
  briefed(transferId: string, timeoutMs: number): Promise<BriefingVerdict | undefined>;
  /** How long after the briefing a key may still decline, ms. */
  acceptWindowMs: number;
  holdAudio?: Buffer;
}

type Ending = { kind: 'result'; result: TransferResult } | { kind: 'caller-gone' };

export async function warmTransfer(
  call: CallSession,
  destination: NamedDestination,
  options: WarmTransferOptions,
  parts: WarmTransferParts,
): Promise<TransferResult> {
  const to = destination.name;
  const callerLeg = call.identity.uuid;
  transferStep(call, 'warm', to, 'started');
  if (!callerLeg) return failed(call, 'warm', to, "this call's leg uuid is not known");
  const briefing = options.briefing.trim();
  if (!briefing) return failed(call, 'warm', to, 'the briefing is empty');
  const hold = startHold(call, parts.holdAudio);
  transferStep(call, 'warm', to, 'holding');
  const transferId = randomUUID();
  const person = parts.dialPerson(endpointAddress(destination.endpoint), options.ringingTimeoutS ?? WARM_RINGING_TIMEOUT_S, {
    transferId,
    text: briefing,
    acceptWindowMs: parts.acceptWindowMs,
  });
  transferStep(call, 'warm', to, 'dialling', person.to);
  const callerGone = new Promise<Ending>((resolve) => {
    if (call.state === 'ended') resolve({ kind: 'caller-gone' });
    call.once('end', () => resolve({ kind: 'caller-gone' }));
  });

  let callerLeft = false;
  /** Set once the legs are being moved: the caller's socket ending then is the transfer working, not the caller leaving. */
  let joining = false;
  const steps = async (): Promise<Ending> => {
    const answered = await person.outcome;
    if (answered.outcome !== 'human' && answered.outcome !== 'machine') {
      const reason = answered.outcome === 'busy' || answered.outcome === 'rejected' ? 'declined' : answered.outcome === 'failed' ? 'failed' : 'unanswered';
      const detail = `${to}'s phone: ${answered.outcome}${answered.detail ? ` (${answered.detail})` : ''}`;
      return { kind: 'result', result: { ok: false, kind: 'warm', to, reason, detail } };
    }
    transferStep(call, 'warm', to, 'briefing', answered.uuid);
    const verdict = await Promise.race([
      parts.briefed(transferId, BRIEFING_TIMEOUT_MS),
      person.ended.then((): BriefingVerdict => ({ accepted: false, detail: `the call to ${to} ended` })),
    ]);
    if (callerLeft) return { kind: 'caller-gone' };
    if (!verdict?.accepted)
      return { kind: 'result', result: { ok: false, kind: 'warm', to, reason: 'declined', detail: verdict?.detail ?? 'no answer to the briefing in time' } };
    // Both legs into one new conversation; either hanging up ends it for the other.
    const room = [{ action: 'conversation', name: `warm-${transferId}`, startOnEnter: true, endOnExit: true }];
    joining = true;
    try {
      await parts.vonage.transferCallWithNCCO(answered.uuid!, room as never);
      // The person waits in the conversation; moving the caller there ends this call's socket, so the
      // step is told now, while the call can still hear of it.
      await hold.stop();
      transferStep(call, 'warm', to, 'joined', answered.uuid);
      await parts.vonage.transferCallWithNCCO(callerLeg, room as never);
    } catch (error) {
      return { kind: 'result', result: { ok: false, kind: 'warm', to, reason: 'failed', detail: (await describeVonageFailure(error)).detail } };
    }
    return { kind: 'result', result: { ok: true, kind: 'warm', to } };
  };

  const stepping = steps();
  const ending = await Promise.race([stepping, callerGone.then((gone) => (joining ? stepping : gone))]);
  if (ending.kind === 'caller-gone') {
    callerLeft = true;
    await person.cancel();
    await hold.stop();
    return { ok: false, kind: 'warm', to, reason: 'failed', detail: 'the caller hung up during the transfer' };
  }
  const { result } = ending;
  await hold.stop();
  if (result.ok) {
    call.log.info({ to, leg: callerLeg, person: person.uuid }, 'warm transfer: caller and person joined');
    call.hangup(1000, `warm transfer to ${to}: joined`);
    return result;
  }
  // The person's call may still be up (a key pressed, or the briefing timed out): it is over for them.
  if (result.reason !== 'unanswered') await person.cancel();
  if (result.reason === 'unanswered' || result.reason === 'declined') transferStep(call, 'warm', to, result.reason, result.detail);
  else failed(call, 'warm', to, result.detail);
  transferStep(call, 'warm', to, 'returned');
  return result;
}
