/**
 * A hostile client of the Redis server, beside a bystander call whose echo must stay exact: it
 * forges, alters, replays and redirects call control messages (none is acted on, each gets a coded
 * line), an instance with another secret is told apart instead of timing out, and oversized records
 * cost a listing no more than its byte budget (docs/security.md "Redis").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@redis/client';
import { echo } from '../../src/apps/index.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { Bystander } from '../helpers/bystander.js';
import { MAX_LISTING_RECORD_BYTES } from '../../src/scale/shared-records.js';
import type { CallList } from '../../src/call/call-snapshot.js';

const SECRET = 'a-shared-redis-secret-for-tests';

/** Another program on the same Redis; its errors are not the test's. */
async function client(url: string) {
  const redis = createClient({ url });
  redis.on('error', () => {});
  await redis.connect();
  return redis;
}

const healthy = async (server: TestServer) => ((await (await fetch(`${server.baseUrl}/healthz`)).json()) as { redis?: string }).redis === 'up';
const control = (server: TestServer, call: string, action: string) => fetch(`${server.baseUrl}/api/calls/${call}/${action}`, { method: 'POST' });

async function instances(t: import('node:test').TestContext, redis: TestRedis, ...configs: Array<{ id: string; secret?: string }>): Promise<TestServer[]> {
  const servers: TestServer[] = [];
  for (const { id, secret } of configs) servers.push(await startTestServer({ app: echo, instance: id, config: { redisUrl: redis.url, redisSecret: secret } }));
  t.after(() => Promise.all(servers.map((server) => server.close())));
  for (const server of servers) await waitFor(() => healthy(server), 5000, `${server.server.instance}: redis up`);
  return servers;
}

test('forged, altered, replayed and redirected control messages are ignored with a coded line; the victim and the bystander go on; real control works', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const [a, b] = await instances(t, redis, { id: 'A', secret: SECRET }, { id: 'B', secret: SECRET });
  const bystander = await Bystander.join(b!.socketUrl);
  const victim = await SocketClient.call(b!.socketUrl, 'audio/l16;rate=16000', { uuid: 'victim-leg', from: '447700900123' });
  await waitFor(async () => ((await (await fetch(`${a!.baseUrl}/api/calls`)).json()) as CallList).calls.length === 2, 5000, 'both calls listed on A');

  const attacker = await client(redis.url);
  const listener = await client(redis.url);
  t.after(async () => {
    await attacker.close();
    await listener.close();
  });
  // What passes on B's channel, as anyone subscribed to it sees it.
  const captured: string[] = [];
  await listener.subscribe('voicesocket:control:B', (message) => void captured.push(message));

  const now = Date.now();
  const request = (command: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ id: `forged-${Math.random()}`, from: 'A', to: 'B', at: now, call: 'victim-leg', command, ...extra });
  // B's record names its key's fingerprint: an attacker may copy it, not the key.
  const record = JSON.parse((await attacker.get('voicesocket:instance:B'))!) as { keyId: string };
  const forgeries = [
    request({ action: 'hangup' }), // unsigned, as every message was before
    `v1.${record.keyId}.${'A'.repeat(43)}.${request({ action: 'hangup' })}`, // B's key id, a made-up signature
    `v1.0123456789abcdef.${'B'.repeat(43)}.${request({ action: 'hangup' })}`, // another key
  ];
  // Two hear it: B, and the listener.
  for (const forged of forgeries) assert.equal(await attacker.publish('voicesocket:control:B', forged), 2, 'B hears it');

  // A real clear from A, captured off the channel, then replayed, altered, and sent to another instance.
  assert.equal((await control(a!, 'victim-leg', 'clear')).status, 200);
  await waitFor(() => captured.length === forgeries.length + 1, 3000, 'the real message captured');
  const genuine = captured.at(-1)!;
  await attacker.publish('voicesocket:control:B', genuine);
  await attacker.publish('voicesocket:control:B', genuine.replace('"action":"clear"', '"action":"hangup"'));
  await attacker.publish('voicesocket:control:A', genuine);

  await waitFor(
    () => b!.logs.filter((line) => line.code === 'VS_ERR_REDIS_CONTROL_FORGED').length >= 4,
    3000,
    "B's coded lines for the forgeries, the replay and the alteration",
  );
  assert.ok(
    b!.logs.some((line) => line.code === 'VS_ERR_REDIS_SECRET_MISMATCH'),
    'the other key is named as such',
  );
  assert.ok(
    b!.logs.some((line) => line.code === 'VS_ERR_REDIS_CONTROL_FORGED' && /replayed/.test(String(line.detail))),
    'the replay is named',
  );
  await waitFor(
    () => a!.logs.some((line) => line.code === 'VS_ERR_REDIS_CONTROL_FORGED' && /addressed to "B"/.test(String(line.detail))),
    3000,
    "A refuses B's message",
  );

  victim.sendBinary(patternFrame(640, 3));
  await waitFor(() => victim.received.binary.length === 1, 3000, "the victim's echo");
  assert.equal(victim.closed, undefined, 'no forged hangup reached the victim');
  assert.equal(victim.received.text.filter((text) => text.includes('clear')).length, 1, 'one clear: the real one, not its replay');
  await bystander.echoesExactly();

  // The real thing still works.
  assert.equal((await control(a!, 'victim-leg', 'hangup')).status, 200);
  await waitFor(() => victim.closed !== undefined, 3000, 'the real hangup');
  assert.deepEqual(victim.closed, { code: 1000, reason: 'hangup by call control' });
  await bystander.echoesExactly();
  await bystander.close();
});

