/**
 * A call's event webhooks as Vonage posts them: in order, each after the previous one was answered
 * (or timed out), never holding up the NCCO; an event whose answer may be a new NCCO (input, notify,
 * disconnected) waits for those before it and follows the NCCO fetch's retry rules. Every post is
 * kept, with its status or error, for the call's result.
 */
import type { Ncco } from '../protocol/ncco.js';
import type { PostedEvent } from './call-result.js';
import type { NccoFetch, WEBHOOK_TIMEOUTS } from './ncco-fetch.js';
import type { Timeline } from './timeline.js';
import { sendWebhook, type Signing } from './webhook-client.js';

export interface EventPosterOptions {
  method: 'GET' | 'POST';
  timeouts: typeof WEBHOOK_TIMEOUTS;
  signing: Signing | undefined;
  timeline: Timeline;
  /** Fetches an event's NCCO (ncco-fetch.ts, with the call's fallback URL). */
  fetchNcco(url: string, method: 'GET' | 'POST', body: Record<string, unknown>): Promise<NccoFetch>;
}

export class EventPoster {
  readonly posted: PostedEvent[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EventPosterOptions) {}

  /** Posts a plain status event, in order with the others, without holding up the NCCO. */
  post(url: string | undefined, body: Record<string, unknown>): void {
    if (!url) return;
    const entry: PostedEvent = { url, body };
    this.posted.push(entry);
    const { method, timeouts, signing, timeline } = this.options;
    this.chain = this.chain.then(async () => {
      const response = await sendWebhook({
        url,
        method,
        fields: body,
        connectTimeoutMs: timeouts.eventConnectMs,
        socketTimeoutMs: timeouts.eventSocketMs,
        signing,
      });
      if (response.ok) entry.status = response.status;
      else entry.error = response.error;
      timeline.add('event', `${String(body.status ?? (body.reason ? 'error' : 'event'))} → ${response.ok ? response.status : response.error}`);
    });
  }

  /** Posts an event that may answer with an NCCO (input, notify, disconnected, failed); follows Vonage's retry rules. */
  async postForNcco(url: string | undefined, body: Record<string, unknown>, method: 'GET' | 'POST' = 'POST'): Promise<Ncco | undefined> {
    if (!url) return undefined;
    await this.chain;
    const entry: PostedEvent = { url, body };
    this.posted.push(entry);
    const result = await this.options.fetchNcco(url, method, body);
    if (result.ok) entry.status = result.status;
    else entry.error = result.error;
    // On final failure of an event that expects an NCCO the call flow continues (docs/protocol.md §8).
    return result.ok ? result.ncco : undefined;
  }

  /** Resolves once every event posted so far has its answer. */
  settled(): Promise<unknown> {
    return this.chain;
  }
}
