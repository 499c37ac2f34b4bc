/**
 * Vonage's Voice REST API as the emulator serves it (docs/protocol.md §10): `PUT /v1/calls/:uuid`
 * (hangup, mute, unmute, earmuff, unearmuff, transfer to an NCCO) → 204; `PUT|DELETE
 * /v1/calls/:uuid/talk|stream` and `PUT /v1/calls/:uuid/dtmf` → 200 with audio played into the call;
 * `POST /v1/calls` (a call on the phone network, network/) → 201; `GET /v1/calls` (search) and
 * `GET /v1/calls/:uuid`, ended calls included; `GET /v1/files/:id` (recordings). Requests must carry the application's RS256 JWT, so
 * code written against `@vonage/server-sdk` can be pointed at the emulator unchanged. Every error,
 * an unknown route included, is an RFC 7807 problem document, as Vonage answers.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify, type CryptoKey } from 'jose';
import { validateNcco, type Ncco } from '../protocol/ncco.js';
import { readWav, wavAudioToCallPcm, WavError } from '../audio/wav.js';
import type { InjectRequest, LegRecord } from './call.js';
import type { EmulatedAccount } from './account.js';
import { registerAccountApi } from './account-api.js';
import { problem } from './rest-problem.js';

export interface RestCall {
  uuid: string;
  conversationUuid: string;
  /** False once the call has ended (it stays listed, as Vonage keeps call records). */
  live: boolean;
  legUuids(): string[];
  control(legUuid: string, action: 'hangup' | 'mute' | 'unmute' | 'earmuff' | 'unearmuff'): boolean;
  transfer(ncco: Ncco): void;
  /** Transfer to the NCCO a URL answers with; absent where only inline NCCOs are emulated. */
  transferToUrl?(url: string): Promise<boolean>;
  playInto(legUuid: string, request: InjectRequest): Promise<boolean>;
  stopPlaying(legUuid: string, kind: 'talk' | 'stream'): boolean;
  records(): LegRecord[];
}

export interface RestApiOptions {
  applicationId?: string;
  /** PEM public key of the application; without it the JWT is decoded but its signature not checked. */
  publicKey?: string;
  /** The call a leg belongs to, live or ended. */
  findCall(legUuid: string): RestCall | undefined;
  /** Every call the emulator still keeps, oldest first. */
  allCalls(): RestCall[];
  /** `POST /v1/calls`: the raw body, the application whose JWT signed the request, and this API's base URL. A string is why it was refused. */
  createCall(body: unknown, caller: { applicationId?: string; baseUrl: string }): RestCall | string;
  /** A file `GET /v1/files/:id` serves (an NCCO `record`'s recording). */
  file?(id: string): { contentType: string; body: Buffer } | undefined;
  /** The account whose Applications and Numbers APIs are served too, and whose applications' keys sign REST calls. */
  account?: EmulatedAccount;
}

type AuthResult = { ok: true; applicationId?: string } | { ok: false; status: 401; title: string; detail: string };

/** The application a request's JWT names, once the JWT is verified. */
const applicationOf = new WeakMap<FastifyRequest, string>();

const CALL_ACTIONS = new Set(['hangup', 'mute', 'unmute', 'earmuff', 'unearmuff']);

/** How long `stream` waits for its audio file. */
const STREAM_FETCH_TIMEOUT_MS = 5000;

/** `loop`: 1 by default, 0 for "until stopped". */
function loopOf(raw: unknown): number {
  const loop = Number(raw ?? 1);
  return Number.isInteger(loop) && loop >= 0 ? loop : 1;
}

/** `level`: -1 to 1, sent as a number or (by @vonage/voice) as a string. */
function levelOf(raw: unknown): number {
  const level = Number(raw ?? 0);
  return Number.isFinite(level) ? Math.min(1, Math.max(-1, level)) : 0;
}

function restBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}`;
}

function withLinks(record: LegRecord): LegRecord & { _links: { self: { href: string } } } {
  return { ...record, _links: { self: { href: `/v1/calls/${record.uuid}` } } };
}

export async function createRestApi(options: RestApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setNotFoundHandler((request, reply) =>
    problem(reply, 404, 'Not Found', `${request.method} ${request.url.split('?')[0]} is not part of the emulated Vonage APIs`),
  );
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) =>
    problem(reply, error.statusCode ?? 500, error.statusCode === 400 ? 'Bad Request' : 'Internal Server Error', error.message),
  );
  // Each API in its own plugin context: the Voice API's JWT check does not apply to the account's APIs,
  // which authenticate with the API key and secret.
  await app.register((voice) => registerVoiceApi(voice, options));
  const account = options.account;
  if (account) await app.register((accountApis) => registerAccountApi(accountApis, account));
  return app;
}

/** Verifies the application JWT: with the configured key, or the key of the account's application it names. */
function jwtAuthorizer(options: RestApiOptions, configuredKey: CryptoKey | undefined): (request: FastifyRequest) => Promise<AuthResult> {
  return async (request) => {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) return { ok: false, status: 401, title: 'Unauthorized', detail: 'no Bearer JWT' };
    try {
      if (decodeProtectedHeader(token).alg !== 'RS256') return { ok: false, status: 401, title: 'Unauthorized', detail: 'the application JWT must be RS256' };
      const claimed = decodeJwt(token).application_id;
      const accountKey = typeof claimed === 'string' ? options.account?.publicKeyOf(claimed) : undefined;
      if (options.account && !configuredKey && !accountKey)
        return { ok: false, status: 401, title: 'Unauthorized', detail: `application_id ${String(claimed)} is not an application of this account` };
      const key = accountKey ? await importSPKI(accountKey, 'RS256') : configuredKey;
      const claims = key ? (await jwtVerify(token, key, { algorithms: ['RS256'] })).payload : decodeJwt(token);
      if (options.applicationId && !accountKey && claims.application_id !== options.applicationId)
        return { ok: false, status: 401, title: 'Unauthorized', detail: 'application_id does not match' };
      return { ok: true, ...(typeof claims.application_id === 'string' ? { applicationId: claims.application_id } : {}) };
    } catch (error) {
      return { ok: false, status: 401, title: 'Unauthorized', detail: (error as Error).message };
    }
  };
}

async function registerVoiceApi(app: FastifyInstance, options: RestApiOptions): Promise<void> {
  const authorize = jwtAuthorizer(options, options.publicKey ? await importSPKI(options.publicKey, 'RS256') : undefined);
  app.addHook('onRequest', async (request, reply) => {
    const auth = await authorize(request);
    if (!auth.ok) return problem(reply, auth.status, auth.title, auth.detail);
    if (auth.applicationId) applicationOf.set(request, auth.applicationId);
  });

  /** A live call holding the leg, or a problem reply: Vonage refuses call control on a completed call. */
  const liveCall = (uuid: string, reply: FastifyReply): RestCall | undefined => {
    const call = options.findCall(uuid);
    if (!call) return void problem(reply, 404, 'Not Found', `no call leg ${uuid}`);
    if (!call.live) return void problem(reply, 400, 'Bad Request', `call leg ${uuid} has ended`);
    return call;
  };

  app.put<{ Params: { uuid: string }; Body: Record<string, unknown> }>('/v1/calls/:uuid/talk', async (request, reply) => {
    const call = liveCall(request.params.uuid, reply);
    if (!call) return reply;
    const body = request.body ?? {};
    if (typeof body.text !== 'string' || body.text.trim() === '') return problem(reply, 400, 'Bad Request', 'text is required');
    await call.playInto(request.params.uuid, { kind: 'talk', text: body.text, loop: loopOf(body.loop), level: levelOf(body.level) });
    return { message: 'Talk started', uuid: request.params.uuid };
  });

  app.put<{ Params: { uuid: string }; Body: Record<string, unknown> }>('/v1/calls/:uuid/stream', async (request, reply) => {
    const call = liveCall(request.params.uuid, reply);
    if (!call) return reply;
    const body = request.body ?? {};
    const url = Array.isArray(body.stream_url) ? body.stream_url[0] : undefined;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return problem(reply, 400, 'Bad Request', 'stream_url must be [an http(s) URL]');
    // Vonage plays MP3 and WAV; the emulator decodes WAV and answers 400 for anything else, saying so.
    let audio;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(STREAM_FETCH_TIMEOUT_MS) });
      if (!response.ok) return await problem(reply, 400, 'Bad Request', `stream_url answered ${response.status}`);
      audio = readWav(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      const why =
        error instanceof WavError
          ? `not a WAV the emulator can decode (${error.message}); Vonage also plays MP3, the emulator does not`
          : (error as Error).message;
      return problem(reply, 400, 'Bad Request', `stream_url: ${why}`);
    }
    const decoded = audio;
    await call.playInto(request.params.uuid, {
      kind: 'stream',
      pcm: (rate) => wavAudioToCallPcm(decoded, rate),
      loop: loopOf(body.loop),
      level: levelOf(body.level),
    });
    return { message: 'Stream started', uuid: request.params.uuid };
  });

  app.put<{ Params: { uuid: string }; Body: Record<string, unknown> }>('/v1/calls/:uuid/dtmf', async (request, reply) => {
    const call = liveCall(request.params.uuid, reply);
    if (!call) return reply;
    const digits = request.body?.digits;
    if (typeof digits !== 'string' || !/^[0-9*#p]{1,100}$/.test(digits))
      return problem(reply, 400, 'Bad Request', 'digits must be 1 to 100 of 0-9, *, # and p (a pause)');
    await call.playInto(request.params.uuid, { kind: 'dtmf', digits });
    return { message: 'DTMF sent', uuid: request.params.uuid };
  });

  for (const kind of ['talk', 'stream'] as const) {
    app.delete<{ Params: { uuid: string } }>(`/v1/calls/:uuid/${kind}`, async (request, reply) => {
      const call = liveCall(request.params.uuid, reply);
      if (!call) return reply;
      call.stopPlaying(request.params.uuid, kind);
      return { message: `${kind === 'talk' ? 'Talk' : 'Stream'} stopped`, uuid: request.params.uuid };
    });
  }

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/calls', async (request, reply) => {
    const query = request.query;
    const pageSize = Math.min(100, Math.max(1, Number(query.page_size ?? 10) || 10));
    const recordIndex = Math.max(0, Number(query.record_index ?? 0) || 0);
    const from = query.date_start ? Date.parse(query.date_start) : -Infinity;
    const to = query.date_end ? Date.parse(query.date_end) : Infinity;
    if (Number.isNaN(from) || Number.isNaN(to)) return problem(reply, 400, 'Bad Request', 'date_start and date_end must be ISO 8601 times');
    let records = options
      .allCalls()
      .flatMap((call) => call.records())
      .filter((record) => {
        const started = Date.parse(record.start_time);
        return (
          (!query.status || record.status === query.status) &&
          (!query.conversation_uuid || record.conversation_uuid === query.conversation_uuid) &&
          started >= from &&
          started <= to
        );
      });
    if (query.order !== 'asc') records = records.reverse();
    const page = records.slice(recordIndex, recordIndex + pageSize);
    const base = `/v1/calls?page_size=${pageSize}`;
    return {
      count: records.length,
      page_size: pageSize,
      record_index: recordIndex,
      _links: {
        self: { href: `${base}&record_index=${recordIndex}` },
        ...(recordIndex + pageSize < records.length ? { next: { href: `${restBase(request)}${base}&record_index=${recordIndex + pageSize}` } } : {}),
      },
      _embedded: { calls: page.map((record) => withLinks(record)) },
    };
  });

  app.put<{ Params: { uuid: string }; Body: Record<string, unknown> }>('/v1/calls/:uuid', async (request, reply) => {
    const call = liveCall(request.params.uuid, reply);
    if (!call) return reply;
    const body = request.body ?? {};
    const action = body.action;
    if (action === 'transfer') {
      const destination = body.destination as { type?: string; ncco?: unknown; url?: unknown } | undefined;
      const url = Array.isArray(destination?.url) ? destination.url[0] : undefined;
      if (destination?.type === 'ncco' && typeof url === 'string' && call.transferToUrl) {
        if (!(await call.transferToUrl(url))) return problem(reply, 400, 'Bad Request', `transfer: ${url} gave no NCCO`);
        return reply.code(204).send();
      }
      if (destination?.type !== 'ncco' || destination.ncco === undefined)
        return problem(reply, 400, 'Bad Request', 'transfer needs destination {type: "ncco", ncco: [...]} (or url: [...], for calls on the phone network)');
      const validation = validateNcco(destination.ncco);
      if (!validation.ok) return problem(reply, 400, 'Bad Request', `invalid NCCO: ${validation.issues.join('; ')}`);
      call.transfer(validation.ncco);
      return reply.code(204).send();
    }
    if (typeof action !== 'string' || !CALL_ACTIONS.has(action)) return problem(reply, 400, 'Bad Request', `unknown action ${JSON.stringify(action)}`);
    call.control(request.params.uuid, action as 'hangup');
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/v1/files/:id', async (request, reply) => {
    const file = options.file?.(request.params.id);
    if (!file) return problem(reply, 404, 'Not Found', `no recording ${request.params.id}`);
    return reply.type(file.contentType).send(file.body);
  });

  app.get<{ Params: { uuid: string } }>('/v1/calls/:uuid', async (request, reply) => {
    const record = options
      .findCall(request.params.uuid)
      ?.records()
      .find((leg) => leg.uuid === request.params.uuid);
    if (!record) return problem(reply, 404, 'Not Found', `no call leg ${request.params.uuid}`);
    return withLinks(record);
  });

  app.post<{ Body: unknown }>('/v1/calls', async (request, reply) => {
    const call = options.createCall(request.body, { applicationId: applicationOf.get(request), baseUrl: restBase(request) });
    if (typeof call === 'string') return problem(reply, 400, 'Bad Request', call);
    return reply.code(201).send({ uuid: call.uuid, status: 'started', direction: 'outbound', conversation_uuid: call.conversationUuid });
  });
}
