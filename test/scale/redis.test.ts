/**
 * `--redis`: two instances share one real Redis. A call whose webhooks reach instance A while its
 * socket is on instance B is listed on both, merged; A hangs up, plays to and clears B's call; Redis
 * killed mid-call degrades each instance to its own calls with one log line, drops no call, and
 * everything is shared again when it returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeCall } from '../../src/emulator/index.js';
import { writeWav } from '../../src/audio/wav.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import type { CallList } from '../../src/call/call-snapshot.js';

/** Every instance shares it: call control between them is signed with it (docs/security.md). */
const SECRET = 'a-shared-redis-secret-for-tests';

async function pair(t: import('node:test').TestContext, redis: TestRedis): Promise<{ a: TestServer; b: TestServer }> {
  const b = await startTestServer({ instance: 'B', config: { redisUrl: redis.url, redisSecret: SECRET } });
  // A answers, and its NCCO sends the socket to B: the webhooks and the socket land apart.
  const a = await startTestServer({ instance: 'A', config: { redisUrl: redis.url, redisSecret: SECRET, publicUrl: b.baseUrl } });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  for (const server of [a, b])
    await waitFor(async () => ((await (await fetch(`${server.baseUrl}/healthz`)).json()) as { redis?: string }).redis === 'up', 5000, 'redis up');
  return { a, b };
}

const list = async (server: TestServer): Promise<CallList> => (await (await fetch(`${server.baseUrl}/api/calls`)).json()) as CallList;
const control = (server: TestServer, call: string, action: string, body?: Buffer) =>
  fetch(`${server.baseUrl}/api/calls/${call}/${action}`, { method: 'POST', ...(body ? { body, headers: { 'content-type': 'audio/wav' } } : {}) });

test('a call answered by A with its socket on B: both list it with the webhook status merged; A controls it through Redis', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const { a, b } = await pair(t, redis);
  const answerUrl = `${a.baseUrl}/webhooks/answer`;
  const placed = placeCall({ answerUrl, eventUrl: `${a.baseUrl}/webhooks/event`, durationMs: 20_000, talk: 'skip', audio: { kind: 'tone', frequency: 440 } });

  // Listed on both; on B the status comes only from events A received.
  for (const server of [a, b]) {
    await waitFor(
      async () => {
        const [call] = (await list(server)).calls;
        return call?.instance === 'B' && call.status === 'answered';
      },
      5000,
      `the call listed on ${server.server.instance} as answered, served by B`,
    );
  }
  assert.equal(a.server.registry.activeCalls, 0, 'A serves no socket');
  assert.equal(b.server.registry.activeCalls, 1);
  const [listed] = (await list(b)).calls;
  assert.ok(
    listed!.timeline.some((entry) => entry.source === 'webhook') && listed!.timeline.some((entry) => entry.source === 'socket'),
    'one timeline of both',
  );

  // Control from A, by leg uuid and by call id.
  const tone = writeWav(Buffer.alloc(16000 * 2 * 2), 16000);
  const played = await control(a, listed!.uuid!, 'play', tone);
  assert.equal(played.status, 200);
  assert.deepEqual(await played.json(), { ok: true, call: listed!.uuid, instance: 'B' });
  const cleared = await control(a, listed!.id, 'clear');
  assert.equal(cleared.status, 200);
  const missing = await control(a, 'no-such-call', 'hangup');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { code: string }).code, 'VS_ERR_CALL_NOT_FOUND');
  const bad = await control(a, listed!.id, 'play', Buffer.from('not a wav'));
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { code: string }).code, 'VS_ERR_PLAY_INVALID');

  // The same control, from code (what an app gets as context.calls).
  assert.deepEqual(await a.server.calls.hangup(listed!.uuid!), { ok: true, instance: 'B' });
  const result = await placed;
  assert.equal(result.leg?.end, 'app-closed');
  assert.equal(result.leg?.closeCode, 1000);
  assert.ok((result.leg?.clears ?? 0) >= 1, 'the clear reached the caller');
  const [ended] = (await list(b)).recent;
  const texts = ended!.timeline.map((entry) => entry.text);
  for (const action of ['play', 'clear', 'hangup']) assert.ok(texts.includes(`${action} by call control`), `${action} on B's timeline: ${texts.join(', ')}`);
});

test('Redis killed mid-call: one log line, each instance shows its own calls, no call drops; back when Redis is', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const { a, b } = await pair(t, redis);
  const placed = placeCall({ answerUrl: `${a.baseUrl}/webhooks/answer`, durationMs: 8000, talk: 'skip', audio: { kind: 'tone', frequency: 440 } });
  await waitFor(async () => (await list(a)).calls.length === 1, 5000, 'the call listed on A');

  await redis.kill();
  await waitFor(() => a.logs.some((line) => line.code === 'VS_ERR_REDIS_UNAVAILABLE'), 5000, 'A logs the outage');
  assert.equal((await list(a)).calls.length, 0, 'A alone: only its own calls (none)');
  assert.equal((await list(b)).calls.length, 1, 'B alone: its own call');
  const unreachable = await control(a, 'anything', 'hangup');
  assert.equal(unreachable.status, 503);
  assert.equal(((await unreachable.json()) as { code: string }).code, 'VS_ERR_REDIS_UNAVAILABLE');
  const health = (await (await fetch(`${b.baseUrl}/healthz`)).json()) as { redis: string };
  assert.equal(health.redis, 'down');
  assert.match(await (await fetch(`${b.baseUrl}/metrics`)).text(), /^voicesocket_redis_up 0$/m);

  await redis.start();
  await waitFor(async () => (await list(a)).calls.length === 1, 8000, 'shared again after Redis returned');
  assert.ok(a.logs.some((line) => /redis is back/.test(String(line.msg))));
  assert.equal(a.logs.filter((line) => line.code === 'VS_ERR_REDIS_UNAVAILABLE').length, 1, 'one line for the whole outage');

  const result = await placed;
  assert.equal(result.leg?.end, 'caller-hangup', 'the call went on to its end');
  assert.equal(result.leg?.lost, 0);
  assert.ok((result.leg?.echoed ?? 0) > 300, `echoed ${result.leg?.echoed}`);
});
