/**
 * Answer and event webhook payloads (docs/protocol.md §7, §8). Vonage's payloads are loosely typed in
 * practice (numbers as strings, `call_uuid` instead of `uuid`), so parsing is lenient: what is known
 * is typed, everything is kept in `raw`.
 */
import { MAX_WEBSOCKET_HEADERS_BYTES } from './ncco.js';
import { asRecord, lenientNumber, lenientText as text } from './lenient.js';

export const CALL_STATUSES = [
  'started',
  'ringing',
  'answered',
  'busy',
  'cancelled',
  'unanswered',
  'rejected',
  'failed',
  'timeout',
  'human',
  'machine',
  'disconnected',
  'completed',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Statuses after which a leg is over (docs/protocol.md §8.1; `rejected` gets no `completed`). */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'rejected', 'failed', 'busy', 'cancelled', 'unanswered', 'timeout']);

/**
 * How far along a leg a status is: events arrive out of order (docs/protocol.md §8), and with several
 * instances even more so, so a status never replaces one of a later stage. Unknown statuses count as
 * a live leg's.
 */
export function statusStage(status: string): number {
  if (FINAL_STATUSES.has(status)) return 4;
  if (status === 'started') return 0;
  if (status === 'ringing') return 1;
  if (status === 'answered') return 2;
  // human/machine, disconnected and anything new: after answered, before the end.
  return 3;
}

export interface AnswerRequest {
  to?: string;
  from?: string;
  fromUser?: string;
  uuid?: string;
  conversationUuid?: string;
  regionUrl?: string;
  endpointType?: string;
  customData?: unknown;
  raw: Record<string, unknown>;
}

/** Reads the answer webhook's fields, from a GET query or a POST body alike. */
export function parseAnswerRequest(fields: unknown): AnswerRequest {
  const raw = asRecord(fields) ?? {};
  return {
    to: text(raw.to),
    from: text(raw.from),
    fromUser: text(raw.from_user),
    uuid: text(raw.uuid),
    conversationUuid: text(raw.conversation_uuid),
    regionUrl: text(raw.region_url),
    endpointType: text(raw.endpoint_type),
    customData: raw.custom_data,
    raw,
  };
}

/** Event kinds told apart by their fields (docs/protocol.md §8.1, §8.2); `unknown` still keeps every field. */
export type CallEventKind = 'status' | 'input' | 'record' | 'transcription' | 'transfer' | 'notify' | 'error' | 'unknown';

export interface CallEvent {
  kind: CallEventKind;
  /** Present for status events whose value Vonage documents; an undocumented status is kept as text. */
  status?: string;
  /** Leg uuid: `uuid`, or `call_uuid` on human/machine events. */
  legUuid?: string;
  conversationUuid?: string;
  direction?: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  timestamp?: string;
  detail?: string;
  /** Seconds; Vonage sends it as a string in practice. */
  duration?: number;
  rate?: number;
  price?: number;
  headers?: Record<string, unknown>;
  reason?: string;
  /** Machine detection's detail on a `machine` status: `beep_start` or `beep_timeout` (docs/protocol.md §8.1). */
  subState?: string;
  raw: Record<string, unknown>;
}

function eventKind(raw: Record<string, unknown>): CallEventKind {
  if (typeof raw.status === 'string') return raw.type === 'record' ? 'transcription' : 'status';
  if (raw.dtmf !== undefined || raw.speech !== undefined) return 'input';
  if (raw.recording_url !== undefined) return 'record';
  if (raw.type === 'transfer') return 'transfer';
  if (raw.payload !== undefined) return 'notify';
  if (typeof raw.reason === 'string') return 'error';
  return 'unknown';
}

export type EventParse = { ok: true; event: CallEvent } | { ok: false; detail: string; raw: unknown };

/** Parses an event webhook payload; never throws. Only a non-object fails. */
export function parseCallEvent(payload: unknown): EventParse {
  const raw = asRecord(payload);
  if (!raw) return { ok: false, detail: `expected a JSON object, got ${Array.isArray(payload) ? 'an array' : typeof payload}`, raw: payload };
  const direction = raw.direction === 'inbound' || raw.direction === 'outbound' ? raw.direction : undefined;
  const event: CallEvent = {
    kind: eventKind(raw),
    status: text(raw.status),
    legUuid: text(raw.uuid) ?? text(raw.call_uuid),
    conversationUuid: text(raw.conversation_uuid),
    direction,
    from: text(raw.from),
    to: text(raw.to),
    timestamp: text(raw.timestamp),
    detail: text(raw.detail),
    duration: lenientNumber(raw.duration),
    rate: lenientNumber(raw.rate),
    price: lenientNumber(raw.price),
    headers: asRecord(raw.headers),
    reason: text(raw.reason),
    subState: text(raw.sub_state),
    raw,
  };
  return { ok: true, event };
}

const byteLength = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value) <= maxBytes) return value;
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return value.slice(0, end);
}

/**
 * Fits websocket `headers` into Vonage's 512-byte limit (docs/protocol.md §1.3) without producing invalid JSON or
 * split characters: first the longest string values are shortened, then, if keys alone are too many,
 * the last keys are dropped. Earlier keys are kept whole as long as possible, so callers put the
 * identifiers that matter first.
 */
export function fitHeaders(headers: Record<string, unknown>, maxBytes = MAX_WEBSOCKET_HEADERS_BYTES): Record<string, unknown> {
  // Null prototype: a header named "__proto__" must stay a key, not become the prototype.
  const fitted: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(headers)) if (value !== undefined) fitted[key] = value;
  while (byteLength(fitted) > maxBytes) {
    const excess = byteLength(fitted) - maxBytes;
    let longestKey: string | undefined;
    let longestLength = 0;
    for (const [key, value] of Object.entries(fitted)) {
      if (typeof value === 'string' && value.length > longestLength) {
        longestKey = key;
        longestLength = value.length;
      }
    }
    if (longestKey !== undefined && longestLength > 8) {
      const value = fitted[longestKey] as string;
      // A character never costs fewer JSON bytes than UTF-8 bytes, so cutting `excess` UTF-8 bytes is
      // enough unless the floor of 8 stops it; then the loop goes on to the next value or key.
      const target = Math.max(8, Buffer.byteLength(value) - excess);
      fitted[longestKey] = truncateUtf8(value, target);
      continue;
    }
    const keys = Object.keys(fitted);
    if (keys.length === 0) break;
    delete fitted[keys[keys.length - 1]!];
  }
  return fitted;
}
