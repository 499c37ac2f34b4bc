import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ReplayCache, queryHashInput, signWebhook, verifySignedWebhook } from '../../src/protocol/signed-webhook.js';
import { placeCall } from '../../src/emulator/call.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createServer } from '../../src/server/server.js';
import { SocketClient } from '../helpers/socket-client.js';

const SECRET = 'a-signature-secret-for-tests';
const signing = { secret: SECRET, apiKey: 'key123', applicationId: 'app-456' };
const config = { signatureSecret: SECRET, apiKey: 'key123', applicationId: 'app-456' };
const now = () => Math.floor(Date.now() / 1000);

async function postEvent(server: TestServer, body: string, token: string | undefined) {
  return fetch(`${server.baseUrl}/webhooks/event`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
}

test('signed webhooks: valid GET answer and POST event pass; the NCCO asks Vonage to authenticate the socket', async (t) => {
  const server = await startTestServer({ config });
  t.after(() => server.close());
  const search = '?uuid=u1&conversation_uuid=CON-1&from=447700900000&to=442079460000';
  const token = await signWebhook({ ...signing, payload: queryHashInput(search) });
  const answer = await fetch(`${server.baseUrl}/webhooks/answer${search}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(answer.status, 200);
  const ncco = (await answer.json()) as Array<{ endpoint?: Array<{ authorization?: unknown }> }>;
  assert.deepEqual(ncco[1]!.endpoint![0]!.authorization, { type: 'vonage' });
  const body = JSON.stringify({ uuid: 'u1', conversation_uuid: 'CON-1', status: 'answered' });
  assert.equal((await postEvent(server, body, await signWebhook({ ...signing, payload: body }))).status, 204);
  assert.equal(server.server.registry.leg('u1')?.status, 'answered');
});

test('every forgery is refused with 401 and a coded reason, never logging the token or secret', async (t) => {
  const server = await startTestServer({ config });
  t.after(() => server.close());
  const body = JSON.stringify({ uuid: 'u2', conversation_uuid: 'CON-2', status: 'started' });
  const hs256 = (claims: Record<string, unknown>, secret = SECRET) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const hashOf = async (payload: string) =>
    JSON.parse(Buffer.from((await signWebhook({ secret: 'x', payload })).split('.')[1]!, 'base64url').toString()).payload_hash as string;
  const claims = async (extra: Record<string, unknown> = {}) => ({
    iat: now(),
    jti: randomUUID(),
    iss: 'Vonage',
    api_key: 'key123',
    application_id: 'app-456',
    payload_hash: await hashOf(body),
    ...extra,
  });
  const replayed = await signWebhook({ ...signing, payload: body });
  const cases: Array<[string, string | undefined, string]> = [
    ['no token', undefined, 'VS_ERR_SIGNATURE_MISSING'],
    ['wrong secret', await signWebhook({ ...signing, secret: 'not-the-secret', payload: body }), 'VS_ERR_SIGNATURE_INVALID'],
    ['tampered body', await signWebhook({ ...signing, payload: body.replace('started', 'answered') }), 'VS_ERR_SIGNATURE_PAYLOAD'],
    ['stale iat', await hs256(await claims({ iat: now() - 400 })), 'VS_ERR_SIGNATURE_STALE'],
    ['future iat', await hs256(await claims({ iat: now() + 120 })), 'VS_ERR_SIGNATURE_FUTURE'],
    ['wrong issuer', await hs256(await claims({ iss: 'Evil' })), 'VS_ERR_SIGNATURE_ISSUER'],
    ['wrong api key', await hs256(await claims({ api_key: 'other' })), 'VS_ERR_SIGNATURE_API_KEY'],
    ['wrong application', await hs256(await claims({ application_id: 'other-app' })), 'VS_ERR_SIGNATURE_APPLICATION'],
    ['alg none', `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(await claims())}.`, 'VS_ERR_SIGNATURE_ALGORITHM'],
    ['not a JWT', 'garbage', 'VS_ERR_SIGNATURE_INVALID'],
  ];
  assert.equal((await postEvent(server, body, replayed)).status, 204, 'first use of a token');
  cases.push(['replayed jti', replayed, 'VS_ERR_SIGNATURE_REPLAY']);
  for (const [name, token, code] of cases) {
    const response = await postEvent(server, body, token);
    assert.equal(response.status, 401, name);
    assert.equal(((await response.json()) as { error: string }).error, code, name);
    const logged = server.logs.filter((line) => line.code === code);
    assert.ok(logged.length > 0, `${name} logged`);
  }
  const everything = JSON.stringify(server.logs);
  assert.ok(!everything.includes(SECRET), 'the secret is never logged');
  assert.ok(!everything.includes(replayed), 'tokens are never logged');
  // A GET answer with a query changed after signing fails the hash.
  const token = await signWebhook({ ...signing, payload: queryHashInput('?uuid=a') });
  assert.equal((await fetch(`${server.baseUrl}/webhooks/answer?uuid=b`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
  assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200, 'the server goes on');
});

test("socket upgrades need a valid Vonage JWT when a secret is set; the emulator's signed call goes through end to end", async (t) => {
  const server = await startTestServer({ config });
  t.after(() => server.close());
  await assert.rejects(SocketClient.open(server.socketUrl), /unexpected response 401/);
  await assert.rejects(SocketClient.open(server.socketUrl, { headers: { authorization: `Bearer ${await signWebhook({ secret: 'forged' })}` } }), /401/);
  const token = await signWebhook(signing);
  const client = await SocketClient.open(server.socketUrl, { headers: { authorization: `Bearer ${token}` } });
  await client.close();
  await assert.rejects(SocketClient.open(server.socketUrl, { headers: { authorization: `Bearer ${token}` } }), /401/, 'a replayed upgrade token is refused');
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_SIGNATURE_REPLAY'));

  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    eventUrl: `${server.baseUrl}/webhooks/event`,
    durationMs: 400,
    talk: 'skip',
    signing,
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(result.leg?.lost, 0);
  assert.ok(
    result.events.every((event) => event.status === 204),
    'signed events accepted',
  );
});

test('a custom socket token: only a verified answer request gets it in the NCCO; the upgrade must match it', async (t) => {
  const socketToken = 'tok_0123456789abcdef';
  const server = await startTestServer({ config: { ...config, socketToken } });
  t.after(() => server.close());
  const unsigned = await fetch(`${server.baseUrl}/webhooks/answer`);
  assert.equal(unsigned.status, 401, 'an unsigned answer request gets no NCCO, so no token');
  assert.ok(!(await unsigned.text()).includes(socketToken));
  const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 300, talk: 'skip', signing });
  assert.equal(result.accepted, true, result.problems.join('; '));
  const endpoint = (result.ncco as Array<{ endpoint?: Array<{ authorization?: unknown }> }>)[1]!.endpoint![0]!;
  assert.deepEqual(endpoint.authorization, { type: 'custom', value: `Bearer ${socketToken}` });
  await assert.rejects(SocketClient.open(server.socketUrl, { headers: { authorization: 'Bearer tok_wrong_wrong_wrong' } }), /401/);
});

test('a socket token without a signature secret is refused: the NCCO would hand it to anyone', () => {
  assert.throws(() => createServer({ config: { socketToken: 'tok_0123456789abcdef' } }), /VS_ERR_CONFIG_INVALID|signature-secret/);
});

test('without a secret or token the server runs open and says so once', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  assert.equal(server.logs.filter((line) => /anyone can open a call socket/.test(line.msg)).length, 1);
  const secured = await startTestServer({ config });
  t.after(() => secured.close());
  assert.equal(secured.logs.filter((line) => /anyone can open/.test(line.msg)).length, 0);
});

test('replay at the edge of the window: a token is good once while young enough, and stale at exactly maxAge', async () => {
  const replay = new ReplayCache();
  const T = 1_800_000_000;
  const token = await signWebhook({ secret: SECRET, now: T });
  const at = (now: number) => verifySignedWebhook(token, { secret: SECRET, maxAgeS: 10, replay, now });
  assert.equal((await at(T + 9)).ok, true, 'first use, 9 s old');
  assert.deepEqual(await at(T + 9).then((r) => (r.ok ? 'ok' : r.problem)), 'SIGNATURE_REPLAY');
  for (const now of [T + 10, T + 10, T + 11]) {
    assert.deepEqual(await at(now).then((r) => (r.ok ? 'ok' : r.problem)), 'SIGNATURE_STALE', `${now - T} s old`);
  }
  // A token issued exactly maxAge ago is refused outright, however often it is tried.
  const edge = await signWebhook({ secret: SECRET, now: T - 10 });
  for (let i = 0; i < 5; i++) {
    const result = await verifySignedWebhook(edge, { secret: SECRET, maxAgeS: 10, replay, now: T });
    assert.equal(result.ok ? 'ok' : result.problem, 'SIGNATURE_STALE');
  }
});

test('a signed GET answer whose query gains a duplicate key (plain or percent-encoded) is refused', async (t) => {
  const server = await startTestServer({ config });
  t.after(() => server.close());
  const search = '?uuid=u1&conversation_uuid=CON-1&from=447700900000&to=442079460000';
  for (const tampered of [`?uuid=evil&${search.slice(1)}`, `?%75uid=evil&${search.slice(1)}`]) {
    // Signed as Vonage would sign the tampered query's hash input: last value wins, so it equals the original's.
    const token = await signWebhook({ ...signing, payload: queryHashInput(search) });
    const answer = await fetch(`${server.baseUrl}/webhooks/answer${tampered}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(answer.status, 401, tampered);
    assert.equal(((await answer.json()) as { error: string }).error, 'VS_ERR_SIGNATURE_PAYLOAD');
  }
  assert.ok(server.logs.some((line) => /appears twice/.test(String(line.detail))));
});

test('a flood of unauthenticated requests is logged by sample, not line by line', async (t) => {
  const server = await startTestServer({ config });
  t.after(() => server.close());
  for (let batch = 0; batch < 10; batch++) {
    await Promise.all(
      Array.from({ length: 100 }, () =>
        fetch(`${server.baseUrl}/webhooks/event`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }),
      ),
    );
  }
  const refused = server.logs.filter((line) => line.msg === 'webhook refused');
  // The first five of a code, then one in a hundred: 5 + 1000/100.
  assert.ok(refused.length <= 15, `${refused.length} lines for 1 000 refusals`);
  assert.equal(refused.at(-1)?.count, 1000);
});
