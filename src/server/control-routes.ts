/**
 * Call control over HTTP: `POST /api/calls/:call/hangup`, `/clear`, `/play` (a WAV body), and with
 * Vonage credentials `/transfer` (`{"to": name, "briefing"?: text}`) and `/dtmf` (`{"digits"}`). `:call`
 * is a call id from `/api/calls` or the leg uuid Vonage gave the call. With `--redis` the call may be
 * on any instance (src/scale/redis-control.ts). Guarded like `/api/calls`: a signed server needs the
 * dashboard password or a request from this machine.
 */
import type { FastifyInstance, FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import { inspectWav } from '../audio/wav.js';
import type { CallControl, ControlResult } from '../call/call-control.js';
import { ERRORS, errorCode } from '../errors.js';
import type { WebhookBody } from './webhook-body.js';
import { DTMF_DIGITS } from '../telephony/call-telephony.js';

/** A minute of 16 kHz mono is 1.9 MB; a prompt longer than two belongs in a file the app reads. */
export const MAX_PLAY_BYTES = 4 * 1024 * 1024;
/**
 * Longest audio a play request may hold. The byte limit allows 2 minutes of 16 kHz 16-bit mono and
 * 4.4 of an 8 kHz phone recording; a longer file within the bytes is a low-rate or 8-bit one whose
 * conversion multiplies it (4 MiB of 8-bit 4 kHz is 17 minutes).
 */
export const MAX_PLAY_SECONDS = 300;

const STATUS = { CALL_NOT_FOUND: 404, REDIS_UNAVAILABLE: 503, CONTROL_TIMEOUT: 504, REDIS_CONTROL_OFF: 503, REDIS_SECRET_MISMATCH: 503 } as const;

function answer(reply: FastifyReply, call: string, result: ControlResult) {
  if (result.ok) return reply.send({ ok: true, call, instance: result.instance });
  return reply.code(STATUS[result.error]).send({ ok: false, call, code: errorCode(result.error), message: ERRORS[result.error] });
}

export function registerControlRoutes(app: FastifyInstance, control: CallControl, guard: preHandlerAsyncHookHandler): void {
  type Params = { Params: { call: string } };
  app.post<Params>('/api/calls/:call/hangup', { preHandler: guard }, async (request, reply) =>
    answer(reply, request.params.call, await control.hangup(request.params.call)),
  );
  app.post<Params>('/api/calls/:call/clear', { preHandler: guard }, async (request, reply) =>
    answer(reply, request.params.call, await control.clear(request.params.call)),
  );
  app.post<Params>('/api/calls/:call/play', { preHandler: guard, bodyLimit: MAX_PLAY_BYTES }, async (request, reply) => {
    const wav = (request.body as WebhookBody | undefined)?.raw ?? Buffer.alloc(0);
    const refuse = (detail: string) =>
      reply.code(400).send({ ok: false, call: request.params.call, code: errorCode('PLAY_INVALID'), message: `${ERRORS.PLAY_INVALID}: ${detail}` });
    let seconds: number;
    try {
      // Checked here, at the edge, from the header alone: a bad file is the sender's 400, not a
      // failure on another instance, and checking costs nothing whatever the file's length.
      seconds = inspectWav(wav).durationMs / 1000;
    } catch (error) {
      return refuse((error as Error).message);
    }
    if (seconds > MAX_PLAY_SECONDS) return refuse(`${Math.round(seconds)} s of audio (at most ${MAX_PLAY_SECONDS} s)`);
    return answer(reply, request.params.call, await control.play(request.params.call, wav));
  });
  // Telephony (docs/outbound.md): started here, told on the call's timeline as it goes.
  const fields = (request: { body: unknown }) => ((request.body as WebhookBody | undefined)?.json ?? {}) as Record<string, unknown>;
  app.post<Params>('/api/calls/:call/transfer', { preHandler: guard }, async (request, reply) => {
    const { to, briefing } = fields(request);
    if (typeof to !== 'string' || to.length === 0 || to.length > 200 || (briefing !== undefined && (typeof briefing !== 'string' || briefing.length > 2000)))
      return reply.code(400).send({
        ok: false,
        call: request.params.call,
        code: errorCode('TRANSFER_REFUSED'),
        message: `${ERRORS.TRANSFER_REFUSED}: expected {"to": a destination's name, "briefing"?: text for a warm transfer}`,
      });
    return answer(reply, request.params.call, await control.transfer(request.params.call, to, briefing as string | undefined));
  });
  app.post<Params>('/api/calls/:call/dtmf', { preHandler: guard }, async (request, reply) => {
    const { digits } = fields(request);
    if (typeof digits !== 'string' || !DTMF_DIGITS.test(digits))
      return reply.code(400).send({ ok: false, call: request.params.call, code: errorCode('DTMF_INVALID'), message: ERRORS.DTMF_INVALID });
    return answer(reply, request.params.call, await control.dtmf(request.params.call, digits));
  });
}
