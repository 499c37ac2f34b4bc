/**
 * `POST /v1/calls` as Vonage reads it (docs/protocol.md §10, §16): `to` (a phone, SIP, websocket, app
 * or VBC endpoint), `from` or `random_from_number`, an `ncco` or an `answer_url` (with
 * `answer_method`), `event_url`/`event_method` (or the application's), `machine_detection`,
 * `advanced_machine_detection` (`behavior`, `mode`, `beep_timeout`), `ringing_timer` (1-120 s) and
 * `length_timer` (1-7200 s). The body is snake_case, as `@vonage/voice` sends it; `dtmfAnswer` stays
 * camelCase on the endpoint (the SDK passes endpoints through as written, and the OpenAPI spells it so).
 */
import { validateNcco, type Ncco } from '../../protocol/ncco.js';
import type { Destination } from './leg.js';
import type { DetectionSettings } from './machine-detection.js';

export interface OutboundRequest {
  to: Destination;
  from?: string;
  randomFromNumber: boolean;
  ncco?: Ncco;
  answerUrl?: string;
  answerMethod: 'GET' | 'POST';
  eventUrl?: string;
  eventMethod?: 'GET' | 'POST';
  detection: DetectionSettings;
  /** Seconds a leg may ring (`ringing_timer`, default 60). */
  ringingTimerS: number;
  /** Seconds an answered call may last (`length_timer`, default 7200). */
  lengthTimerS: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; detail: string };

const RINGING_TIMER = { min: 1, max: 120, default: 60 };
const LENGTH_TIMER = { min: 1, max: 7200, default: 7200 };
/** The SDKs' range for `beep_timeout` (docs/protocol.md §16). */
const BEEP_TIMEOUT = { min: 45, max: 120 };

function method(value: unknown, name: string): Parsed<'GET' | 'POST' | undefined> {
  if (value === undefined) return { ok: true, value: undefined };
  return value === 'GET' || value === 'POST' ? { ok: true, value } : { ok: false, detail: `${name} must be GET or POST` };
}

function seconds(value: unknown, name: string, range: { min: number; max: number; default?: number }): Parsed<number | undefined> {
  if (value === undefined) return { ok: true, value: range.default };
  const number = Number(value);
  return Number.isInteger(number) && number >= range.min && number <= range.max
    ? { ok: true, value: number }
    : { ok: false, detail: `${name} must be a whole number of seconds from ${range.min} to ${range.max}` };
}

function firstUrl(value: unknown, name: string): Parsed<string | undefined> {
  if (value === undefined) return { ok: true, value: undefined };
  const url = Array.isArray(value) ? value[0] : undefined;
  return typeof url === 'string' && /^https?:\/\//.test(url)
    ? { ok: true, value: url }
    : { ok: false, detail: `${name} must be an array holding an http(s) URL` };
}

