/**
 * With verified webhooks, call data is not public: the dashboard and its APIs answer this machine,
 * or anyone with the dashboard password, and nobody else (docs/security.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/server.js';

const config = { signatureSecret: 'a-signature-secret-for-tests' };
const basic = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;

test('signing on, no dashboard password: /, /api/calls and /api/stream answer loopback only (a forwarded request is not local)', async (t) => {
  const server = await startTestServer({ config });
  t.after(() => server.close());
  assert.equal((await fetch(`${server.baseUrl}/api/calls`)).status, 200, 'this machine');
  for (const path of ['/', '/api/calls', '/api/stream']) {
    const response = await fetch(`${server.baseUrl}${path}`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(response.status, 403, path);
    assert.equal(((await response.json()) as { error: string }).error, 'VS_ERR_DASHBOARD_UNAUTHORIZED');
  }
});

test('signing on with a dashboard password: HTTP Basic with it, from anywhere; without it, 401 with a challenge', async (t) => {
  const server = await startTestServer({ config: { ...config, dashboardPassword: 'correct horse battery' } });
  t.after(() => server.close());
  const denied = await fetch(`${server.baseUrl}/api/calls`);
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get('www-authenticate') ?? '', /^Basic realm="voicesocket"/);
  assert.equal((await fetch(`${server.baseUrl}/api/calls`, { headers: { authorization: basic('wrong password!') } })).status, 401);
  const allowed = await fetch(`${server.baseUrl}/api/calls`, { headers: { authorization: basic('correct horse battery'), 'x-forwarded-for': '203.0.113.7' } });
  assert.equal(allowed.status, 200);
  // The webhooks are untouched by the dashboard's guard: they have their own (signatures).
  assert.equal((await fetch(`${server.baseUrl}/webhooks/answer`, { headers: { authorization: basic('correct horse battery') } })).status, 401);
});

test('an open server (no secret, no token) shows the dashboard to anyone, as documented', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  assert.equal((await fetch(`${server.baseUrl}/api/calls`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status, 200);
});
