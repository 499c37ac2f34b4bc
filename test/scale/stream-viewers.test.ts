/**
 * The dashboard stream's cap holds with `--redis`, where each new viewer's first snapshot waits on
 * Redis: the cap counts a viewer from the moment it is let in, not after that wait, and a viewer who
 * leaves during the wait gives its place back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestServer, waitFor } from '../helpers/server.js';
import { startRedis } from '../helpers/redis.js';

const CAP = 20;

/** Opens a stream request; resolves with its status once the response head arrives. */
function openStream(baseUrl: string): { status: Promise<number>; request: http.ClientRequest } {
  const request = http.get(`${baseUrl}/api/stream`);
  const status = new Promise<number>((resolve) => {
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    // A request we abort ourselves has no status.
    request.on('error', () => resolve(0));
  });
  return { status, request };
}

test('--redis: 60 viewers arriving while Redis is slow: at most the cap is let in, and places freed during the wait come back', async (t) => {
  const redis = await startRedis();
  const server = await startTestServer({ config: { redisUrl: redis.url }, limits: { maxSseClients: CAP } });
  t.after(async () => {
    redis.resume();
    await server.close();
    await redis.stop();
  });
  await waitFor(async () => ((await (await fetch(`${server.baseUrl}/healthz`)).json()) as { redis?: string }).redis === 'up', 5000, 'redis up');

  // Redis stops answering (SIGSTOP) for less than a command's 1 s timeout: every new viewer's first
  // snapshot waits on it, as it would on a slow or busy Redis.
  redis.pause();
  const streams = Array.from({ length: 60 }, () => openStream(server.baseUrl));
  // Ten of them give up while they wait.
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const stream of streams.slice(0, 10)) stream.request.destroy();
  await new Promise((resolve) => setTimeout(resolve, 200));
  redis.resume();

  const statuses = await Promise.all(streams.slice(10).map((stream) => stream.status));
  const admitted = statuses.filter((status) => status === 200).length;
  assert.ok(admitted <= CAP, `${admitted} viewers let in against a cap of ${CAP}`);
  assert.equal(statuses.filter((status) => status === 503).length, statuses.length - admitted, 'the rest are refused with 503');

  // Everyone leaves; the stream takes a full house again (before, the viewers who left during the
  // wait kept their places for good: 503 for everyone from then on).
  for (const stream of streams) stream.request.destroy();
  await waitFor(
    async () => {
      const house = Array.from({ length: CAP }, () => openStream(server.baseUrl));
      const full = (await Promise.all(house.map((stream) => stream.status))).every((status) => status === 200);
      for (const stream of house) stream.request.destroy();
      return full;
    },
    5000,
    'a full house of viewers after everyone left',
  );
});
