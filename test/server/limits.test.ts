import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { startTestServer, waitFor } from '../helpers/server.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { CallSession, type CallTransport } from '../../src/call/call-session.js';
import { silentLogger } from '../../src/call/logger.js';
import { echo } from '../../src/apps/echo.js';
import { DEFAULT_LIMITS, TokenBucket, inboundAudioAllowance } from '../../src/server/limits.js';
import { notifiedMessage } from '../../src/protocol/socket-messages.js';
import { LoopStall } from '../../src/server/loop-stall.js';

test('a 1 MiB frame is refused with 1009; another call is untouched', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const bystander = await SocketClient.call(server.socketUrl);
  const abuser = await SocketClient.call(server.socketUrl);
  abuser.sendBinary(Buffer.alloc(1024 * 1024));
  await waitFor(() => abuser.closed !== undefined, 3000, 'abuser closed');
  assert.equal(abuser.closed?.code, 1009);
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_MESSAGE_TOO_BIG'));
  bystander.sendBinary(patternFrame(640, 1));
  await waitFor(() => bystander.received.binary.length === 1);
  await bystander.close();
});

test('an oversized text message closes with 1009', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  client.sendText(JSON.stringify({ event: 'websocket:dtmf', digit: '1', pad: 'x'.repeat(10_000) }));
  await waitFor(() => client.closed !== undefined);
  assert.equal(client.closed?.code, 1009);
});

test('beyond the call limit upgrades get 503 with a coded body', async (t) => {
  const server = await startTestServer({ config: { maxCalls: 2 } });
  t.after(() => server.close());
  const a = await SocketClient.call(server.socketUrl);
  const b = await SocketClient.call(server.socketUrl);
  await assert.rejects(SocketClient.open(server.socketUrl), /unexpected response 503/);
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_TOO_MANY_CALLS'));
  await a.close();
  await waitFor(() => server.server.registry.activeCalls === 1);
  const c = await SocketClient.call(server.socketUrl);
  await Promise.all([b.close(), c.close()]);
});

test('an idle socket is closed with 1008 and a coded reason', async (t) => {
  const server = await startTestServer({ config: { idleTimeoutS: 1 } });
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  const started = Date.now();
  await waitFor(() => client.closed !== undefined, 4000, 'idle close');
  assert.equal(client.closed?.code, 1008);
  assert.equal(client.closed?.reason, 'VS_ERR_IDLE_TIMEOUT');
  assert.ok(Date.now() - started >= 900);
});

test('a peer that stops answering pings is cut', async (t) => {
  const server = await startTestServer({ limits: { pingIntervalMs: 200 } });
  t.after(() => server.close());
  const client = await SocketClient.open(server.socketUrl, { autoPong: false });
  client.sendText(JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000' }));
  // Keep sending audio (not idle), but never pong.
  const timer = setInterval(() => client.ws.readyState === WebSocket.OPEN && client.sendBinary(Buffer.alloc(640)), 20);
  t.after(() => clearInterval(timer));
  await waitFor(() => client.closed !== undefined, 3000, 'cut');
  assert.equal(client.closed?.code, 1006);
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_PEER_DEAD'));
});

test('a text flood is rate-limited, logged by sample, then closed; audio of other calls flows', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const bystander = await SocketClient.call(server.socketUrl);
  const flooder = await SocketClient.call(server.socketUrl);
  for (let i = 0; i < 5000 && flooder.ws.readyState === WebSocket.OPEN; i++) flooder.sendText('{"event":"websocket:dtmf","digit":"1"}');
  await waitFor(() => flooder.closed !== undefined, 5000, 'flooder closed');
  assert.equal(flooder.closed?.code, 1008);
  assert.equal(flooder.closed?.reason, 'VS_ERR_TEXT_RATE');
  const lines = server.logs.filter((line) => line.code === 'VS_ERR_TEXT_RATE');
  assert.ok(lines.length > 0 && lines.length < 30, `${lines.length} log lines for thousands of dropped messages`);
  bystander.sendBinary(patternFrame(640, 5));
  await waitFor(() => bystander.received.binary.length === 1);
  await bystander.close();
});

test('a ping flood goes unanswered past the rate, then the socket is closed with 1008 and a coded line; another call is untouched', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const bystander = await SocketClient.call(server.socketUrl);
  const flooder = await SocketClient.call(server.socketUrl);
  let pongs = 0;
  flooder.ws.on('pong', () => pongs++);
  // A keepalive's pings are answered.
  flooder.ws.ping();
  await waitFor(() => pongs === 1, 3000, 'the pong of an ordinary ping');
  for (let i = 0; i < 2000 && flooder.ws.readyState === WebSocket.OPEN; i++) {
    flooder.ws.ping(Buffer.alloc(125));
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  await waitFor(() => flooder.closed !== undefined, 5000, 'the flood closed');
  assert.equal(flooder.closed?.code, 1008);
  assert.equal(flooder.closed?.reason, 'VS_ERR_PING_RATE');
  const lines = server.logs.filter((line) => line.code === 'VS_ERR_PING_RATE');
  assert.ok(lines.length > 0 && lines.length < 30, `${lines.length} log lines for the flood`);
  assert.ok(pongs <= 1 + 20 + 5, `${pongs} pongs: the burst and the rate, not the flood`);
  bystander.sendBinary(patternFrame(640, 5));
  await waitFor(() => bystander.received.binary.length === 1);
  await bystander.close();
});

