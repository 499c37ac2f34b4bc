/**
 * Redis is shared, so what is read from it is checked: junk under our prefix (null, {}, text, a
 * wrong type, a value past the size cap) is skipped with a coded line and hides nobody's calls; junk
 * published on a control channel is ignored; /healthz says "up" only while Redis answers round trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createClient } from '@redis/client';
import { placeCall } from '../../src/emulator/index.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { startRedis } from '../helpers/redis.js';
import { freePort } from '../helpers/ports.js';
import { spawnCli, waitForLogLine } from '../helpers/cli.js';
import type { CallList } from '../../src/call/call-snapshot.js';

/** Every instance shares it: call control between them is signed with it (docs/security.md). */
const SECRET = 'a-shared-redis-secret-for-tests';

/** A second client, as another program would write under our prefix; its errors are not the test's. */
async function junkClient(url: string) {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  return client;
}

const list = async (server: TestServer): Promise<CallList> => (await (await fetch(`${server.baseUrl}/api/calls`)).json()) as CallList;
const health = async (server: TestServer) => ((await (await fetch(`${server.baseUrl}/healthz`)).json()) as { redis?: string }).redis;

test('junk instance records and leg events are skipped: every real call is still listed and controllable', async (t) => {
  const redis = await startRedis();
  const junk = await junkClient(redis.url);
  const b = await startTestServer({ instance: 'B', config: { redisUrl: redis.url, redisSecret: SECRET } });
  const a = await startTestServer({ instance: 'A', config: { redisUrl: redis.url, redisSecret: SECRET, publicUrl: b.baseUrl } });
  t.after(async () => {
    await a.close();
    await b.close();
    await junk.close();
    await redis.stop();
  });
  await waitFor(async () => (await health(a)) === 'up' && (await health(b)) === 'up', 5000, 'redis up');
  const placed = placeCall({
    answerUrl: `${a.baseUrl}/webhooks/answer`,
    eventUrl: `${a.baseUrl}/webhooks/event`,
    durationMs: 20_000,
    talk: 'skip',
    audio: { kind: 'tone', frequency: 440 },
  });
  await waitFor(async () => (await list(a)).calls[0]?.status === 'answered', 5000, 'the call listed on A with its events');
  const uuid = (await list(a)).calls[0]!.uuid!;

  const later = Date.now() + 60_000;
  const values: Record<string, string> = { null: 'null', empty: '{}', text: 'not json', calls: '{"instance":"x","at":1,"calls":[{}],"recent":[]}' };
  for (const [id, value] of Object.entries(values)) {
    await junk.set(`voicesocket:instance:${id}`, value);
    await junk.zAdd('voicesocket:instances', { score: later, value: id });
  }
  await junk.rPush('voicesocket:instance:list', 'a list, not a string');
  await junk.set('voicesocket:instance:huge', 'x'.repeat(9 * 1024 * 1024));
  await junk.zAdd('voicesocket:instances', [
    { score: later, value: 'list' },
    { score: later, value: 'huge' },
  ]);
  await junk.rPush(`voicesocket:leg:${uuid}`, ['null', '{"kind":"nonsense"}', 'y'.repeat(100_000)]);

  const before = process.memoryUsage().rss;
  const listing = await fetch(`${a.baseUrl}/api/calls`);
  assert.equal(listing.status, 200);
  const calls = ((await listing.json()) as CallList).calls;
  assert.equal(calls.length, 1, 'the real call, and nothing of the junk');
  assert.equal(calls[0]!.instance, 'B');
  assert.equal(calls[0]!.status, 'answered', "the leg's real events still merged");
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'the 9 MB key was not read');
  assert.ok(
    a.logs.some((line) => line.code === 'VS_ERR_REDIS_DATA_INVALID'),
    'the junk is named in a coded line',
  );

  const hangup = await fetch(`${a.baseUrl}/api/calls/${uuid}/hangup`, { method: 'POST' });
  assert.equal(hangup.status, 200, 'control across instances still works');
  const result = await placed;
  assert.equal(result.leg?.closeCode, 1000);
});

test('junk on the control channel is ignored and /healthz stays up; a stopped Redis reads "down" until it answers again', async (t) => {
  const redis = await startRedis();
  const junk = await junkClient(redis.url);
  const a = await startTestServer({ instance: 'A', config: { redisUrl: redis.url, redisSecret: SECRET } });
  t.after(async () => {
    await a.close();
    await junk.close();
    await redis.stop();
  });
  await waitFor(async () => (await health(a)) === 'up', 5000, 'redis up');
  for (const message of ['null', '{}', 'garbage', '{"id":1,"from":null,"call":{},"command":"x"}', '[]'])
    for (const channel of ['voicesocket:control:A', 'voicesocket:reply:A']) await junk.publish(channel, message);
  // Two health rounds: a handler's throw used to mark the subscription broken for good.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(await health(a), 'up');
  const notFound = await fetch(`${a.baseUrl}/api/calls/nobody/hangup`, { method: 'POST' });
  assert.equal(notFound.status, 404, 'control still answers');

  redis.pause();
  await waitFor(async () => (await health(a)) === 'down', 5000, 'a stopped Redis read as down');
  assert.ok(a.logs.some((line) => line.code === 'VS_ERR_REDIS_UNAVAILABLE'));
  redis.resume();
  await waitFor(async () => (await health(a)) === 'up', 5000, 'up again once it answers');
});

test('SIGTERM with Redis unreachable and no calls: an orderly stop, at once (exit 0)', async (t) => {
  const port = await freePort();
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--redis', `redis://127.0.0.1:${port}`]);
  t.after(() => child.kill('SIGKILL'));
  await waitForLogLine(child, (line) => typeof line.socket === 'string');
  const started = Date.now();
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
  // Bound with a reason: nothing is left to wait for; it took 28 s (the deadline) and exited 1.
  assert.ok(Date.now() - started < 3000, `stopped in ${Date.now() - started} ms`);
});