test('an instance with another secret: control from it is refused at once with a coded line (not a 2 s timeout); without any secret, control across instances is off', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const [, b, c, d] = await instances(
    t,
    redis,
    { id: 'A', secret: SECRET },
    { id: 'B', secret: SECRET },
    { id: 'C', secret: 'another-secret-for-this-one' },
    { id: 'D' },
  );
  const call = await SocketClient.call(b!.socketUrl, 'audio/l16;rate=16000', { uuid: 'leg-on-b' });
  t.after(() => call.close());
  await waitFor(async () => ((await (await fetch(`${c!.baseUrl}/api/calls`)).json()) as CallList).calls.length === 1, 5000, 'the call listed on C');

  const started = Date.now();
  const refused = await control(c!, 'leg-on-b', 'hangup');
  assert.equal(refused.status, 503);
  assert.equal(((await refused.json()) as { code: string }).code, 'VS_ERR_REDIS_SECRET_MISMATCH');
  assert.ok(Date.now() - started < 1500, 'told at once');
  assert.ok(c!.logs.some((line) => line.code === 'VS_ERR_REDIS_SECRET_MISMATCH' && line.instance === 'B'));

  const off = await control(d!, 'leg-on-b', 'hangup');
  assert.equal(off.status, 503);
  assert.equal(((await off.json()) as { code: string }).code, 'VS_ERR_REDIS_CONTROL_OFF');
  assert.ok(
    d!.logs.some((line) => line.code === 'VS_ERR_REDIS_CONTROL_OFF'),
    'said once at start',
  );
  assert.equal(call.closed, undefined);
});

test("twelve 7.5 MB instance records: a listing reads no more than its budget from Redis, the smallest first; the bystander's echo stays exact", async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const [a] = await instances(t, redis, { id: 'A', secret: SECRET });
  const bystander = await Bystander.join(a!.socketUrl);
  const writer = await client(redis.url);
  t.after(() => writer.close());

  // Records that pass every check (the schema, the 8 MiB cap): 190 calls with long timelines each.
  const snapshot = (id: string) => ({
    pid: 1,
    id,
    state: 'active',
    startedAt: Date.now(),
    durationMs: 1000,
    rate: 16000,
    framesIn: 0,
    framesOut: 0,
    framesDropped: 0,
    dtmf: 0,
    playedMs: 0,
    levelInDb: null,
    levelOutDb: null,
    timeline: Array.from({ length: 40 }, (_, n) => ({ at: n, source: 'socket', text: 'x'.repeat(1000) })),
  });
  const later = Date.now() + 120_000;
  for (let i = 0; i < 12; i++) {
    const id = `big-${i}`;
    const json = JSON.stringify({ instance: id, at: Date.now(), calls: Array.from({ length: 190 + i }, (_, n) => snapshot(`${id}-${n}`)), recent: [] });
    await writer.set(`voicesocket:instance:${id}`, json);
    await writer.zAdd('voicesocket:instances', { score: later, value: id });
  }
  const sent = async () => Number(/total_net_output_bytes:(\d+)/.exec(await writer.info('stats'))![1]);

  const before = await sent();
  const started = performance.now();
  const listing = await fetch(`${a!.baseUrl}/api/calls`);
  const tookMs = performance.now() - started;
  assert.equal(listing.status, 200);
  const { calls } = (await listing.json()) as CallList;
  const crossed = (await sent()) - before;
  t.diagnostic(`listing: ${(crossed / 2 ** 20).toFixed(1)} MB from Redis, ${Math.round(tookMs)} ms, ${calls.length} calls`);
  // The budget, plus the few other replies of the listing (the index, the legs, INFO itself).
  assert.ok(crossed <= MAX_LISTING_RECORD_BYTES + 1024 * 1024, `${(crossed / 2 ** 20).toFixed(1)} MB crossed from Redis`);
  const shown = new Set(calls.map((call) => call.instance ?? call.id.split('-').slice(0, 2).join('-')));
  assert.deepEqual([...shown].sort(), ['A', 'big-0', 'big-1'], 'the smallest records first, within the budget');
  assert.ok(
    a!.logs.some((line) => line.code === 'VS_ERR_REDIS_LISTING_PARTIAL' && line.instances === 10),
    'the records left out are counted',
  );
  await bystander.echoesExactly();
  await bystander.close();
});