test("Vonage's acknowledgements of our own markers are not charged to the caller's text rate; unasked ones still are", async (t) => {
  const MARKS = 300;
  let marked: Promise<boolean[]> | undefined;
  const server = await startTestServer({
    // A small drop count: 50 refused messages close the call (the default is 1 000; 3 000 markers reached it).
    limits: { textDropClose: 50 },
    app: (call) => {
      call.once('connected', () => {
        marked = Promise.all(Array.from({ length: MARKS }, (_, n) => call.mark({ n })));
      });
    },
  });
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  // Vonage's side: every notify is acknowledged with its payload as it is reached (no audio queued: at once).
  client.ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const message = JSON.parse((data as Buffer).toString('utf8')) as { action?: string; payload?: unknown };
    if (message.action === 'notify') client.sendText(notifiedMessage(message.payload));
  });
  await waitFor(() => marked !== undefined, 3000, 'the markers placed');
  const confirmed = await marked!;
  assert.equal(confirmed.filter(Boolean).length, MARKS, 'every marker acknowledged');
  assert.equal(client.closed, undefined, 'the call is still up');
  assert.ok(!server.logs.some((line) => line.code === 'VS_ERR_TEXT_RATE'), 'no acknowledgement was refused');

  // Acknowledgements nobody asked for are the peer's own messages: charged, dropped, then closed.
  for (let i = 0; i < 400 && client.ws.readyState === WebSocket.OPEN; i++) client.sendText(notifiedMessage({ n: i }));
  await waitFor(() => client.closed !== undefined, 5000, 'the flood closed');
  assert.deepEqual(client.closed, { code: 1008, reason: 'VS_ERR_TEXT_RATE' });
});

test('a reader that stops reading: outbound audio is dropped, memory stays bounded, the call is closed', async (t) => {
  // The client floods to make the echo outrun the reader; the inbound audio rate limit (tested on its
  // own) is set out of the way here so that the outbound side is what is measured.
  const server = await startTestServer({
    limits: { maxBufferedBytes: 64 * 1024, slowConsumerDropClose: 100, inboundAudioRealtimeFactor: 10_000, inboundAudioBurstMs: 1_000_000 },
  });
  t.after(() => server.close());
  let buffered = 0;
  const sessions: CallSession[] = [];
  server.server.registry.activeSessions(); // (the registry is what we inspect)
  const client = await SocketClient.call(server.socketUrl);
  (client.ws as unknown as { _socket: net.Socket })._socket.pause(); // stop reading
  const frame = Buffer.alloc(640, 3);
  for (let i = 0; i < 20_000 && client.ws.readyState === WebSocket.OPEN; i++) {
    client.sendBinary(frame);
    if (i % 1000 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const session of server.server.registry.activeSessions()) {
        sessions.push(session);
        buffered = Math.max(buffered, session.bufferedAmount);
      }
    }
  }
  await waitFor(() => server.logs.some((line) => line.code === 'VS_ERR_SLOW_CONSUMER'), 10_000, 'slow consumer detected');
  await waitFor(() => server.server.registry.activeCalls === 0, 5000, 'the slow call closed');
  assert.ok(buffered <= 64 * 1024 + 640, `buffered at most the limit plus a frame (${buffered})`);
  assert.ok(sessions[0]!.stats.framesDropped > 0);
});

test('slow HTTP: headers that never finish are cut by the header timeout', async (t) => {
  const server = await startTestServer({ limits: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } });
  t.after(() => server.close());
  const port = Number(new URL(server.baseUrl).port);
  const socket = net.connect(port, '127.0.0.1');
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  let response = '';
  socket.on('data', (chunk) => (response += chunk));
  const started = Date.now();
  await new Promise((resolve) => socket.on('close', resolve));
  assert.ok(Date.now() - started < 3000, 'closed within the timeout and its check interval');
  assert.match(response, /408/);
});

