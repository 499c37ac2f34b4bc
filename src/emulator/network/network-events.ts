/**
 * The webhook bodies and REST records of the phone network's legs, in the shapes Vonage documents
 * (docs/protocol.md §8, §16): the status events (`started` … `completed` with duration, rate and
 * price), the machine detection verdicts (`human`, `machine` with `sub_state`), `transfer`, and a
 * leg as `GET /v1/calls` lists it. Pure: a leg's facts in, a body out.
 */
import { legStatusFields, type Leg } from '../event-payloads.js';
import type { LegRecord } from '../call-result.js';
import type { EmulatorSwitches } from '../switches.js';

/** A network leg's facts, as the bodies need them. */
export interface LegFacts extends Leg {
  /** The endpoint's type: phone, sip, websocket, app, vbc. */
  endpointType: string;
  answeredAt?: number;
  endedAt?: number;
  status: string;
}

/** Pricing of answered calls (the scenario's). */
export interface Tariff {
  ratePerMinute: number;
  network: string;
}

type Numbers = Pick<EmulatorSwitches, 'numbersAsStrings'>;

function numeric(value: number, switches: Numbers): number | string {
  return switches.numbersAsStrings ? String(value) : value;
}

/** Rates and prices as Vonage writes them: eight decimals (docs/protocol.md §8.1). */
function money(value: number, switches: Numbers): number | string {
  return switches.numbersAsStrings ? value.toFixed(8) : Number(value.toFixed(8));
}

/** Billed seconds: from the answer to the end; none for a leg never answered. */
export function billedSeconds(leg: LegFacts, now = Date.now()): number {
  return leg.answeredAt === undefined ? 0 : Math.max(0, Math.round(((leg.endedAt ?? now) - leg.answeredAt) / 1000));
}

/** `started`, `ringing`, `answered`, and the unconnected outcomes (`busy`, `timeout`, `failed`… with `detail`). */
export function statusBody(leg: LegFacts, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const body = legStatusFields(leg, status);
  // The reference lists these as empty on `answered` (docs/protocol.md §8.1).
  if (status === 'answered') Object.assign(body, { start_time: null, rate: null, network: null });
  if (leg.headers && (status === 'disconnected' || status === 'failed' || status === 'unanswered')) body.headers = leg.headers;
  return { ...body, ...extra };
}

/** `completed`: the call summary, priced from the answer (nothing for a leg never answered). */
export function completedBody(leg: LegFacts, tariff: Tariff, switches: Numbers, disconnectedBy?: 'user' | 'platform'): Record<string, unknown> {
  const end = leg.endedAt ?? Date.now();
  const seconds = billedSeconds(leg, end);
  const answered = leg.answeredAt !== undefined;
  return {
    ...legStatusFields(leg, 'completed'),
    start_time: new Date(leg.answeredAt ?? leg.startedAt).toISOString(),
    end_time: new Date(end).toISOString(),
    duration: numeric(seconds, switches),
    rate: money(answered ? tariff.ratePerMinute : 0, switches),
    price: money(answered ? (tariff.ratePerMinute * seconds) / 60 : 0, switches),
    network: tariff.network,
    ...(disconnectedBy ? { disconnected_by: disconnectedBy } : {}),
  };
}

/**
 * `human` or `machine` (docs/protocol.md §16): the reference names the leg `call_uuid` on this event,
 * not `uuid` (switch `machineEventUuidKey`); advanced detection adds `sub_state` (`beep_start`, `beep_timeout`).
 */
export function machineBody(
  leg: LegFacts,
  verdict: 'human' | 'machine',
  switches: Pick<EmulatorSwitches, 'machineEventUuidKey'>,
  subState?: 'beep_start' | 'beep_timeout',
): Record<string, unknown> {
  const key = switches.machineEventUuidKey;
  return {
    ...(key === 'call_uuid' || key === 'both' ? { call_uuid: leg.uuid } : {}),
    ...(key === 'uuid' || key === 'both' ? { uuid: leg.uuid } : {}),
    from: leg.from,
    to: leg.to,
    status: verdict,
    ...(subState ? { sub_state: subState } : {}),
    conversation_uuid: leg.conversationUuid,
    timestamp: new Date().toISOString(),
  };
}

/** A leg moved from one conversation to another (the reference's `transfer` event). */
export function transferBody(leg: LegFacts, from: string, to: string): Record<string, unknown> {
  return { conversation_uuid_from: from, conversation_uuid_to: to, uuid: leg.uuid, timestamp: new Date().toISOString() };
}

/** The answer webhook's fields for an outbound leg (docs/protocol.md §7). */
export function answerFields(leg: LegFacts, regionUrl: string): Record<string, unknown> {
  return {
    to: leg.to,
    from: leg.from,
    uuid: leg.uuid,
    conversation_uuid: leg.conversationUuid,
    region_url: regionUrl,
    endpoint_type: leg.endpointType,
  };
}

function endpointOf(address: string, type: string): { type: string; number?: string; uri?: string } {
  if (type === 'phone') return { type, number: address };
  return /^[a-z][a-z0-9+.-]*:/i.test(address) ? { type, uri: address } : { type: 'phone', number: address };
}

/** The leg as `GET /v1/calls/{uuid}` returns it. */
export function legRecordOf(leg: LegFacts, tariff: Tariff): LegRecord {
  const seconds = billedSeconds(leg);
  const answered = leg.answeredAt !== undefined;
  return {
    uuid: leg.uuid,
    conversation_uuid: leg.conversationUuid,
    status: leg.status,
    direction: leg.direction,
    from: endpointOf(leg.from, 'phone'),
    to: endpointOf(leg.to, leg.endpointType),
    rate: (answered ? tariff.ratePerMinute : 0).toFixed(8),
    price: (answered ? (tariff.ratePerMinute * seconds) / 60 : 0).toFixed(8),
    duration: String(seconds),
    start_time: new Date(leg.startedAt).toISOString(),
    ...(leg.endedAt ? { end_time: new Date(leg.endedAt).toISOString() } : {}),
    network: tariff.network,
  };
}
