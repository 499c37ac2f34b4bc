/**
 * With verified webhooks, call data is not public: the dashboard and its APIs answer this machine,
 * or anyone with the dashboard password, and nobody else (docs/security.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
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

/** A request with the headers a browser would send (fetch may not set Host or Origin). */
function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${path}`, { method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end(method === 'POST' ? 'hang up' : undefined);
  });
}

test('DNS rebinding: a loopback request whose Host is a foreign name is not "this machine"', async (t) => {
  const server = await startTestServer({ config });
  t.after(() => server.close());
  const port = new URL(server.baseUrl).port;
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`])
    assert.equal((await rawRequest(server.baseUrl, 'GET', '/api/calls', { host })).status, 200, host);
  for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`]) {
    const response = await rawRequest(server.baseUrl, 'GET', '/api/calls', { host });
    assert.equal(response.status, 403, host);
    assert.match(response.body, /VS_ERR_FOREIGN_ORIGIN/);
  }
});

test('a cross-site browser POST (text/plain, no preflight) cannot hang up a call, whatever the mode; same-origin and non-browser clients can', async (t) => {
  for (const serverConfig of [config, {}, { ...config, dashboardPassword: 'correct horse battery' }]) {
    const server = await startTestServer({ config: serverConfig });
    t.after(() => server.close());
    const host = new URL(server.baseUrl).host;
    const auth: Record<string, string> = 'dashboardPassword' in serverConfig ? { authorization: basic('correct horse battery') } : {};
    const post = (headers: Record<string, string>) =>
      rawRequest(server.baseUrl, 'POST', '/api/calls/nobody/hangup', { host, 'content-type': 'text/plain', ...auth, ...headers });
    const foreigns: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://localhost:1` },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const foreign of foreigns) {
      const response = await post(foreign);
      assert.equal(response.status, 403, `${JSON.stringify(serverConfig)} ${JSON.stringify(foreign)}`);
      assert.match(response.body, /VS_ERR_FOREIGN_ORIGIN/);
    }
    // 404: the request reached call control (there is no such call).
    assert.equal((await post({ origin: `http://${host}` })).status, 404, 'the dashboard itself');
    assert.equal((await post({ origin: `https://${host}`, 'sec-fetch-site': 'same-origin' })).status, 404, 'the dashboard behind a TLS proxy');
    assert.equal((await post({})).status, 404, 'curl or a script');
  }
});
