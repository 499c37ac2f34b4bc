/**
 * WebSocket text messages (docs/protocol.md §2, §5): what Vonage sends the app and what the app may send
 * Vonage. Parsers never throw: a message is either understood or returned as a coded problem, so a
 * socket handler can log it and keep the call.
 */
import type { ErrorName } from '../errors.js';
import { DEFAULT_SAMPLE_RATE, type SampleRate, parseContentType } from './audio-format.js';
import { lenientNumber } from './lenient.js';

export const SOCKET_EVENTS = {
  connected: 'websocket:connected',
  dtmf: 'websocket:dtmf',
  cleared: 'websocket:cleared',
  notify: 'websocket:notify',
} as const;

export const CONTENT_TYPE_KEY = 'content-type';

/** DTMF digits Vonage delivers, one per message (docs/protocol.md §5.1). */
const DTMF_DIGIT = /^[0-9*#]$/;

export type NotifyPayload = Record<string, unknown>;

export type VonageMessage =
  | {
      type: 'connected';
      /** The content-type string as sent, if any. */
      contentType: string | undefined;
      /** The rate in use; the default when the content-type is missing or unreadable. */
      sampleRate: SampleRate;
      /** False when the rate is the fallback rather than read from the message. */
      rateStated: boolean;
      /** Every other top-level key: the NCCO endpoint's `headers`, JSON types preserved. */
      headers: Record<string, unknown>;
    }
  | { type: 'dtmf'; digit: string; duration: number | undefined }
  | { type: 'cleared' }
  | { type: 'notify'; payload: unknown };

export type ParseProblem = { problem: ErrorName; detail: string };
export type ParseResult<T> = { ok: true; message: T } | ({ ok: false } & ParseProblem);

function fail(problem: ErrorName, detail: string): { ok: false } & ParseProblem {
  return { ok: false, problem, detail };
}

function parseJsonObject(text: string): { ok: true; value: Record<string, unknown> } | ({ ok: false } & ParseProblem) {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail('TEXT_NOT_JSON', (error as Error).message);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail('TEXT_INVALID', 'expected a JSON object');
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function parseDtmf(object: Record<string, unknown>): ParseResult<VonageMessage> {
  // The documented form is flat; some integrations look for a nested `dtmf` object (docs/protocol.md §5.1): accept both.
  const nested = object.dtmf !== null && typeof object.dtmf === 'object' ? (object.dtmf as Record<string, unknown>) : undefined;
  const rawDigit = object.digit ?? nested?.digit;
  const digit = typeof rawDigit === 'number' ? String(rawDigit) : rawDigit;
  if (typeof digit !== 'string' || !DTMF_DIGIT.test(digit)) {
    return fail('TEXT_INVALID', `websocket:dtmf without a digit 0-9, * or # (got ${JSON.stringify(rawDigit)})`);
  }
  return { ok: true, message: { type: 'dtmf', digit, duration: lenientNumber(object.duration ?? nested?.duration) } };
}

/** Parses a text message from Vonage (or from anything speaking Vonage's side of the socket). */
export function parseVonageMessage(text: string): ParseResult<VonageMessage> {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const object = parsed.value;
  switch (object.event) {
    case SOCKET_EVENTS.connected: {
      const { event: _event, [CONTENT_TYPE_KEY]: contentType, ...headers } = object;
      const rate = parseContentType(contentType);
      return {
        ok: true,
        message: {
          type: 'connected',
          contentType: typeof contentType === 'string' ? contentType : undefined,
          sampleRate: rate ?? DEFAULT_SAMPLE_RATE,
          rateStated: rate !== undefined,
          headers,
        },
      };
    }
    case SOCKET_EVENTS.dtmf:
      return parseDtmf(object);
    case SOCKET_EVENTS.cleared:
      return { ok: true, message: { type: 'cleared' } };
    case SOCKET_EVENTS.notify:
      return { ok: true, message: { type: 'notify', payload: object.payload } };
    default:
      return typeof object.event === 'string'
        ? fail('TEXT_UNKNOWN_EVENT', `event ${JSON.stringify(object.event.slice(0, 64))}`)
        : fail('TEXT_INVALID', 'no "event" field');
  }
}

/** The first message Vonage sends on a new socket (docs/protocol.md §2): headers copied to the top level. */
export function connectedMessage(contentType: string | undefined, headers: Record<string, unknown> = {}): string {
  // Null prototype: a header named "__proto__" must stay a key, not become the prototype.
  const message: Record<string, unknown> = Object.create(null);
  message.event = SOCKET_EVENTS.connected;
  if (contentType !== undefined) message[CONTENT_TYPE_KEY] = contentType;
  for (const [key, value] of Object.entries(headers)) {
    // A header may not overwrite the protocol's own keys.
    if (key !== 'event' && key !== CONTENT_TYPE_KEY) message[key] = value;
  }
  return JSON.stringify(message);
}

export function dtmfMessage(digit: string, duration: number): string {
  return JSON.stringify({ event: SOCKET_EVENTS.dtmf, digit, duration });
}

export function clearedMessage(): string {
  return JSON.stringify({ event: SOCKET_EVENTS.cleared });
}

export function notifiedMessage(payload: unknown): string {
  return JSON.stringify({ event: SOCKET_EVENTS.notify, payload });
}

// ---- app → Vonage (docs/protocol.md §5.2) ----

export const APP_ACTIONS = { clear: 'clear', notify: 'notify' } as const;

export type AppCommand = { type: 'clear' } | { type: 'notify'; payload: unknown };

export function clearCommand(): string {
  return JSON.stringify({ action: APP_ACTIONS.clear });
}

export function notifyCommand(payload: NotifyPayload): string {
  return JSON.stringify({ action: APP_ACTIONS.notify, payload });
}

/** Parses a text message an app sent to Vonage. Unknown actions are reported, not fatal (docs/protocol.md §5.2). */
export function parseAppCommand(text: string): ParseResult<AppCommand> {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const { action, payload } = parsed.value;
  if (action === APP_ACTIONS.clear) return { ok: true, message: { type: 'clear' } };
  if (action === APP_ACTIONS.notify) return { ok: true, message: { type: 'notify', payload } };
  return fail('TEXT_UNKNOWN_EVENT', `action ${JSON.stringify(typeof action === 'string' ? action.slice(0, 64) : action)}`);
}
