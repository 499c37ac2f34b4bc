/**
 * The phone network behind the Voice REST API (rest-api.ts): `POST /v1/calls` becomes a leg on the
 * network, placed for the application whose JWT signed the request (its event webhook when the
 * request names none, its signed callbacks, its numbers for `random_from_number`); and each leg is
 * a call the API can control — hang up, mute, earmuff, transfer, play talk, stream and DTMF into.
 */
import type { EmulatedAccount } from '../account.js';
import { restAudioPcm } from '../injected-audio.js';
import type { RestCall } from '../rest-api.js';
import type { Signing } from '../webhook-client.js';
import { MIX_RATE } from './conversation.js';
import type { NetworkLeg } from './leg.js';
import { legRecordOf } from './network-events.js';
import { parseOutboundRequest } from './outbound-request.js';
import { talkPcm } from './talk-voice.js';
import type { CallContext, PhoneNetwork } from './phone-network.js';

export interface Caller {
  applicationId?: string | undefined;
  baseUrl: string;
  /** Signs every webhook (the emulator's own `signing`); otherwise the application's signed callbacks decide. */
  signing?: Signing;
  account?: EmulatedAccount;
}

/** What a call placed by `caller` inherits from its application. */
function contextFor(caller: Caller): CallContext {
  const { account, applicationId } = caller;
  const application = applicationId ? account?.getApplication(applicationId) : undefined;
  const voice = application?.capabilities.voice;
  const secret = account?.signatureSecret;
  const signing = caller.signing ?? (voice?.signed_callbacks && secret ? { secret, apiKey: account.apiKey, applicationId: application!.id } : undefined);
  const event = voice?.webhooks?.event_url;
  const fallback = voice?.webhooks?.fallback_answer_url;
  return {
    regionUrl: caller.baseUrl,
    ...(signing ? { signing } : {}),
    ...(event ? { eventUrl: event.address, eventMethod: event.http_method } : {}),
    ...(fallback ? { fallbackUrl: fallback.address } : {}),
    randomFrom: () => {
      const numbers = applicationId ? (account?.ownedNumbers({ applicationId }) ?? []) : [];
      return numbers[Math.floor(Math.random() * numbers.length)]?.msisdn;
    },
  };
}

/** `POST /v1/calls`: the new leg as a REST call, or why the request was refused. */
export function outboundCall(network: PhoneNetwork, body: unknown, caller: Caller): RestCall | string {
  const parsed = parseOutboundRequest(body);
  if (!parsed.ok) return parsed.detail;
  return networkCall(network, network.createCall(parsed.value, contextFor(caller)));
}

/** A leg of the network as the REST API controls it. */
export function networkCall(network: PhoneNetwork, leg: NetworkLeg): RestCall {
  return {
    uuid: leg.uuid,
    get conversationUuid() {
      return leg.conversation.uuid;
    },
    get live() {
      return leg.live;
    },
    legUuids: () => [leg.uuid],
    control: (_uuid, action) => {
      leg.timeline.add('ncco', `REST ${action}`);
      if (action === 'hangup') leg.hangup();
      else if (action === 'mute' || action === 'unmute') leg.muted = action === 'mute';
      else leg.earmuffed = action === 'earmuff';
      return true;
    },
    transfer: (ncco) => network.transfer(leg, ncco),
    transferToUrl: (url) => network.transferToUrl(leg, url),
    playInto: async (_uuid, request) => {
      const pcm = request.kind === 'talk' ? await talkPcm(request.text) : await restAudioPcm(request, MIX_RATE);
      if (request.kind === 'dtmf' && network.switches.restDtmfAsEvent) for (const digit of request.digits.replace(/p/g, '')) leg.dtmfFrom(digit);
      leg.restAudio.start(request.kind, pcm, 'loop' in request ? request.loop : 1, 'level' in request ? request.level : 0);
      leg.timeline.add('ncco', `REST ${request.kind} started (${Math.round((pcm.length / 2 / MIX_RATE) * 1000)} ms)`);
      return true;
    },
    stopPlaying: (_uuid, kind) => {
      leg.restAudio.stop(kind);
      return true;
    },
    records: () => [legRecordOf(leg.facts(), network.scenario)],
  };
}
