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

export const ANSWER_PATHS = ['/webhooks/answer', '/ncco'] as const;

export function registerAnswerRoutes(
  app: FastifyInstance,
  config: ServerConfig,
  auth: RequestAuth,
  hook: () => AnswerHook | undefined,
  hookTimeoutMs: number,
): void {
  const authorization = auth.socketAuthorization();
  const handler = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const { fields, error } = webhookFields(request);
    if (error) {
      // Still answer: a call with no identity headers beats a failed call.
      request.log.warn({ code: errorCode('ANSWER_MALFORMED'), detail: error }, 'answer webhook body is not JSON; answering without call identity');
    }
    const answer = parseAnswerRequest(fields);
    const { ncco } = await runAnswerHook(
      hook(),
      answer,
      {
        socketUri: socketUrl({ headers: request.headers, encrypted: 'encrypted' in request.socket && request.socket.encrypted === true }, config.publicUrl),
        sampleRate: config.sampleRate,
        greeting: config.greeting,
        greetingLanguage: config.greetingLanguage,
        connectFrom: config.connectFrom,
        ...(authorization ? { authorization } : {}),
      },
      request.log,
      hookTimeoutMs,
    );
    request.log.debug({ uuid: answer.uuid, conversationUuid: answer.conversationUuid, from: answer.from, to: answer.to }, 'answered call');
    return reply.type('application/json').send(ncco);
  };
  for (const path of ANSWER_PATHS) app.get(path, { preHandler: auth.verifyWebhook }, handler);
  app.post(ANSWER_PATHS[0], { preHandler: auth.verifyWebhook }, handler);
}
