import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { startTestServer, waitFor } from '../helpers/server.js';
import { SocketClient } from '../helpers/socket-client.js';
import { placeCall } from '../../src/emulator/call.js';
import { connectedMessage } from '../../src/protocol/socket-messages.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function shortCall(url: string, cut: boolean): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(connectedMessage('audio/l16;rate=16000', { uuid: 'churn' }));
  ws.send(Buffer.alloc(640), { binary: true });
  if (cut)
    ws.terminate(); // no close frame: the server sees 1006
  else ws.close(1000);
}

test('churn: 2 000 short calls, half cut without a close frame: no session left, memory back near baseline', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  await Promise.all(Array.from({ length: 50 }, (_, i) => shortCall(server.socketUrl, i % 2 === 0)));
  await waitFor(() => server.server.registry.activeCalls === 0, 5000);
  gc();
  const baseline = process.memoryUsage().heapUsed;
  for (let batch = 0; batch < 20; batch++) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => shortCall(server.socketUrl, i % 2 === 0)));
  }
  await waitFor(() => server.server.registry.activeCalls === 0, 10_000, 'every session gone');
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc();
  const grown = process.memoryUsage().heapUsed - baseline;
  assert.ok(grown < 8 * 1024 * 1024, `heap grew ${(grown / 1024 / 1024).toFixed(1)} MB over 2 000 calls`);
  assert.ok(server.logs.filter((line) => line.msg === 'call ended').length >= 2000);
});

test("abuse with a bystander: oversized frames, a text flood, a slow reader and churn at once; the bystander's echo stays healthy", async (t) => {
  const server = await startTestServer({ limits: { maxBufferedBytes: 64 * 1024, slowConsumerDropClose: 100 } });
  t.after(() => server.close());
  const bystander = placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 4000, talk: 'skip', warmupMs: 200 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const abuse = (async () => {
    const oversized = await SocketClient.call(server.socketUrl);
    oversized.sendBinary(Buffer.alloc(1024 * 1024));
    const flooder = await SocketClient.call(server.socketUrl);
    for (let i = 0; i < 3000 && flooder.ws.readyState === WebSocket.OPEN; i++) flooder.sendText('not json at all');
    const slow = await SocketClient.call(server.socketUrl);
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    for (let i = 0; i < 8000 && slow.ws.readyState === WebSocket.OPEN; i++) {
      slow.sendBinary(Buffer.alloc(640, 1));
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (let batch = 0; batch < 6; batch++) await Promise.all(Array.from({ length: 50 }, (_, i) => shortCall(server.socketUrl, i % 2 === 0)));
    return { oversized, flooder, slow };
  })();
  const [result, abusers] = await Promise.all([bystander, abuse]);
  const leg = result.leg!;
  assert.equal(leg.end, 'caller-hangup');
  assert.equal(leg.lost, 0, 'no bystander frame lost');
  // A bound with its reason: an echo round trip is ~0.5 ms on an idle machine; a bystander starved by
  // the abuse waits seconds (buffers behind a slow reader, a blocked loop). 100 ms separates the two
  // even when the rest of the suite shares the 2 cores (59 ms was seen there against a 50 ms bound).
  assert.ok(leg.rtt!.p99 < 100, `bystander round trip p99 ${leg.rtt!.p99.toFixed(1)} ms`);
  await waitFor(() => abusers.oversized.closed !== undefined && abusers.flooder.closed !== undefined, 5000);
  assert.equal(abusers.oversized.closed?.code, 1009);
  await waitFor(() => server.server.registry.activeCalls === 0, 10_000, 'abusers gone');
});
