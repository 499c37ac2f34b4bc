/**
 * Placing one call with Vonage's Voice API (`POST /v1/calls` through `@vonage/voice`): the request
 * checked before anything is sent, and the NCCO that connects the answered call to this server's
 * socket. Vonage knows the phone leg's uuid only once it answers the request, so the NCCO cannot carry
 * it: it carries our own dial id in the websocket headers (within Vonage's 512 bytes), and the socket,
 * on whichever instance it lands, finds the dial by it (dial-store.ts).
 */
import { randomUUID } from 'node:crypto';
import type { AdvancedMachineDetection, Voice } from '@vonage/voice';
import { VoicesocketError } from '../errors.js';
import { websocketConnectAction, type Ncco, type WebsocketAuthorization } from '../protocol/ncco.js';
import { fitHeaders } from '../protocol/webhooks.js';
import type { SampleRate } from '../protocol/audio-format.js';
import { advancedMachineDetection, type MachineDetectionOptions } from './machine-detection.js';
import { describeVonageFailure } from './vonage-failure.js';

/** The websocket header that names the dial: read back from `websocket:connected`. */
export const DIAL_ID_HEADER = 'dial_id';
/** A context is who is called and why, not a document: it travels through Redis and the call's record. */
export const MAX_CONTEXT_BYTES = 16 * 1024;
/** Vonage's bounds (`ringing_timer`, `length_timer` of `POST /v1/calls`), s. */
export const RINGING_TIMER_S = { min: 1, max: 120, default: 60 } as const;
export const LENGTH_TIMER_S = { min: 1, max: 7200, default: 7200 } as const;

export interface DialRequest {
  /** The number to call (E.164, with or without `+`), or a `sip:` URI. */
  to: string;
  /** Caller ID: a number of the Vonage account (the server's `--vonage-number` when unset). */
  from?: string;
  /** JSON for the call's app: who is called and why (`call.dialed()`). At most 16 KiB. */
  context?: unknown;
  /** How long the phone may ring before the call counts as unanswered, s (1 to 120, default 60). */
  ringingTimerS?: number;
  /** Longest the call may last once answered, s (1 to 7200, default 7200). */
  lengthTimerS?: number;
  machineDetection?: MachineDetectionOptions;
}

/** A request as checked: what is sent and what the dial keeps. */
export interface CheckedDial {
  dialId: string;
  to: string;
  endpoint: { type: 'phone'; number: string } | { type: 'sip'; uri: string };
  from: string;
  context: unknown;
  ringingTimerS: number;
  lengthTimerS: number;
  machineDetection: MachineDetectionOptions | undefined;
  /** As the request carries it. */
  advancedMachineDetection: AdvancedMachineDetection | undefined;
}

function timer(value: number | undefined, bounds: { min: number; max: number; default: number }, what: string): number {
  if (value === undefined) return bounds.default;
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max)
    throw new VoicesocketError('DIAL_INVALID', `${what} ${value} s: expected an integer from ${bounds.min} to ${bounds.max}`);
  return value;
}

/** A phone number as Vonage takes it (digits only), or undefined. */
export function phoneDigits(raw: string): string | undefined {
  const digits = raw.trim().replace(/^\+/, '');
  return /^\d{6,15}$/.test(digits) ? digits : undefined;
}

/** Checks a dial request before anything is sent: a bad one is a coded error, and nothing is dialled. */
export function checkDial(request: DialRequest, defaultFrom: string | undefined): CheckedDial {
  const sip = /^sips?:[^\s]+@[^\s]+$/i.test(request.to.trim()) ? request.to.trim() : undefined;
  const number = sip ? undefined : phoneDigits(request.to);
  if (!sip && !number)
    throw new VoicesocketError('DIAL_INVALID', `${JSON.stringify(request.to)} is not a phone number (6 to 15 digits, + allowed) or a sip: URI`);
  const from = request.from ?? defaultFrom;
  const fromDigits = from === undefined ? undefined : phoneDigits(from);
  if (!fromDigits)
    throw new VoicesocketError('DIAL_INVALID', `caller ID ${JSON.stringify(from ?? '')}: set --vonage-number (VONAGE_NUMBER) to a number of the account`);
  let context: unknown = request.context ?? null;
  const json = JSON.stringify(context);
  if (json === undefined) throw new VoicesocketError('DIAL_INVALID', 'the context is not JSON');
  if (Buffer.byteLength(json) > MAX_CONTEXT_BYTES)
    throw new VoicesocketError('DIAL_INVALID', `the context is ${Buffer.byteLength(json)} bytes of JSON (at most ${MAX_CONTEXT_BYTES})`);
  // A copy: what the app gets is what was sent, whatever the caller of dial() does with its object later.
  context = JSON.parse(json) as unknown;
  return {
    dialId: randomUUID(),
    to: sip ?? number!,
    endpoint: sip ? { type: 'sip', uri: sip } : { type: 'phone', number: number! },
    from: fromDigits,
    context,
    ringingTimerS: timer(request.ringingTimerS, RINGING_TIMER_S, 'ringing timer'),
    lengthTimerS: timer(request.lengthTimerS, LENGTH_TIMER_S, 'length timer'),
    machineDetection: request.machineDetection,
    advancedMachineDetection: request.machineDetection ? advancedMachineDetection(request.machineDetection) : undefined,
  };
}

/** The NCCO of a dialled call: once answered, connect it to this server's socket, naming the dial. */
export function dialNcco(
  dial: Pick<CheckedDial, 'dialId' | 'to' | 'from'>,
  socket: { uri: string; sampleRate: SampleRate; authorization?: WebsocketAuthorization },
): Ncco {
  return [
    websocketConnectAction({
      uri: socket.uri,
      sampleRate: socket.sampleRate,
      // The dial id first: it survives whatever the 512-byte fitting shortens.
      headers: fitHeaders({ [DIAL_ID_HEADER]: dial.dialId, from: dial.from, to: dial.to }),
      ...(socket.authorization ? { authorization: socket.authorization } : {}),
    }),
  ];
}

export interface PlacedCall {
  uuid: string;
  conversationUuid: string | undefined;
}

/** Sends the request; a refusal or no answer is a coded DIAL_FAILED error with Vonage's words. */
export async function placeCall(vonage: Voice, dial: CheckedDial, ncco: Ncco, eventUrl: string): Promise<PlacedCall> {
  let result: { uuid?: string; conversationUUID?: string };
  try {
    result = await vonage.createOutboundCall({
      to: [dial.endpoint],
      from: { type: 'phone', number: dial.from },
      ncco: ncco as never,
      eventUrl: [eventUrl],
      ringingTimer: dial.ringingTimerS,
      lengthTimer: dial.lengthTimerS,
      ...(dial.advancedMachineDetection ? { advancedMachineDetection: dial.advancedMachineDetection } : {}),
    });
  } catch (error) {
    const { detail } = await describeVonageFailure(error);
    throw new VoicesocketError('DIAL_FAILED', `calling ${dial.to}: ${detail}`, { cause: error });
  }
  if (typeof result.uuid !== 'string') throw new VoicesocketError('DIAL_FAILED', `calling ${dial.to}: Vonage's answer has no call uuid`);
  return { uuid: result.uuid, conversationUuid: result.conversationUUID };
}
