import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/server.js';

const post = (url: string, body: string, contentType = 'application/json') => fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });

test('POST /webhooks/event and /webhooks/events record events by leg and conversation, leniently typed', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const base = { uuid: 'leg-a', conversation_uuid: 'CON-1', from: '447700900000', to: '442079460000', direction: 'inbound' };
  for (const [path, status] of [
    ['/webhooks/event', 'started'],
    ['/webhooks/events', 'ringing'],
    ['/webhooks/event', 'answered'],
  ] as const) {
    const response = await post(`${server.baseUrl}${path}`, JSON.stringify({ ...base, status, timestamp: '2026-11-23T10:00:00.000Z' }));
    assert.equal(response.status, 204);
  }
  // Numbers as strings, as captured from Vonage in practice; an unknown field is kept.
  await post(
    `${server.baseUrl}/webhooks/event`,
    JSON.stringify({ ...base, status: 'completed', duration: '12', rate: '0.01', price: '0.002', network: 'x', brand_new_field: 7 }),
  );
  // A human/machine event names its leg call_uuid.
  await post(`${server.baseUrl}/webhooks/event`, JSON.stringify({ call_uuid: 'leg-b', conversation_uuid: 'CON-1', status: 'human' }));

  const leg = server.server.registry.leg('leg-a');
  assert.ok(leg);
  assert.equal(leg.status, 'completed');
  assert.equal(leg.ended, true);
  assert.deepEqual(
    leg.events.map((event) => event.status),
    ['started', 'ringing', 'answered', 'completed'],
  );
  const completed = leg.events[3]!;
  assert.equal(completed.duration, 12);
  assert.equal(completed.rate, 0.01);
  assert.equal(completed.price, 0.002);
  assert.equal(completed.raw.brand_new_field, 7);
  assert.equal(server.server.registry.leg('leg-b')?.status, 'human');
  assert.deepEqual(
    server.server.registry
      .conversation('CON-1')
      .legs.map((l) => l.uuid)
      .sort(),
    ['leg-a', 'leg-b'],
  );
});

test('a late earlier-stage event never reopens a completed leg (events arrive out of order)', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  await post(`${server.baseUrl}/webhooks/event`, JSON.stringify({ uuid: 'leg-x', conversation_uuid: 'CON-x', status: 'completed' }));
  await post(`${server.baseUrl}/webhooks/event`, JSON.stringify({ uuid: 'leg-x', conversation_uuid: 'CON-x', status: 'ringing' }));
  assert.equal(server.server.registry.leg('leg-x')?.status, 'completed');
  assert.equal(server.server.registry.leg('leg-x')?.events.length, 2);
});

test('GET events with query parameters are recorded', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const response = await fetch(`${server.baseUrl}/webhooks/events?uuid=leg-g&conversation_uuid=CON-g&status=answered`);
  assert.equal(response.status, 204);
  assert.equal(server.server.registry.leg('leg-g')?.status, 'answered');
});

test('malformed and unknown event payloads are acknowledged with 2xx and logged with a reason', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  for (const [body, type] of [
    ['{oops', 'application/json'],
    ['[1,2,3]', 'application/json'],
    ['"text"', 'application/json'],
    ['status=answered', 'application/x-www-form-urlencoded'],
  ] as const) {
    const response = await post(`${server.baseUrl}/webhooks/event`, body, type);
    assert.equal(response.status, 204, `body ${body}`);
  }
  const malformed = server.logs.filter((line) => line.code === 'VS_ERR_EVENT_MALFORMED');
  assert.equal(malformed.length, 4);
  assert.ok(malformed.every((line) => typeof line.detail === 'string' && line.detail.length > 0));
  // An unknown event shape (no status, no known fields) is still recorded, not lost.
  const unknown = await post(`${server.baseUrl}/webhooks/event`, JSON.stringify({ conversation_uuid: 'CON-u', something: 'new' }));
  assert.equal(unknown.status, 204);
  assert.equal(server.server.registry.conversation('CON-u').events[0]?.kind, 'unknown');
  // The server still answers normally afterwards.
  assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
});

test('an oversized event body is refused with 413, not buffered', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const response = await post(`${server.baseUrl}/webhooks/event`, JSON.stringify({ status: 'x', filler: 'a'.repeat(100_000) }));
  assert.equal(response.status, 413);
});
