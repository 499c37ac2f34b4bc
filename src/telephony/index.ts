/**
 * Telephony (docs/outbound.md): placing calls, one or a list, machine detection, transfers to named
 * destinations, DTMF out. `createOutboundCall(server, { to, context })` places a call whose socket
 * reaches the server's app with its context, on whichever instance it lands.
 */
import { VoicesocketError } from '../errors.js';
import type { Telephony } from './telephony.js';
import type { DialedCall } from './live-dial.js';
import type { DialRequest } from './outbound-call.js';

export type { DialRequest } from './outbound-call.js';
export type { DialedCall, DialResult } from './live-dial.js';
export type { DialSnapshot } from '../call/telephony-types.js';
export type { MachineDetectionMode, MachineDetectionOptions } from './machine-detection.js';
export type { NamedDestination, TransferEndpoint } from './transfer.js';
export { OUTCOME_EXIT_CODES } from './dial-outcome.js';
export { answeredBy, afterTheBeep, leaveVoicemail, type AnsweredBy, type VoicemailPolicy } from './voicemail.js';

/**
 * Places a call from `server` (made with Vonage credentials): once answered, it connects to the
 * server's socket and its app gets `context` through `call.dialed()`. Throws DIAL_INVALID for a request
 * that cannot be placed; a refusal by Vonage is a `failed` outcome.
 */
export function createOutboundCall(server: { readonly telephony: Telephony | undefined }, request: DialRequest): DialedCall {
  if (!server.telephony)
    throw new VoicesocketError('TELEPHONY_UNAVAILABLE', 'set VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY (or give createServer a Voice client)');
  return server.telephony.dial(request);
}
