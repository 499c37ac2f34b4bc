/**
 * Event webhook bodies as Vonage posts them (docs/protocol.md §8).
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorSwitches } from './switches.js';

export interface Leg {
  uuid: string;
  conversationUuid: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound';
  startedAt: number;
  headers?: Record<string, unknown>;
}

function numeric(value: number, switches: Pick<EmulatorSwitches, 'numbersAsStrings'>): number | string {
  return switches.numbersAsStrings ? String(value) : value;
}

/** The fields every status webhook of a leg carries (docs/protocol.md §8). */
export function legStatusFields(leg: Leg, status: string, now = Date.now()): Record<string, unknown> {
  return {
    from: leg.from,
    to: leg.to,
    uuid: leg.uuid,
    conversation_uuid: leg.conversationUuid,
    status,
    direction: leg.direction,
    timestamp: new Date(now).toISOString(),
  };
}

export function statusEvent(
  leg: Leg,
  status: string,
  switches: Pick<EmulatorSwitches, 'numbersAsStrings'>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Date.now();
  const body = legStatusFields(leg, status, now);
  if (status === 'answered') Object.assign(body, { start_time: null, rate: null, network: null });
  if (status === 'completed') {
    Object.assign(body, {
      start_time: new Date(leg.startedAt).toISOString(),
      end_time: new Date(now).toISOString(),
      duration: numeric(Math.round((now - leg.startedAt) / 1000), switches),
      rate: numeric(0, switches),
      price: numeric(0, switches),
      network: 'emulator',
    });
  }
  if (leg.headers && (status === 'disconnected' || status === 'failed' || status === 'unanswered')) body.headers = leg.headers;
  return { ...body, ...extra };
}

export function errorEvent(conversationUuid: string, reason: string): Record<string, unknown> {
  return { reason, conversation_uuid: conversationUuid, timestamp: new Date().toISOString() };
}

/** An input action's result: the digits entered (none: timed out); a speech input hears nothing here. */
export function inputEvent(leg: Leg, digits: string, speech: boolean): Record<string, unknown> {
  return {
    dtmf: { digits, timed_out: digits === '' },
    ...(speech ? { speech: { results: [], timeout_reason: 'start_timeout' } } : {}),
    from: leg.from,
    to: leg.to,
    uuid: leg.uuid,
    conversation_uuid: leg.conversationUuid,
    timestamp: new Date().toISOString(),
  };
}

/** A record action's event at the end of the call (the emulator keeps no audio file: size 0). */
export function recordEvent(leg: Leg, startedAt: number): Record<string, unknown> {
  const recordingUuid = randomUUID();
  return {
    start_time: new Date(startedAt).toISOString(),
    end_time: new Date().toISOString(),
    recording_url: `https://api-emulator.invalid/v1/files/${recordingUuid}`,
    size: 0,
    recording_uuid: recordingUuid,
    conversation_uuid: leg.conversationUuid,
    timestamp: new Date().toISOString(),
  };
}
