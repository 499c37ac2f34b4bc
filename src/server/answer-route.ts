/**
 * The answer webhook: `GET|POST /webhooks/answer` and the tutorial's `GET /ncco`. No I/O on this
 * path: Vonage gives an answer 5 s, and a fast answer is a fast call setup.
 */
import type { FastifyInstance } from 'fastify';
import { errorCode } from '../errors.js';
import { parseAnswerRequest } from '../protocol/webhooks.js';
import { runAnswerHook, type AnswerHook } from './answer-hook.js';
import type { ServerConfig } from './config.js';
import { socketUrl } from './socket-url.js';
import { webhookFields } from './webhook-body.js';
import type { RequestAuth } from './request-auth.js';
import type { PromisedSockets } from './promised-sockets.js';
import { findWebsocketEndpoint, type Ncco } from '../protocol/ncco.js';

export const ANSWER_PATHS = ['/webhooks/answer', '/ncco'] as const;

export function registerAnswerRoutes(
  app: FastifyInstance,
  config: ServerConfig,
  auth: RequestAuth,
  hook: () => AnswerHook | undefined,
  hookTimeoutMs: number,
  /** Sockets promised by the answers served (a drain waits for them). */
  promised?: PromisedSockets,
): void {
  const authorization = auth.socketAuthorization();
  const handler = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const { fields, error } = webhookFields(request);
    if (error) {
      // Still answer: a call with no identity headers beats a failed call.
      request.log.warn({ code: errorCode('ANSWER_MALFORMED'), detail: error }, 'answer webhook body is not JSON; answering without call identity');
    }
    const answer = parseAnswerRequest(fields);
    const socketUri = socketUrl({ headers: request.headers, encrypted: 'encrypted' in request.socket && request.socket.encrypted === true }, config.publicUrl);
    const { ncco } = await runAnswerHook(
      hook(),
      answer,
      {
        socketUri,
        sampleRate: config.sampleRate,
        greeting: config.greeting,
        greetingLanguage: config.greetingLanguage,
        connectFrom: config.connectFrom,
        ...(authorization ? { authorization } : {}),
      },
      request.log,
      hookTimeoutMs,
    );
    if (promised && connectsTo(ncco, socketUri)) promised.promise(answer.uuid);
    request.log.debug({ uuid: answer.uuid, conversationUuid: answer.conversationUuid, from: answer.from, to: answer.to }, 'answered call');
    return reply.type('application/json').send(ncco);
  };
  for (const path of ANSWER_PATHS) app.get(path, { preHandler: auth.verifyWebhook }, handler);
  app.post(ANSWER_PATHS[0], { preHandler: auth.verifyWebhook }, handler);
}

/** Whether an NCCO connects the call to this socket URL (same host and path): its socket will come here. */
function connectsTo(ncco: Ncco, socketUri: string): boolean {
  const endpoint = findWebsocketEndpoint(ncco);
  if (!endpoint) return false;
  try {
    const [target, ours] = [new URL(endpoint.uri), new URL(socketUri)];
    return target.host === ours.host && target.pathname === ours.pathname;
  } catch {
    return false;
  }
}
