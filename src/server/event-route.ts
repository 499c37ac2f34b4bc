/**
 * The event webhook: `POST|GET /webhooks/event` and `/webhooks/events` (the tutorial registers one and
 * serves the other). Every request is acknowledged at once with 204, even a malformed one: a non-2xx
 * answer makes Vonage retry, and a retry cannot fix a malformed body. Only a forged one (signing on)
 * gets 401.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCode } from '../errors.js';
import type { CallRegistry } from '../call/call-registry.js';
import { FINAL_STATUSES, parseCallEvent, type CallEvent } from '../protocol/webhooks.js';
import type { PromisedSockets } from './promised-sockets.js';
import { webhookFields } from './webhook-body.js';
import type { RequestAuth } from './request-auth.js';

export const EVENT_PATHS = ['/webhooks/event', '/webhooks/events'] as const;

export function registerEventRoutes(
  app: FastifyInstance,
  registry: CallRegistry,
  auth: RequestAuth,
  /** With `--redis`: shares the event with the other instances (not awaited). */
  share?: (event: CallEvent) => void,
  /** A leg that ended before its socket came releases the socket its answer promised. */
  promised?: PromisedSockets,
): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const { fields, error } = webhookFields(request);
    if (error) {
      request.log.warn({ code: errorCode('EVENT_MALFORMED'), detail: error }, 'event webhook body is not JSON; acknowledged and dropped');
      return reply.code(204).send();
    }
    const parsed = parseCallEvent(fields);
    if (!parsed.ok) {
      request.log.warn({ code: errorCode('EVENT_MALFORMED'), detail: parsed.detail }, 'event webhook payload is not an event; acknowledged and dropped');
      return reply.code(204).send();
    }
    const { event } = parsed;
    registry.recordEvent(event);
    share?.(event);
    if (event.kind === 'status' && event.status !== undefined && FINAL_STATUSES.has(event.status)) promised?.settle(event.legUuid);
    request.log.debug({ kind: event.kind, status: event.status, uuid: event.legUuid, conversationUuid: event.conversationUuid }, 'call event');
    return reply.code(204).send();
  };
  for (const path of EVENT_PATHS) {
    app.post(path, { preHandler: auth.verifyWebhook }, handler);
    app.get(path, { preHandler: auth.verifyWebhook }, handler);
  }
}
