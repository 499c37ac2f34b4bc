/**
 * DNS rebinding and forwarded requests, beside a bystander call whose echo must stay exact: a page of
 * evil.example whose name is made to resolve to this machine reads no call and hangs up none, in every
 * mode (docs/security.md); and "this machine" is a loopback peer with no forwarding header of any kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { echo } from '../../src/apps/index.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { Bystander } from '../helpers/bystander.js';
import { launchBrowser } from '../helpers/browser.js';

const VICTIM_NUMBER = '447700900123';

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

test('open mode: a rebinding page in a real browser reads no call and hangs up none; the bystander and the victim go on', async (t) => {
  const server = await startTestServer({ app: echo });
  const port = new URL(server.baseUrl).port;
  // The attacker's name resolves to this machine, as after a rebinding. Chromium's Local Network
  // Access check would stop the page's requests with a permission prompt (a user may accept it;
  // other browsers have none): it is off, so what is tested is the server's own defence.
  const browser = await launchBrowser(['--host-resolver-rules=MAP evil.example 127.0.0.1', '--disable-features=LocalNetworkAccessChecks']);
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const bystander = await Bystander.join(server.socketUrl);
  const victim = await SocketClient.call(server.socketUrl, 'audio/l16;rate=16000', { uuid: 'victim-leg', from: VICTIM_NUMBER });
  await waitFor(() => server.server.registry.activeCalls === 2, 3000, 'both calls up');

  const page = await browser.newPage();
  // The page itself comes from the attacker's server (fulfilled here); its requests then go to the
  // name, which now reaches us with `Host: evil.example:<port>` and, for the POSTs, the page's Origin.
  await page.route(`http://evil.example:${port}/`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>cats</title>' }));
  await page.goto(`http://evil.example:${port}/`);
  // (No named functions inside: the page cannot see the test's compiled helpers.)
  const attack = await page.evaluate(async () => {
    const requests: Array<[string, string, RequestInit]> = [
      ['calls', '/api/calls', {}],
      ['dashboard', '/?page', {}],
      ['hangup', '/api/calls/victim-leg/hangup', { method: 'POST' }],
      ['plain', '/api/calls/victim-leg/hangup', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }],
    ];
    const seen: Record<string, { status: number; body: string }> = {};
    for (const [what, path, init] of requests) {
      const response = await fetch(path, init);
      seen[what] = { status: response.status, body: await response.text() };
    }
    return seen;
  });
  for (const [what, response] of Object.entries(attack)) {
    assert.equal(response.status, 403, `${what}: ${response.body.slice(0, 200)}`);
    assert.match(response.body, /VS_ERR_FOREIGN_ORIGIN/, what);
    assert.ok(!response.body.includes(VICTIM_NUMBER), `${what} shows no caller's number`);
  }
  assert.ok(
    server.logs.some((line) => line.code === 'VS_ERR_FOREIGN_ORIGIN' && String(line.detail).includes('evil.example')),
    'a coded line names the foreign Host',
  );

  // The same server still answers its own names (the dashboard test pages use 127.0.0.1).
  const own = await browser.newPage();
  await own.goto(`${server.baseUrl}/`);
  assert.equal(await own.evaluate(async () => (await fetch('/api/calls')).status), 200);

  victim.sendBinary(patternFrame(640, 9));
  await waitFor(() => victim.received.binary.length === 1, 3000, "the victim's echo");
  assert.equal(victim.closed, undefined, 'the victim call is still up');
  await bystander.echoesExactly();
  await Promise.all([victim.close(), bystander.close()]);
});

test('open mode, plain HTTP: a foreign Host is refused; loopback names, addresses, this host and --public-url are answered', async (t) => {
  const server = await startTestServer({ config: { publicUrl: 'https://voice.example.com' } });
  t.after(() => server.close());
  const port = new URL(server.baseUrl).port;
  for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, `voice.example.com.evil.example`]) {
    const response = await rawRequest(server.baseUrl, 'GET', '/api/calls', { host });
    assert.equal(response.status, 403, host);
    assert.match(response.body, /VS_ERR_FOREIGN_ORIGIN/, host);
  }
  for (const host of [
    `localhost:${port}`,
    `127.0.0.1:${port}`,
    `[::1]:${port}`,
    `192.0.2.10:${port}`,
    `[2001:db8::1]:${port}`,
    'voice.example.com',
    'VOICE.example.com:443',
  ])
    assert.equal((await rawRequest(server.baseUrl, 'GET', '/api/calls', { host })).status, 200, host);
  // The same-origin POST of a rebinding page (its Origin matches its Host): refused by the Host.
  const post = await rawRequest(server.baseUrl, 'POST', '/api/calls/anyone/hangup', { host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
  assert.equal(post.status, 403);
  assert.match(post.body, /VS_ERR_FOREIGN_ORIGIN/);
});

test('"this machine" (signing on, no dashboard password): any forwarding header makes a loopback request not local', async (t) => {
  const server = await startTestServer({ config: { signatureSecret: 'a-signature-secret-for-tests' } });
  t.after(() => server.close());
  assert.equal((await fetch(`${server.baseUrl}/api/calls`)).status, 200, 'this machine, no proxy');
  const headers: Array<[string, string]> = [
    ['x-forwarded-for', '203.0.113.7'],
    ['forwarded', 'for=203.0.113.7'],
    ['x-real-ip', '203.0.113.7'],
    ['true-client-ip', '203.0.113.7'],
    ['cf-connecting-ip', '203.0.113.7'],
    ['x-client-ip', '203.0.113.7'],
    ['x-cluster-client-ip', '203.0.113.7'],
    ['fastly-client-ip', '203.0.113.7'],
    ['x-forwarded-host', 'voice.example.com'],
    ['via', '1.1 proxy'],
  ];
  for (const [name, value] of headers) {
    const response = await fetch(`${server.baseUrl}/api/calls`, { headers: { [name]: value } });
    assert.equal(response.status, 403, name);
    assert.equal(((await response.json()) as { error: string }).error, 'VS_ERR_DASHBOARD_UNAUTHORIZED', name);
  }
});
