/**
 * The answer hook: a library user (or an app module) decides the NCCO per call — a greeting by
 * caller, a `record` action, custom headers for the socket, or no connect at all to refuse the call.
 * Like fastify's hook runner, whatever the hook does is contained: a throw, a rejection, a hang past
 * its time, or an NCCO Vonage would refuse gets a coded log line and the default NCCO, never a 500.
 */
import { errorCode } from '../errors.js';
import type { AnswerRequest } from '../protocol/webhooks.js';
import { recordAction, streamAction, talkAction, validateNcco, type Ncco } from '../protocol/ncco.js';
import type { AnswerContext, AnswerHook } from '../apps/app.js';
import type { Logger } from '../call/logger.js';

export type { AnswerContext, AnswerHook } from '../apps/app.js';
import { answerNcco, socketConnectAction, type AnswerNccoOptions } from './answer-ncco.js';

export interface AnswerOutcome {
  ncco: Ncco;
  /** Set when the hook failed and the default NCCO was sent instead. */
  failure?: string;
}

export async function runAnswerHook(
  hook: AnswerHook | undefined,
  request: AnswerRequest,
  options: AnswerNccoOptions,
  log: Logger,
  timeoutMs: number,
): Promise<AnswerOutcome> {
  const defaultNcco = answerNcco(request, options);
  if (!hook) return { ncco: defaultNcco };
  const context: AnswerContext = {
    request,
    defaultNcco,
    ncco: {
      talk: talkAction,
      stream: streamAction,
      record: recordAction,
      connect: (choices = {}) => socketConnectAction(request, options, choices),
    },
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const returned = await Promise.race([
      Promise.resolve().then(() => hook(context)),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    if (returned === 'timeout') return fallback(`the hook did not answer within ${timeoutMs} ms`);
    if (returned === undefined) return { ncco: defaultNcco };
    const validation = validateNcco(returned);
    if (!validation.ok) return fallback(`the hook returned an NCCO Vonage would refuse: ${validation.issues.slice(0, 3).join('; ')}`);
    return { ncco: validation.ncco };
  } catch (error) {
    return fallback(`the hook threw: ${(error as Error)?.message ?? String(error)}`, error);
  } finally {
    clearTimeout(timer);
  }

  function fallback(reason: string, error?: unknown): AnswerOutcome {
    log.error(
      { code: errorCode('ANSWER_HOOK_FAILED'), uuid: request.uuid, detail: reason, ...(error ? { err: error } : {}) },
      'answer hook failed; answered with the default NCCO',
    );
    return { ncco: defaultNcco, failure: reason };
  }
}
