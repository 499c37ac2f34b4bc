/**
 * The parts of Vonage's account APIs that `voicesocket dev` and `setup` use, served by the emulator
 * so the official SDK clients (`@vonage/applications`, `@vonage/numbers`, `@vonage/accounts`) can be
 * pointed at it through their `apiHost`/`restHost` options (docs/protocol.md §15):
 *
 * - Applications API v2 (`/v2/applications`): list, create (a key pair made when no public key is
 *   given, the private key returned once), get, replace (`PUT`), delete. HTTP Basic with the API key
 *   and secret; errors are RFC 7807 problem documents.
 * - Numbers API (`/account/numbers`, `/number/search`, `/number/buy`, `/number/update`) and the balance (`/account/get-balance`): the key and secret as HTTP Basic or
 *   as `api_key`/`api_secret` parameters; errors carry `error-code` and `error-code-label`, 420 for
 *   a refused action (insufficient funds, a number not for sale), as the Numbers API answers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountResult, EmulatedAccount, StoredApplication } from './account.js';
import { problem } from './rest-problem.js';

type Params = Record<string, string | undefined>;

function basicCredentials(request: FastifyRequest): { key?: string; secret?: string } {
  const encoded = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!encoded) return {};
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? {} : { key: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** The Numbers API's own reply shape: `error-code` as a string, with a label. */
function numbersReply(reply: FastifyReply, status: number, label: string) {
  return reply.code(status).send({ 'error-code': String(status), 'error-code-label': label });
}

function applicationOut(application: StoredApplication & { keys: { public_key: string; private_key?: string } }) {
  return { ...application, _links: { self: { href: `/v2/applications/${application.id}` } } };
}

function failure(reply: FastifyReply, result: Extract<AccountResult<unknown>, { ok: false }>) {
  if (result.reason === 'not-found') return problem(reply, 404, 'Not Found', result.detail);
  return problem(reply, 400, 'Bad Request', result.detail);
}

export async function registerAccountApi(app: FastifyInstance, account: EmulatedAccount): Promise<void> {
  // The Numbers API takes form bodies (the SDK posts application/x-www-form-urlencoded).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.addHook('onRequest', async (request, reply) => {
    const basic = basicCredentials(request);
    const query = request.query as Params;
    // Numbers and account calls may also carry the key and secret as parameters; the body is not parsed
    // yet here, so form credentials are checked in preHandler below.
    if (account.authenticate(basic.key ?? query.api_key, basic.secret ?? query.api_secret)) return;
    if (request.url.startsWith('/v2/')) {
      return reply.code(401).type('application/problem+json').send({
        type: 'https://developer.vonage.com/api-errors#unauthorized',
        title: 'Invalid credentials supplied',
        detail: 'You did not provide correct credentials.',
        instance: request.id,
      });
    }
    if (request.method !== 'POST') return numbersReply(reply, 401, 'authentication failed');
  });
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.url.startsWith('/v2/')) return;
    const basic = basicCredentials(request);
    const form = (request.body ?? {}) as Params;
    const query = request.query as Params;
    if (!account.authenticate(basic.key ?? form.api_key ?? query.api_key, basic.secret ?? form.api_secret ?? query.api_secret))
      return numbersReply(reply, 401, 'authentication failed');
  });

  // Applications API v2
  app.get<{ Querystring: Params }>('/v2/applications', async (request) => {
    const pageSize = Math.min(100, Math.max(1, Number(request.query.page_size ?? 100) || 100));
    const page = Math.max(1, Number(request.query.page ?? 1) || 1);
    const all = account.listApplications();
    const totalPages = Math.max(1, Math.ceil(all.length / pageSize));
    return {
      page_size: pageSize,
      page,
      total_items: all.length,
      total_pages: totalPages,
      _embedded: { applications: all.slice((page - 1) * pageSize, page * pageSize).map(applicationOut) },
      _links: page < totalPages ? { next: { href: `/v2/applications?page_size=${pageSize}&page=${page + 1}` } } : {},
    };
  });
  app.post<{ Body: Record<string, unknown> }>('/v2/applications', async (request, reply) => {
    const created = account.createApplication(request.body ?? {});
    if (!created.ok) return failure(reply, created);
    return reply.code(201).send(applicationOut(created.value));
  });
  app.get<{ Params: { id: string } }>('/v2/applications/:id', async (request, reply) => {
    const application = account.getApplication(request.params.id);
    if (!application) return problem(reply, 404, 'Not Found', `application ${request.params.id} does not exist in this account`);
    return applicationOut(application);
  });
  app.put<{ Params: { id: string }; Body: Record<string, unknown> }>('/v2/applications/:id', async (request, reply) => {
    const updated = account.updateApplication(request.params.id, request.body ?? {});
    if (!updated.ok) return failure(reply, updated);
    return applicationOut(updated.value);
  });
  app.delete<{ Params: { id: string } }>('/v2/applications/:id', async (request, reply) => {
    if (!account.deleteApplication(request.params.id))
      return problem(reply, 404, 'Not Found', `application ${request.params.id} does not exist in this account`);
    return reply.code(204).send();
  });

  // Numbers API
  app.get<{ Querystring: Params }>('/account/numbers', async (request) => {
    const query = request.query;
    const numbers = account.ownedNumbers({
      ...(query.pattern ? { pattern: query.pattern } : {}),
      ...(query.application_id ? { applicationId: query.application_id } : {}),
      ...(query.has_application !== undefined ? { hasApplication: query.has_application === 'true' } : {}),
    });
    const size = Math.min(100, Math.max(1, Number(query.size ?? 10) || 10));
    const index = Math.max(1, Number(query.index ?? 1) || 1);
    const page = numbers.slice((index - 1) * size, index * size);
    // Vonage leaves `numbers` out when there are none.
    return { count: numbers.length, ...(page.length > 0 ? { numbers: page } : {}) };
  });
  app.get<{ Querystring: Params }>('/number/search', async (request, reply) => {
    const query = request.query;
    if (!query.country || !/^[A-Z]{2}$/.test(query.country)) return numbersReply(reply, 420, 'country must be a two-letter country code');
    const numbers = account.searchForSale({
      country: query.country,
      ...(query.pattern ? { pattern: query.pattern } : {}),
      ...(query.features ? { features: query.features.split(',') } : {}),
    });
    const size = Math.min(100, Math.max(1, Number(query.size ?? 10) || 10));
    return { count: numbers.length, ...(numbers.length > 0 ? { numbers: numbers.slice(0, size) } : {}) };
  });
  app.post<{ Body: Params }>('/number/buy', async (request, reply) => {
    const { country, msisdn } = request.body ?? {};
    if (!country || !msisdn) return numbersReply(reply, 420, 'country and msisdn are required');
    const bought = account.buy(country, msisdn);
    if (!bought.ok) return numbersReply(reply, 420, bought.reason === 'insufficient-funds' ? `insufficient funds: ${bought.detail}` : bought.detail);
    return numbersReply(reply, 200, 'success');
  });
  app.post<{ Body: Params }>('/number/update', async (request, reply) => {
    const { country, msisdn } = request.body ?? {};
    if (!country || !msisdn) return numbersReply(reply, 420, 'country and msisdn are required');
    const linked = account.linkNumber(country, msisdn, request.body.app_id || undefined);
    if (!linked.ok) return numbersReply(reply, 420, linked.detail);
    return numbersReply(reply, 200, 'success');
  });
  app.get('/account/get-balance', async () => ({ value: Number(account.balance.toFixed(4)), autoReload: false }));
}
