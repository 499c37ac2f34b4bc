/**
 * Vonage's Voice REST API as the emulator serves it (PROTOCOL.md §10): `PUT /v1/calls/:uuid`
 * (hangup, mute, unmute, earmuff, unearmuff, transfer to an NCCO) → 204, `POST /v1/calls` (a call to a
 * websocket endpoint) → 201, `GET /v1/calls/:uuid`. Requests must carry the application's RS256 JWT,
 * so code written against `@vonage/server-sdk` can be pointed at the emulator unchanged.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify, type CryptoKey } from 'jose';
import { validateNcco, type Ncco } from '../protocol/ncco.js';

export interface RestCall {
  uuid: string;
  conversationUuid: string;
  legUuids(): string[];
  control(legUuid: string, action: 'hangup' | 'mute' | 'unmute' | 'earmuff' | 'unearmuff'): boolean;
  transfer(ncco: Ncco): void;
  status(): string;
}

export interface OutboundRequest {
  to: Record<string, unknown>;
  from?: string;
  ncco?: Ncco;
  answerUrl?: string;
  eventUrl?: string;
  lengthTimerS?: number;
}

export interface RestApiOptions {
  applicationId?: string;
  /** PEM public key of the application; without it the JWT is decoded but its signature not checked. */
  publicKey?: string;
  findCall(legUuid: string): RestCall | undefined;
  createCall(request: OutboundRequest): RestCall;
}

type AuthResult = { ok: true } | { ok: false; status: 401; title: string; detail: string };

const CALL_ACTIONS = new Set(['hangup', 'mute', 'unmute', 'earmuff', 'unearmuff']);

function problem(reply: FastifyReply, status: number, title: string, detail: string) {
  // Vonage answers errors as RFC 7807 problem details.
  return reply.code(status).type('application/problem+json').send({ type: `https://developer.vonage.com/api-errors#${status}`, title, detail });
}

export async function createRestApi(options: RestApiOptions): Promise<FastifyInstance> {
  const key: CryptoKey | undefined = options.publicKey ? await importSPKI(options.publicKey, 'RS256') : undefined;
  const app = Fastify({ logger: false });

  const authorize = async (request: FastifyRequest): Promise<AuthResult> => {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) return { ok: false, status: 401, title: 'Unauthorized', detail: 'no Bearer JWT' };
    try {
      if (decodeProtectedHeader(token).alg !== 'RS256') return { ok: false, status: 401, title: 'Unauthorized', detail: 'the application JWT must be RS256' };
      const claims = key ? (await jwtVerify(token, key, { algorithms: ['RS256'] })).payload : decodeJwt(token);
      if (options.applicationId && claims.application_id !== options.applicationId) return { ok: false, status: 401, title: 'Unauthorized', detail: 'application_id does not match' };
      return { ok: true };
    } catch (error) {
      return { ok: false, status: 401, title: 'Unauthorized', detail: (error as Error).message };
    }
  };

  app.addHook('onRequest', async (request, reply) => {
    const auth = await authorize(request);
    if (!auth.ok) return problem(reply, auth.status, auth.title, auth.detail);
  });

  app.put<{ Params: { uuid: string }; Body: Record<string, unknown> }>('/v1/calls/:uuid', async (request, reply) => {
    const call = options.findCall(request.params.uuid);
    if (!call) return problem(reply, 404, 'Not Found', `no call leg ${request.params.uuid}`);
    const body = request.body ?? {};
    const action = body.action;
    if (action === 'transfer') {
      const destination = body.destination as { type?: string; ncco?: unknown } | undefined;
      if (destination?.type !== 'ncco' || destination.ncco === undefined) return problem(reply, 400, 'Bad Request', 'transfer needs destination {type: "ncco", ncco: [...]} (url transfers are not emulated)');
      const validation = validateNcco(destination.ncco);
      if (!validation.ok) return problem(reply, 400, 'Bad Request', `invalid NCCO: ${validation.issues.join('; ')}`);
      call.transfer(validation.ncco);
      return reply.code(204).send();
    }
    if (typeof action !== 'string' || !CALL_ACTIONS.has(action)) return problem(reply, 400, 'Bad Request', `unknown action ${JSON.stringify(action)}`);
    call.control(request.params.uuid, action as 'hangup');
    return reply.code(204).send();
  });

  app.get<{ Params: { uuid: string } }>('/v1/calls/:uuid', async (request, reply) => {
    const call = options.findCall(request.params.uuid);
    if (!call) return problem(reply, 404, 'Not Found', `no call leg ${request.params.uuid}`);
    return { uuid: request.params.uuid, conversation_uuid: call.conversationUuid, status: call.status() };
  });

  app.post<{ Body: Record<string, unknown> }>('/v1/calls', async (request, reply) => {
    const body = request.body ?? {};
    const to = Array.isArray(body.to) ? (body.to[0] as Record<string, unknown> | undefined) : undefined;
    if (!to || to.type !== 'websocket') return problem(reply, 400, 'Bad Request', 'the emulator places calls to websocket endpoints only (to: [{type: "websocket", ...}])');
    let ncco: Ncco | undefined;
    if (body.ncco !== undefined) {
      const validation = validateNcco(body.ncco);
      if (!validation.ok) return problem(reply, 400, 'Bad Request', `invalid NCCO: ${validation.issues.join('; ')}`);
      ncco = validation.ncco;
    }
    const answerUrl = Array.isArray(body.answer_url) ? String(body.answer_url[0]) : undefined;
    if (!ncco && !answerUrl) return problem(reply, 400, 'Bad Request', 'ncco or answer_url is required');
    const from = body.from as { number?: string } | undefined;
    const call = options.createCall({
      to,
      ...(from?.number ? { from: from.number } : {}),
      ...(ncco ? { ncco } : {}),
      ...(answerUrl ? { answerUrl } : {}),
      ...(Array.isArray(body.event_url) ? { eventUrl: String(body.event_url[0]) } : {}),
      ...(typeof body.length_timer === 'number' ? { lengthTimerS: body.length_timer } : {}),
    });
    return reply.code(201).send({ uuid: call.uuid, status: 'started', direction: 'outbound', conversation_uuid: call.conversationUuid });
  });

  return app;
}
