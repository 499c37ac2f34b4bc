/**
 * Webhook bodies are read raw and parsed by the routes themselves: a malformed event must still be
 * acknowledged (Vonage would otherwise retry), and the signed-webhook check needs the exact bytes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Webhook bodies are small JSON documents (an event is under 2 KB); 64 KiB leaves room and caps abuse. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

export interface WebhookBody {
  raw: Buffer;
  /** The parsed JSON, or undefined when the body is empty or not JSON. */
  json: unknown;
  /** Why the body could not be read as JSON, when it could not. */
  error: string | undefined;
}

export function registerRawBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_WEBHOOK_BODY_BYTES }, (_request, raw, done) => {
    const buffer = raw as Buffer;
    const body: WebhookBody = { raw: buffer, json: undefined, error: undefined };
    if (buffer.length > 0) {
      try {
        body.json = JSON.parse(buffer.toString('utf8'));
      } catch (error) {
        body.error = (error as Error).message;
      }
    }
    done(null, body);
  });
}

/** Fields of a webhook: the JSON body for POST, the query string for GET. */
export function webhookFields(request: FastifyRequest): { fields: unknown; error: string | undefined } {
  if (request.method === 'GET') return { fields: request.query, error: undefined };
  const body = request.body as WebhookBody | undefined;
  if (!body || body.raw.length === 0) return { fields: request.query, error: undefined };
  return { fields: body.json, error: body.error };
}
