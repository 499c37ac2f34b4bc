/**
 * NCCO (Call Control Object) types, builders and a validator that is as strict as Vonage
 * (docs/protocol.md §6). The validator is what the emulator runs on answers, and what our own tests run on
 * the NCCO we emit, so "what we send" and "what Vonage reads" are checked by the same code.
 */
import { z } from 'zod';
import { CONTENT_TYPE_KEY } from './socket-messages.js';
import { SAMPLE_RATES, contentTypeFor, type L16ContentType, type SampleRate } from './audio-format.js';

/** Vonage's limit on a websocket endpoint's `headers` (docs/protocol.md §1.3), measured as serialized JSON bytes. */
export const MAX_WEBSOCKET_HEADERS_BYTES = 512;
/** `talk.text` limit, excluding SSML tags (docs/protocol.md §6.2). */
export const MAX_TALK_TEXT_CHARS = 1500;
/** The error Vonage posts for an NCCO it cannot run (docs/protocol.md §6). */
export const NCCO_SYNTAX_ERROR = 'Syntax error in NCCO. Invalid value type or action.';

const L16_CONTENT_TYPES = SAMPLE_RATES.map(contentTypeFor) as [L16ContentType, ...L16ContentType[]];

const eventUrl = z.array(z.string().url()).min(1);
const httpMethod = z.enum(['GET', 'POST']);
const level = z.number().min(-1).max(1);

const authorization = z.union([
  z.object({ type: z.literal('vonage') }),
  z.object({
    type: z.literal('custom'),
    // Java SDK validation mirrors the API: printable ASCII, under 8 KiB (docs/protocol.md §1.2).
    value: z
      .string()
      .min(1)
      .max(8191)
      .regex(/^[\x20-\x7e]+$/),
  }),
]);

const websocketEndpoint = z.looseObject({
  type: z.literal('websocket'),
  uri: z.string().regex(/^wss?:\/\/[^\s]+$/i, 'a ws:// or wss:// URI'),
  [CONTENT_TYPE_KEY]: z.enum(L16_CONTENT_TYPES).optional(),
  headers: z
    .record(z.string(), z.unknown())
    .refine((headers) => Buffer.byteLength(JSON.stringify(headers)) <= MAX_WEBSOCKET_HEADERS_BYTES, {
      message: `headers exceed ${MAX_WEBSOCKET_HEADERS_BYTES} bytes`,
    })
    .optional(),
  authorization: authorization.optional(),
});

const otherEndpoint = z.looseObject({ type: z.enum(['phone', 'app', 'sip', 'vbc']) });

const talk = z.looseObject({
  action: z.literal('talk'),
  text: z
    .string()
    .min(1)
    .refine((text) => text.replace(/<[^>]*>/g, '').length <= MAX_TALK_TEXT_CHARS, {
      message: `text longer than ${MAX_TALK_TEXT_CHARS} characters`,
    }),
  bargeIn: z.boolean().optional(),
  loop: z.number().int().min(0).optional(),
  level: level.optional(),
  language: z.string().optional(),
  style: z.number().int().optional(),
  premium: z.boolean().optional(),
});

const stream = z.looseObject({
  action: z.literal('stream'),
  streamUrl: z.array(z.string().url()).length(1),
  level: level.optional(),
  bargeIn: z.boolean().optional(),
  loop: z.number().int().min(0).optional(),
});

const connect = z.looseObject({
  action: z.literal('connect'),
  endpoint: z.array(z.union([websocketEndpoint, otherEndpoint])).length(1),
  from: z.string().optional(),
  randomFromNumber: z.boolean().optional(),
  eventType: z.literal('synchronous').optional(),
  timeout: z.number().int().positive().optional(),
  limit: z.number().int().positive().max(7200).optional(),
  eventUrl: eventUrl.optional(),
  eventMethod: httpMethod.optional(),
  ringbackTone: z.string().optional(),
});

const input = z.looseObject({
  action: z.literal('input'),
  type: z.array(z.enum(['dtmf', 'speech'])).min(1),
  dtmf: z
    .looseObject({
      timeOut: z.number().min(0).max(10).optional(),
      maxDigits: z.number().int().min(1).max(20).optional(),
      submitOnHash: z.boolean().optional(),
    })
    .optional(),
  speech: z.looseObject({}).optional(),
  mode: z.enum(['synchronous', 'asynchronous']).optional(),
  eventUrl: eventUrl.optional(),
  eventMethod: httpMethod.optional(),
});

const notify = z.looseObject({
  action: z.literal('notify'),
  payload: z.record(z.string(), z.unknown()),
  eventUrl,
  eventMethod: httpMethod.optional(),
});

