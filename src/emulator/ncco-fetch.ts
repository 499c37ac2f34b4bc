/**
 * Fetching an NCCO the way Vonage does (docs/protocol.md §7): the answer URL, or an event URL whose
 * reply may be a new NCCO; Vonage's timeouts; one retry on timeouts, resets and 429/503/504; then the
 * fallback URL with `reason` and `original_request`; the body validated as an NCCO. A room of its own:
 * the call flow asks for an NCCO, this file knows how Vonage gets one.
 */
import { validateNcco, type Ncco } from '../protocol/ncco.js';
import type { Timeline } from './timeline.js';
import { sendWebhook, type Signing } from './webhook-client.js';

export type NccoFetch =
  { ok: true; ncco: Ncco | undefined; latencyMs: number; status: number; attempts: number } | { ok: false; error: string; status?: number; attempts: number };

/** Vonage's default webhook timeouts (docs/protocol.md §7), ms. */
export const WEBHOOK_TIMEOUTS = { answerConnectMs: 1000, answerSocketMs: 5000, eventConnectMs: 1000, eventSocketMs: 10_000 };
/** Statuses whose answer Vonage retries once (docs/protocol.md §7). */
const RETRYABLE_STATUS = new Set([429, 503, 504]);

/** What a fetch needs of its call, and what it leaves there. */
export interface NccoFetchContext {
  timeouts: typeof WEBHOOK_TIMEOUTS;
  signing: Signing | undefined;
  timeline: Timeline;
  /** Warnings of NCCOs that were accepted (a misspelt key Vonage ignores). */
  warnings: string[];
  /** An NCCO was refused: the call records why and tells the event URL, as Vonage does. */
  onInvalid(issues: string[]): void;
}

function invalid(context: NccoFetchContext, issues: string[], status: number, attempts: number): NccoFetch & { retryable: boolean } {
  context.onInvalid(issues);
  return { ok: false, error: `invalid NCCO (${issues[0] ?? 'unknown'})`, status, attempts, retryable: false };
}

/**
 * Fetches an NCCO the way Vonage does (docs/protocol.md §7): one retry on timeouts, resets and 429/503/504; then the
 * fallback URL (twice on retryable failures) with `reason` and `original_request`.
 */
export async function fetchNcco(
  context: NccoFetchContext,
  url: string,
  method: 'GET' | 'POST',
  fields: Record<string, unknown>,
  type: 'answer' | 'event',
  fallbackUrl?: string,
): Promise<NccoFetch> {
  const connectTimeoutMs = type === 'answer' ? context.timeouts.answerConnectMs : context.timeouts.eventConnectMs;
  const socketTimeoutMs = type === 'answer' ? context.timeouts.answerSocketMs : context.timeouts.eventSocketMs;
  let attempts = 0;
  const attempt = async (target: string, body: Record<string, unknown>): Promise<NccoFetch & { retryable?: boolean }> => {
    attempts++;
    const response = await sendWebhook({ url: target, method, fields: body, connectTimeoutMs, socketTimeoutMs, signing: context.signing });
    if (!response.ok) {
      context.timeline.add(type, `${method} ${target} → ${response.error} (${response.detail})`, true);
      return { ok: false, error: `${response.error}: ${response.detail}`, attempts, retryable: response.error !== 'invalid-url' };
    }
    context.timeline.add(type, `${method} ${target} → ${response.status} in ${response.ms.toFixed(1)} ms`);
    if (response.status < 200 || response.status > 299) {
      return { ok: false, error: `HTTP ${response.status}`, status: response.status, attempts, retryable: RETRYABLE_STATUS.has(response.status) };
    }
    if (type === 'event' && response.body.trim() === '') return { ok: true, ncco: undefined, latencyMs: response.ms, status: response.status, attempts };
    if (!/^(application\/json|text\/plain)\b/i.test(response.contentType)) {
      return {
        ok: false,
        error: `content type ${JSON.stringify(response.contentType)} is not application/json`,
        status: response.status,
        attempts,
        retryable: false,
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      return invalid(context, ['body is not JSON'], response.status, attempts);
    }
    const validation = validateNcco(parsed);
    for (const warning of validation.warnings) {
      context.warnings.push(warning);
      context.timeline.add('ncco', `warning: ${warning}`);
    }
    if (!validation.ok) return invalid(context, validation.issues, response.status, attempts);
    return { ok: true, ncco: validation.ncco, latencyMs: response.ms, status: response.status, attempts };
  };
  let result = await attempt(url, fields);
  if (!result.ok && result.retryable) result = await attempt(url, fields);
  if (!result.ok && fallbackUrl) {
    const body = { ...fields, reason: result.error, original_request: { url, type } };
    result = await attempt(fallbackUrl, body);
    if (!result.ok && result.retryable) result = await attempt(fallbackUrl, body);
  }
  return result;
}
