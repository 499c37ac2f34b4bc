/**
 * Cold transfers, to the operator's named destinations only: the caller's leg is moved to a new NCCO
 * that connects the destination (Vonage's `PUT /v1/calls/:uuid` transfer), and this call's socket
 * ends. A name that is not one of the destinations is refused before anything is dialled: a caller
 * or a model cannot make the server call a number nobody named.
 */
import type { Voice } from '@vonage/voice';
import { errorCode } from '../errors.js';
import type { CallSession } from '../call/call-session.js';
import type { TransferKind, TransferResult, TransferStepName } from '../call/telephony-types.js';
import { describeVonageFailure } from './vonage-failure.js';

import type { Endpoint, NamedDestination } from './destinations.js';

export type { NamedDestination } from './destinations.js';
export type TransferEndpoint = Endpoint;

/** The destination of this name (names are matched without regard to case), if the operator named it. */
export function findDestination(destinations: readonly NamedDestination[], name: string): NamedDestination | undefined {
  const wanted = name.trim().toLowerCase();
  return destinations.find((destination) => destination.name.toLowerCase() === wanted);
}

/** How a destination is dialled: its number, or its SIP URI. */
export function endpointAddress(endpoint: TransferEndpoint): string {
  return endpoint.type === 'phone' ? endpoint.number : endpoint.uri;
}

/** Emits one step of a transfer on the call (its timeline, its `transfer` event). */
export function transferStep(call: CallSession, kind: TransferKind, to: string, step: TransferStepName, detail?: string): void {
  if (call.state === 'ended') return;
  call.telephonyEvent(
    'transfer',
    { kind, to, step, ...(detail ? { detail } : {}), at: Date.now() },
    `${kind} transfer to ${to}: ${step}${detail ? ` (${detail})` : ''}`,
  );
}

/** A refusal for a name that is not a destination: logged (coded) and said in words a model can relay. */
export function refusedTransfer(call: CallSession, kind: TransferKind, name: string, names: string[]): TransferResult {
  call.log.warn({ code: errorCode('TRANSFER_REFUSED'), to: name.slice(0, 100), destinations: names }, 'transfer refused: not a named destination');
  return {
    ok: false,
    kind,
    to: name,
    reason: 'refused',
    detail:
      names.length > 0
        ? `there is no destination named ${JSON.stringify(name)}; the destinations are ${names.join(', ')}`
        : 'no transfer destinations are set up',
  };
}

export interface ColdTransferParts {
  vonage: Voice;
  /** Caller ID of the new call leg: a number of the account. */
  from: string | undefined;
}

export async function coldTransfer(call: CallSession, destination: NamedDestination, parts: ColdTransferParts): Promise<TransferResult> {
  const to = destination.name;
  const leg = call.identity.uuid;
  transferStep(call, 'cold', to, 'started');
  if (!leg) return failed(call, 'cold', to, "this call's leg uuid is not known");
  const connect = { action: 'connect', endpoint: [destination.endpoint], ...(parts.from ? { from: parts.from } : {}) };
  try {
    await parts.vonage.transferCallWithNCCO(leg, [connect] as never);
  } catch (error) {
    return failed(call, 'cold', to, (await describeVonageFailure(error)).detail);
  }
  transferStep(call, 'cold', to, 'connected');
  call.log.info({ to, leg }, 'call transferred');
  // The caller's leg runs the new NCCO now; this socket carries nobody.
  call.hangup(1000, `transferred to ${to}`);
  return { ok: true, kind: 'cold', to };
}

export function failed(call: CallSession, kind: TransferKind, to: string, detail: string): TransferResult {
  call.log.warn({ code: errorCode('TRANSFER_FAILED'), to, detail }, 'transfer failed');
  transferStep(call, kind, to, 'failed', detail);
  return { ok: false, kind, to, reason: 'failed', detail };
}