const record = z.looseObject({
  action: z.literal('record'),
  format: z.enum(['mp3', 'wav', 'ogg']).optional(),
  endOnSilence: z.number().min(3).max(10).optional(),
  endOnKey: z
    .string()
    .regex(/^[0-9*#]$/)
    .optional(),
  timeOut: z.number().min(3).max(7200).optional(),
  beepStart: z.boolean().optional(),
  eventUrl: eventUrl.optional(),
  eventMethod: httpMethod.optional(),
});

const conversation = z.looseObject({
  action: z.literal('conversation'),
  name: z.string().min(1),
  startOnEnter: z.boolean().optional(),
  endOnExit: z.boolean().optional(),
  eventUrl: eventUrl.optional(),
  eventMethod: httpMethod.optional(),
});

const wait = z.looseObject({ action: z.literal('wait'), timeout: z.number().optional() });
const transfer = z.looseObject({ action: z.literal('transfer'), conversationId: z.string().min(1) });

const action = z.discriminatedUnion('action', [talk, stream, connect, input, notify, record, conversation, wait, transfer]);
export const nccoSchema = z.array(action).min(1);

export type NccoAction = z.infer<typeof action>;
export type Ncco = z.infer<typeof nccoSchema>;
export type WebsocketEndpoint = z.infer<typeof websocketEndpoint>;
export type WebsocketAuthorization = z.infer<typeof authorization>;

export type NccoValidation =
  { ok: true; ncco: Ncco; warnings: string[] } | { ok: false; reason: typeof NCCO_SYNTAX_ERROR; issues: string[]; warnings: string[] };

/** Keys Vonage silently ignores but that show the author meant something else (docs/protocol.md §6.4). */
const MISSPELT_ENDPOINT_KEYS: Record<string, string> = {
  contentType: `Vonage ignores "contentType" and uses 16 kHz; the key is "${CONTENT_TYPE_KEY}"`,
  content_type: `Vonage ignores "content_type" and uses 16 kHz; the key is "${CONTENT_TYPE_KEY}"`,
};

function misspeltKeyWarnings(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const warnings: string[] = [];
  value.forEach((item, index) => {
    const endpoints = item && typeof item === 'object' ? (item as { endpoint?: unknown }).endpoint : undefined;
    if (!Array.isArray(endpoints)) return;
    for (const endpoint of endpoints) {
      if (!endpoint || typeof endpoint !== 'object') continue;
      for (const key of Object.keys(endpoint)) {
        const why = MISSPELT_ENDPOINT_KEYS[key];
        if (why) warnings.push(`[${index}].endpoint: ${why}`);
      }
    }
  });
  return warnings;
}

/** Validates an NCCO the way Vonage would: unknown actions and wrong types fail, unknown keys are ignored. */
export function validateNcco(value: unknown): NccoValidation {
  const warnings = misspeltKeyWarnings(value);
  const result = nccoSchema.safeParse(value);
  if (result.success) return { ok: true, ncco: result.data, warnings };
  const issues = result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  return { ok: false, reason: NCCO_SYNTAX_ERROR, issues, warnings };
}

/** The websocket endpoint of an NCCO's first `connect`, if any. */
export function findWebsocketEndpoint(ncco: Ncco): WebsocketEndpoint | undefined {
  for (const item of ncco) {
    if (item.action !== 'connect') continue;
    const endpoint = item.endpoint[0];
    if (endpoint?.type === 'websocket') return endpoint as WebsocketEndpoint;
  }
  return undefined;
}

// ---- builders ----

export function talkAction(text: string, options: { language?: string; bargeIn?: boolean; loop?: number; level?: number } = {}): NccoAction {
  return {
    action: 'talk',
    text,
    ...(options.language ? { language: options.language } : {}),
    ...(options.bargeIn ? { bargeIn: true } : {}),
    ...(options.loop !== undefined ? { loop: options.loop } : {}),
    ...(options.level !== undefined ? { level: options.level } : {}),
  };
}

/** `record`: Vonage records the call and posts the recording's URL to `eventUrl` (docs/protocol.md §6.6). */
export function recordAction(
  options: { eventUrl?: string[]; split?: 'conversation'; channels?: number; beepStart?: boolean; format?: 'mp3' | 'wav' | 'ogg' } = {},
): NccoAction {
  return { action: 'record', ...options } as NccoAction;
}

/** `stream`: plays an audio file from a URL (docs/protocol.md §6.3). */
export function streamAction(url: string, options: { loop?: number; level?: number; bargeIn?: boolean } = {}): NccoAction {
  return { action: 'stream', streamUrl: [url], ...options } as NccoAction;
}

export interface WebsocketConnectOptions {
  uri: string;
  sampleRate: SampleRate;
  headers?: Record<string, unknown>;
  authorization?: WebsocketAuthorization;
  from?: string;
  eventUrl?: string[];
  eventType?: 'synchronous';
}

/** A `connect` action to one websocket endpoint, spelling the wire key exactly `content-type`. */
export function websocketConnectAction(options: WebsocketConnectOptions): NccoAction {
  const endpoint: WebsocketEndpoint = {
    type: 'websocket',
    uri: options.uri,
    [CONTENT_TYPE_KEY]: contentTypeFor(options.sampleRate),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.authorization ? { authorization: options.authorization } : {}),
  };
  return {
    action: 'connect',
    endpoint: [endpoint],
    ...(options.from ? { from: options.from } : {}),
    ...(options.eventType ? { eventType: options.eventType } : {}),
    ...(options.eventUrl ? { eventUrl: options.eventUrl } : {}),
  };
}
