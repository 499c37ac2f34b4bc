import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/server.js';
import { findWebsocketEndpoint, validateNcco, MAX_WEBSOCKET_HEADERS_BYTES } from '../../src/protocol/ncco.js';
import { parseVonageMessage } from '../../src/protocol/socket-messages.js';
import type { SampleRate } from '../../src/protocol/audio-format.js';
import { DEFAULT_GREETING } from '../../src/server/config.js';

const query = 'uuid=63f61863-4a51-4f6b-86e1-46edebcf9356&conversation_uuid=CON-f972836a-550f-45fa-956c-12a2ab5b7d22&from=447700900000&to=442079460000';

async function answer(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const ncco = (await response.json()) as unknown;
  const validation = validateNcco(ncco);
  assert.ok(validation.ok, `Vonage would reject the NCCO: ${JSON.stringify(validation)}`);
  assert.deepEqual(validation.warnings, []);
  return { ncco: ncco as Array<Record<string, unknown>>, endpoint: findWebsocketEndpoint(validation.ncco)! };
}

for (const rate of [8000, 16000, 24000] as SampleRate[]) {
  test(`GET /webhooks/answer emits a valid NCCO at ${rate} Hz with the wire key "content-type"`, async (t) => {
    const server = await startTestServer({ config: { sampleRate: rate } });
    t.after(() => server.close());
    const { ncco, endpoint } = await answer(`${server.baseUrl}/webhooks/answer?${query}`);
    assert.equal(ncco[0]!.action, 'talk');
    assert.equal(ncco[0]!.text, DEFAULT_GREETING);
    assert.equal(ncco[1]!.action, 'connect');
    assert.equal(ncco[1]!.from, '442079460000', 'default from is the number that was called');
    assert.equal(endpoint['content-type'], `audio/l16;rate=${rate}`);
    assert.equal('contentType' in endpoint, false);
    // What Vonage reads back when it opens the socket: the same rate.
    const connected = parseVonageMessage(JSON.stringify({ event: 'websocket:connected', 'content-type': endpoint['content-type'] }));
    assert.ok(connected.ok && connected.message.type === 'connected' && connected.message.sampleRate === rate && connected.message.rateStated);
    assert.deepEqual(endpoint.headers, {
      uuid: '63f61863-4a51-4f6b-86e1-46edebcf9356',
      conversation_uuid: 'CON-f972836a-550f-45fa-956c-12a2ab5b7d22',
      from: '447700900000',
      to: '442079460000',
    });
  });
}

test('the socket URI follows the request: ws:// direct, wss:// behind a TLS proxy or tunnel, public URL overrides', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const port = new URL(server.baseUrl).port;
  const direct = await answer(`${server.baseUrl}/webhooks/answer?${query}`);
  assert.equal(direct.endpoint.uri, `ws://127.0.0.1:${port}/socket`);

  const proxied = await answer(`${server.baseUrl}/webhooks/answer?${query}`, {
    headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'abc123.tunnel.example' },
  });
  assert.equal(proxied.endpoint.uri, 'wss://abc123.tunnel.example/socket');

  const forwarded = await answer(`${server.baseUrl}/webhooks/answer?${query}`, { headers: { forwarded: 'for=1.2.3.4;proto=https;host="voice.example.org"' } });
  assert.equal(forwarded.endpoint.uri, 'wss://voice.example.org/socket');

  const configured = await startTestServer({ config: { publicUrl: 'https://calls.example.com/base/' } });
  t.after(() => configured.close());
  const overridden = await answer(`${configured.baseUrl}/webhooks/answer?${query}`, { headers: { 'x-forwarded-host': 'ignored.example' } });
  assert.equal(overridden.endpoint.uri, 'wss://calls.example.com/base/socket');
});

test('POST /webhooks/answer reads the JSON body; GET /ncco (the tutorial path) answers too', async (t) => {
  const server = await startTestServer({ config: { greeting: 'Hello there', greetingLanguage: 'en-GB', connectFrom: '15550001111' } });
  t.after(() => server.close());
  const body = { uuid: 'leg-1', conversation_uuid: 'CON-1', from: '447700900001', to: '442079460001' };
  const posted = await answer(`${server.baseUrl}/webhooks/answer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.deepEqual(posted.endpoint.headers, body);
  assert.deepEqual(posted.ncco[0], { action: 'talk', text: 'Hello there', language: 'en-GB' });
  assert.equal(posted.ncco[1]!.from, '15550001111');

  const tutorial = await answer(`${server.baseUrl}/ncco?${query}`);
  assert.equal(tutorial.endpoint.headers?.uuid, '63f61863-4a51-4f6b-86e1-46edebcf9356');
});

test("oversized call identity is cut to fit Vonage's 512-byte header limit, identifiers kept", async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const longFrom = 'ü'.repeat(600);
  const { endpoint } = await answer(
    `${server.baseUrl}/webhooks/answer?uuid=leg-9&conversation_uuid=CON-9&to=442079460000&from=${encodeURIComponent(longFrom)}`,
  );
  assert.ok(Buffer.byteLength(JSON.stringify(endpoint.headers)) <= MAX_WEBSOCKET_HEADERS_BYTES);
  assert.equal(endpoint.headers?.uuid, 'leg-9');
  assert.equal(endpoint.headers?.conversation_uuid, 'CON-9');
  assert.match(String(endpoint.headers?.from), /^ü+$/, 'cut on a character boundary');
});

test('a malformed POST answer body still gets a valid NCCO, and the log says why', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  await answer(`${server.baseUrl}/webhooks/answer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_ANSWER_MALFORMED'));
});

test('GET /healthz reports status, uptime and active calls', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const response = await fetch(`${server.baseUrl}/healthz`);
  assert.equal(response.status, 200);
  const health = (await response.json()) as Record<string, unknown>;
  assert.equal(health.status, 'ok');
  assert.equal(typeof health.uptime, 'number');
  assert.equal(health.activeCalls, 0);
});