test('property: no text or binary input throws out of the socket handler', () => {
  const transport: CallTransport = { sendBinary: () => true, sendText: () => {}, close: () => {}, bufferedAmount: 0 };
  const session = new CallSession({ id: 'p', transport, log: silentLogger });
  echo(session);
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.string().map((text) => ({ text })),
          fc.jsonValue().map((value) => ({ text: JSON.stringify(value) })),
          fc
            .record({
              event: fc.constantFrom('websocket:connected', 'websocket:dtmf', 'websocket:notify', 'websocket:cleared'),
              'content-type': fc.oneof(fc.string(), fc.constant('audio/l16;rate=8000')),
              digit: fc.anything(),
              payload: fc.anything(),
            })
            .map((value) => ({ text: JSON.stringify(value) })),
          fc.uint8Array({ maxLength: 3000 }).map((bytes) => ({ binary: Buffer.from(bytes) })),
        ),
        { maxLength: 30 },
      ),
      (messages) => {
        for (const message of messages) {
          if ('text' in message) session.receiveText(message.text);
          else session.receiveBinary(message.binary);
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
});

test('a stream that starts late and sends what it owes at once is not a flood: nothing is dropped (real sockets)', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  // The caller's first 3 s wait (a busy sender, a media path still starting) and arrive at once,
  // 150 frames in a burst, then the stream goes on in real time: never ahead of real time since the
  // socket opened. (Before, a 2 s bucket kept none of what the late stream owed: 50 frames dropped.)
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const sent: Buffer[] = [];
  for (let i = 0; i < 150; i++) sent.push(patternFrame(640, i));
  for (const frame of sent) client.sendBinary(frame);
  for (let i = 150; i < 175; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const frame = patternFrame(640, i);
    sent.push(frame);
    client.sendBinary(frame);
  }
  await waitFor(() => client.received.binary.length === sent.length, 5000, 'every frame echoed');
  assert.deepEqual(client.received.binary, sent);
  assert.ok(!server.logs.some((line) => line.code === 'VS_ERR_AUDIO_RATE'), 'no frame refused');
  await client.close();
});

test('the inbound audio bucket credits what piled up while our event loop stalled, and still drops a flood (injected time)', () => {
  let now = 0;
  const stall = new LoopStall(100, () => now);
  const bytesPerS = 640 * 50;
  const bucket = () => new TokenBucket(bytesPerS * 2, bytesPerS * 2, { now: () => now, stalledMs: () => stall.stalledMs(), creditPerS: bytesPerS });
  const stalled = bucket();
  for (; now < 1000; now += 20) {
    if (now % 100 === 0) stall.tick();
    assert.ok(stalled.take(640));
  }
  // The loop is stuck for 7.8 s: a real caller's 390 frames wait in the kernel and are read at once,
  // before the late timer tick (and again after it: the stall is counted once).
  now += 7800;
  let dropped = 0;
  for (let i = 0; i < 390; i++) if (!stalled.take(640)) dropped++;
  stall.tick();
  for (let i = 0; i < 10; i++) if (!stalled.take(640)) dropped++;
  assert.equal(dropped, 0, 'the backlog of a stall is not a flood');
  // The same burst with no stall (a peer sending 8 s of audio at once) is mostly dropped.
  const flood = bucket();
  now += 100;
  stall.tick();
  let floodDropped = 0;
  for (let i = 0; i < 400; i++) if (!flood.take(640)) floodDropped++;
  assert.ok(floodDropped >= 290, `${floodDropped} of 400 dropped`);
});

test('the inbound audio allowance (the defaults, injected time): what a late stream owes passes, a stream ahead of real time does not, and silence banks at most 10 s', () => {
  const bytesPerS = 640 * 50;
  const allowance = inboundAudioAllowance(DEFAULT_LIMITS, bytesPerS);
  let now = 0;
  const bucket = () => new TokenBucket(allowance.ratePerS, allowance.burst, { now: () => now, initial: allowance.initial });
  /** Sends `frames` frames at once and counts those refused. */
  const burst = (target: TokenBucket, frames: number) => Array.from({ length: frames }, () => target.take(640)).filter((ok) => !ok).length;

  // Late by 8 s, then everything at once, then real time: nothing refused.
  const late = bucket();
  now += 8000;
  assert.equal(burst(late, 400), 0, 'the 8 s owed and the 2 s held ahead');
  for (let i = 0; i < 500; i++, now += 20) assert.ok(late.take(640), `frame ${i} in real time`);

  // 1.5 × real time for 20 s: past the 2 s ahead it is refused (before: anything up to 2 × passed).
  now = 0;
  const fast = bucket();
  let refused = 0;
  for (let i = 0; i < 1500; i++) {
    now += 20 / 1.5;
    if (!fast.take(640)) refused++;
  }
  assert.ok(refused >= 1500 - 1000 * 1.01 - 100 - 2, `${refused} of 1500 refused`);

  // Silent for a minute, then a minute of audio at once: 10 s owed and the 2 s ahead pass, no more.
  now = 0;
  const silent = bucket();
  now += 60_000;
  const passed = 3000 - burst(silent, 3000);
  assert.ok(passed >= 600 && passed <= 610, `${passed} frames passed`);
});