/** One `to` endpoint, checked as the Voice API checks it. */
export function parseDestination(raw: unknown): Parsed<Destination> {
  const endpoint = (raw ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof endpoint[key] === 'string' && endpoint[key] !== '' ? (endpoint[key] as string) : undefined);
  switch (endpoint.type) {
    case 'phone': {
      const number = text('number');
      if (!number || !/^\+?\d{6,15}$/.test(number)) return { ok: false, detail: 'a phone endpoint needs number: 6 to 15 digits (E.164)' };
      const dtmf = text('dtmfAnswer') ?? text('dtmf_answer');
      if (dtmf && !/^[0-9*#p]+$/.test(dtmf)) return { ok: false, detail: 'dtmfAnswer may hold 0-9, *, # and p only' };
      return { ok: true, value: { type: 'phone', number: number.replace(/^\+/, ''), ...(dtmf ? { dtmfAnswer: dtmf } : {}) } };
    }
    case 'sip': {
      const uri = text('uri');
      return uri && /^sips?:/.test(uri)
        ? { ok: true, value: { type: 'sip', uri, ...(endpoint.headers ? { headers: endpoint.headers as Record<string, unknown> } : {}) } }
        : { ok: false, detail: 'a sip endpoint needs uri: sip:…' };
    }
    case 'app':
      return text('user') ? { ok: true, value: { type: 'app', user: text('user')! } } : { ok: false, detail: 'an app endpoint needs user' };
    case 'vbc':
      return text('extension') ? { ok: true, value: { type: 'vbc', extension: text('extension')! } } : { ok: false, detail: 'a vbc endpoint needs extension' };
    case 'websocket': {
      // The same rules as a websocket endpoint in an NCCO (uri, content-type, headers ≤ 512 bytes, authorization).
      const checked = validateNcco([{ action: 'connect', endpoint: [endpoint] }]);
      if (!checked.ok) return { ok: false, detail: `websocket endpoint: ${checked.issues.join('; ').replace(/\[?0\]?\.endpoint\.0\.?/g, '')}` };
      return { ok: true, value: endpoint as Destination };
    }
    default:
      return { ok: false, detail: 'to[0].type must be phone, sip, websocket, app or vbc' };
  }
}

function detection(body: Record<string, unknown>): Parsed<DetectionSettings> {
  const settings: DetectionSettings = {};
  if (body.machine_detection !== undefined) {
    if (body.machine_detection !== 'continue' && body.machine_detection !== 'hangup')
      return { ok: false, detail: 'machine_detection must be continue or hangup' };
    settings.standard = body.machine_detection;
  }
  const advanced = body.advanced_machine_detection as Record<string, unknown> | undefined;
  if (advanced !== undefined) {
    if (typeof advanced !== 'object' || advanced === null) return { ok: false, detail: 'advanced_machine_detection must be an object' };
    const behavior = advanced.behavior ?? 'continue';
    const mode = advanced.mode ?? 'detect';
    if (behavior !== 'continue' && behavior !== 'hangup') return { ok: false, detail: 'advanced_machine_detection.behavior must be continue or hangup' };
    if (mode !== 'default' && mode !== 'detect' && mode !== 'detect_beep')
      return { ok: false, detail: 'advanced_machine_detection.mode must be default, detect or detect_beep' };
    const beep = seconds(advanced.beep_timeout, 'advanced_machine_detection.beep_timeout', BEEP_TIMEOUT);
    if (!beep.ok) return beep;
    settings.advanced = { behavior, mode, ...(beep.value !== undefined ? { beepTimeoutS: beep.value } : {}) };
  }
  return { ok: true, value: settings };
}

/** Reads a `POST /v1/calls` body; a refusal says which field, as Vonage's 400 does. */
export function parseOutboundRequest(raw: unknown): Parsed<OutboundRequest> {
  const body = (raw ?? {}) as Record<string, unknown>;
  if (!Array.isArray(body.to) || body.to.length === 0) return { ok: false, detail: 'to must be an array of one endpoint' };
  const to = parseDestination(body.to[0]);
  if (!to.ok) return to;
  const from = body.from as { type?: unknown; number?: unknown } | undefined;
  if (from !== undefined && (typeof from !== 'object' || typeof from.number !== 'string')) return { ok: false, detail: 'from must be {type: "phone", number}' };
  if (from && body.random_from_number === true) return { ok: false, detail: 'random_from_number: true cannot be used together with from' };
  if (body.ncco !== undefined && body.answer_url !== undefined) return { ok: false, detail: 'give either ncco or answer_url, not both' };
  let ncco: Ncco | undefined;
  if (body.ncco !== undefined) {
    const validation = validateNcco(body.ncco);
    if (!validation.ok) return { ok: false, detail: `invalid NCCO: ${validation.issues.join('; ')}` };
    ncco = validation.ncco;
  }
  const answerUrl = firstUrl(body.answer_url, 'answer_url');
  const eventUrl = firstUrl(body.event_url, 'event_url');
  const answerMethod = method(body.answer_method, 'answer_method');
  const eventMethod = method(body.event_method, 'event_method');
  const ringing = seconds(body.ringing_timer, 'ringing_timer', RINGING_TIMER);
  const length = seconds(body.length_timer, 'length_timer', LENGTH_TIMER);
  const detect = detection(body);
  for (const parsed of [answerUrl, eventUrl, answerMethod, eventMethod, ringing, length, detect]) if (!parsed.ok) return parsed;
  if (!ncco && !answerUrl.ok) return answerUrl;
  if (!ncco && !(answerUrl.ok && answerUrl.value)) return { ok: false, detail: 'ncco or answer_url is required' };
  return {
    ok: true,
    value: {
      to: to.value,
      ...(typeof from?.number === 'string' ? { from: from.number.replace(/^\+/, '') } : {}),
      randomFromNumber: body.random_from_number === true,
      ...(ncco ? { ncco } : {}),
      ...(answerUrl.ok && answerUrl.value ? { answerUrl: answerUrl.value } : {}),
      answerMethod: (answerMethod.ok && answerMethod.value) || 'GET',
      ...(eventUrl.ok && eventUrl.value ? { eventUrl: eventUrl.value } : {}),
      ...(eventMethod.ok && eventMethod.value ? { eventMethod: eventMethod.value } : {}),
      detection: detect.ok ? detect.value : {},
      ringingTimerS: (ringing.ok && ringing.value) || RINGING_TIMER.default,
      lengthTimerS: (length.ok && length.value) || LENGTH_TIMER.default,
    },
  };
}
