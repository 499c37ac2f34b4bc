/**
 * Floods at each input an outsider reaches, each beside a bystander call: memory stays within the
 * budget named in server/limits.ts, the offender (that call, that client) is cut with a coded reason,
 * and the process and the bystander go on. The figures are recorded in docs/security.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { delayEcho, dtmfMenu } from '../../src/apps/index.js';
import { dtmfMessage } from '../../src/protocol/socket-messages.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { SocketClient } from '../helpers/socket-client.js';
import { Bystander, withBystander } from '../helpers/bystander.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

test('a binary flood on delay-echo: cut with AUDIO_RATE, the heap grows by less than the budget', async (t) => {
  const server = await startTestServer({ app: withBystander(delayEcho(1000)) });
  t.after(() => server.close());
  const bystander = await Bystander.join(server.socketUrl);
  const before = heapAfterGc();
  const flood = await SocketClient.call(server.socketUrl);
  const frame = Buffer.alloc(640, 7);
  // As fast as the socket takes it, for at most 1.5 s (the run grew RSS by ~750 MB in 1.3 s).
  const until = Date.now() + 1500;
  while (Date.now() < until && flood.closed === undefined && flood.ws.readyState === flood.ws.OPEN) {
    for (let i = 0; i < 200; i++) flood.sendBinary(frame);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await waitFor(() => flood.closed !== undefined, 5000, 'the flood to be cut');
  assert.equal(flood.closed!.code, 1008);
  assert.equal(flood.closed!.reason, 'VS_ERR_AUDIO_RATE');
  const grown = heapAfterGc() - before;
  t.diagnostic(`binary flood: heap +${(grown / MB).toFixed(1)} MB`);
  // The call's queue holds at most 20 s of 16 kHz audio (640 KB); 16 MB leaves room for the socket's own buffers.
  assert.ok(grown < 16 * MB, `heap grew ${(grown / MB).toFixed(1)} MB`);
  await bystander.echoesExactly();
  await bystander.close();
});

test('a DTMF flood on dtmf-menu: paced audio stops at the call cap (PLAYBACK_OVERFLOW), memory bounded', async (t) => {
  const server = await startTestServer({ app: withBystander(dtmfMenu) });
  t.after(() => server.close());
  const before = heapAfterGc();
  const flood = await SocketClient.call(server.socketUrl);
  // Within the text rate limit (50/s, burst 100): 150 presses of "1" in 3 s, each a 1 s tone.
  for (let i = 0; i < 150; i++) {
    flood.sendText(dtmfMessage('1', 100));
    if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await waitFor(() => server.logs.some((line) => line.code === 'VS_ERR_PLAYBACK_OVERFLOW'), 5000, 'the overflow');
  const session = [...server.server.registry.activeSessions()][0]!;
  assert.ok(session.queuedMs <= 20_000 + 1000, `queued ${session.queuedMs} ms (cap 20 s)`);
  const grown = heapAfterGc() - before;
  t.diagnostic(`DTMF flood: heap +${(grown / MB).toFixed(1)} MB, ${session.queuedMs} ms queued`);
  assert.ok(grown < 16 * MB, `heap grew ${(grown / MB).toFixed(1)} MB`);
  const bystander = await Bystander.join(server.socketUrl);
  await bystander.echoesExactly();
  await Promise.all([bystander.close(), flood.close()]);
});

test('10 000 event webhooks of 60 KB: the event store stays within its 32 MiB budget, the heap bounded', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const bystander = await Bystander.join(server.socketUrl);
  const before = heapAfterGc();
  const padding = 'x'.repeat(60 * 1024);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  t.after(() => agent.destroy());
  const post = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ uuid: `leg-${i}`, conversation_uuid: `CON-${i}`, status: 'started', padding });
      const request = http.request(
        `${server.baseUrl}/webhooks/event`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  for (let batch = 0; batch < 100; batch++) {
    const statuses = await Promise.all(Array.from({ length: 100 }, (_, i) => post(batch * 100 + i)));
    assert.ok(statuses.every((status) => status === 204));
  }
  const grown = heapAfterGc() - before;
  const store = server.server.registry.eventStoreBytes;
  t.diagnostic(`event flood: heap +${(grown / MB).toFixed(1)} MB, store ${(store / MB).toFixed(1)} MB`);
  assert.ok(store <= 32 * MB, `the store holds ${store} bytes`);
  // The issue saw +607 MB; the store is bounded at 32 MiB and legs are trimmed records.
  assert.ok(grown < 64 * MB, `heap grew ${(grown / MB).toFixed(1)} MB`);
  const leg = server.server.registry.leg('leg-9999');
  assert.equal(leg?.status, 'started', 'the newest legs are kept, their fields intact');
  await bystander.echoesExactly();
  await bystander.close();
});

test('dashboard stream clients that never read are cut (SSE_SLOW_CLIENT); past the client limit, 503', async (t) => {
  const server = await startTestServer({ dashboardIntervalMs: 2, limits: { sseUnreadCut: 30, maxSseClients: 3 } });
  t.after(() => server.close());
  const bystander = await Bystander.join(server.socketUrl);
  // Thirty live calls make each snapshot large, so a client that never reads fills its socket's
  // kernel buffers in well under a second, and the cut is reached quickly.
  const calls = await Promise.all(Array.from({ length: 30 }, () => SocketClient.call(server.socketUrl)));
  const port = Number(new URL(server.baseUrl).port);
  // Raw sockets that never read: a paused net.Socket does not read from the kernel at all.
  const readers = Array.from({ length: 3 }, () => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    socket.pause();
    return socket;
  });
  // Once the three are registered a fourth is refused; until then a fourth may get in, and is let go again.
  let fourth: Response | undefined;
  const deadline = Date.now() + 5000;
  while (!fourth || fourth.status !== 503) {
    assert.ok(Date.now() < deadline, 'a fourth stream client is refused');
    if (fourth) await fourth.body?.cancel();
    fourth = await fetch(`${server.baseUrl}/api/stream`);
  }
  assert.equal(((await fourth.json()) as { error: string }).error, 'VS_ERR_SSE_TOO_MANY');
  await waitFor(() => server.logs.filter((line) => line.code === 'VS_ERR_SSE_SLOW_CLIENT').length === 3, 20_000, 'the slow clients to be cut');
  for (const reader of readers) reader.destroy();
  await bystander.echoesExactly();
  await Promise.all([bystander.close(), ...calls.map((call) => call.close())]);
});
