import { test } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { connectedMessage } from '../../src/protocol/socket-messages.js';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestServer, waitFor } from '../helpers/server.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { echo } from '../../src/apps/echo.js';
import type { CallSession, DtmfEvent } from '../../src/call/call-session.js';
import { frameBytes, type SampleRate } from '../../src/protocol/audio-format.js';
import { dtmfMessage } from '../../src/protocol/socket-messages.js';

for (const rate of [8000, 16000, 24000] as SampleRate[]) {
  test(`echo returns every frame byte-identical and in order at ${rate} Hz`, async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    const client = await SocketClient.call(server.socketUrl, `audio/l16;rate=${rate}`, { uuid: 'leg-1' });
    const sent = Array.from({ length: 50 }, (_, i) => patternFrame(frameBytes(rate), i));
    for (const frame of sent) client.sendBinary(frame);
    await waitFor(() => client.received.binary.length === sent.length, 3000, 'all frames back');
    assert.deepEqual(client.received.binary, sent);
    assert.ok(client.received.binary.every((frame) => frame.length === frameBytes(rate)));
    assert.deepEqual(client.received.text, []);
    await client.close();
  });
}

test('echo never sends text back: connected, DTMF, notify, cleared and unknown messages are not echoed', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  client.sendText(dtmfMessage('5', 260));
  client.sendText(JSON.stringify({ event: 'websocket:cleared' }));
  client.sendText(JSON.stringify({ event: 'websocket:notify', payload: { id: 1 } }));
  client.sendText(JSON.stringify({ event: 'websocket:something-new' }));
  client.sendText('ok');
  client.sendBinary(patternFrame(640, 1));
  // A second frame as a sentinel: the socket is ordered, so once its echo is here, anything the
  // server would have said about the earlier messages is here too. No sleep proves an absence.
  client.sendBinary(patternFrame(640, 2));
  await waitFor(() => client.received.binary.length === 2, 3000, 'both audio frames back');
  assert.deepEqual(client.received.text, []);
  assert.deepEqual(client.received.binary, [patternFrame(640, 1), patternFrame(640, 2)]);
  await client.close();
});

test('odd-size audio is re-framed: only exact frames go out, bytes held until a frame is full', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  const stream = Buffer.concat(Array.from({ length: 4 }, (_, i) => patternFrame(640, i + 10)));
  // 2560 bytes in chunks of 1, 300, 701 (odd), 900, 658 — four frames in total.
  let offset = 0;
  for (const size of [1, 300, 701, 900, 658]) {
    client.sendBinary(stream.subarray(offset, offset + size));
    offset += size;
  }
  await waitFor(() => client.received.binary.length === 4, 3000, 'four re-framed frames');
  assert.ok(client.received.binary.every((frame) => frame.length === 640));
  assert.deepEqual(Buffer.concat(client.received.binary), stream);
  // A trailing partial frame is held, never sent short: the next 540 bytes complete it into exactly
  // one more frame, which starts with the held 100 bytes (no sleep needed to show nothing went early).
  client.sendBinary(Buffer.alloc(100, 1));
  client.sendBinary(Buffer.alloc(540, 2));
  await waitFor(() => client.received.binary.length === 5, 3000, 'the completed frame');
  assert.deepEqual(client.received.binary[4], Buffer.concat([Buffer.alloc(100, 1), Buffer.alloc(540, 2)]));
  await client.close();
});

test('DTMF (flat and nested forms), notify and cleared arrive as typed session events; call identity comes from the headers', async (t) => {
  const dtmf: DtmfEvent[] = [];
  const notified: unknown[] = [];
  let cleared = 0;
  let session: CallSession | undefined;
  const server = await startTestServer({
    app: (s) => {
      session = s;
      echo(s);
      s.on('dtmf', (event) => dtmf.push(event));
      s.on('notify', (payload) => notified.push(payload));
      s.on('cleared', () => cleared++);
    },
  });
  t.after(() => server.close());
  await fetch(`${server.baseUrl}/webhooks/event`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uuid: 'leg-7', conversation_uuid: 'CON-7', status: 'answered' }),
  });
  const client = await SocketClient.call(server.socketUrl, 'audio/l16;rate=8000', {
    uuid: 'leg-7',
    conversation_uuid: 'CON-7',
    from: '447700900000',
    to: '442079460000',
    custom: 42,
  });
  client.sendText(dtmfMessage('5', 260));
  client.sendText(JSON.stringify({ event: 'websocket:dtmf', dtmf: { digit: '#', duration: '130' } }));
  client.sendText(JSON.stringify({ event: 'websocket:notify', payload: { reply_id: 'abc' } }));
  client.sendText(JSON.stringify({ event: 'websocket:cleared' }));
  await waitFor(() => dtmf.length === 2 && notified.length === 1 && cleared === 1, 3000, 'typed events');
  assert.deepEqual(dtmf, [
    { digit: '5', duration: 260 },
    { digit: '#', duration: 130 },
  ]);
  assert.deepEqual(notified, [{ reply_id: 'abc' }]);
  assert.ok(session);
  assert.equal(session.sampleRate, 8000);
  assert.equal(session.frameBytes, 320);
  assert.deepEqual(
    { uuid: session.identity.uuid, conversationUuid: session.identity.conversationUuid, from: session.identity.from, to: session.identity.to },
    { uuid: 'leg-7', conversationUuid: 'CON-7', from: '447700900000', to: '442079460000' },
  );
  assert.equal(session.identity.headers.custom, 42, 'header JSON types are preserved');
  assert.equal(server.server.registry.legFor(session)?.status, 'answered', "the socket sees the leg's webhook events");
  assert.equal(server.server.registry.activeCalls, 1);
  await client.close();
  await waitFor(() => server.server.registry.activeCalls === 0, 3000, 'call to end');
});

test('malformed text and binary-first survive: the socket stays up and the log says why', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  // Binary before websocket:connected: held until the connected message gives its rate (8 kHz
  // here), then echoed at that rate with the identity the message carried.
  const early = await SocketClient.open(server.socketUrl);
  const earlyFrames = [1, 2, 3].map((seed) => patternFrame(320, seed));
  for (const frame of earlyFrames) early.sendBinary(frame);
  await waitFor(() => server.logs.some((line) => line.code === 'VS_ERR_AUDIO_BEFORE_CONNECTED'), 3000, 'the early audio to be seen');
  early.sendText(connectedMessage('audio/l16;rate=8000', { uuid: 'early-uuid' }));
  early.sendBinary(patternFrame(320, 4));
  await waitFor(() => early.received.binary.length === 4, 3000, 'binary-first echo');
  assert.deepEqual(early.received.binary, [...earlyFrames, patternFrame(320, 4)], 'every frame back, at 8 kHz, in order');
  const earlySession = [...server.server.registry.activeSessions()].find((session) => session.identity.uuid === 'early-uuid');
  assert.equal(earlySession?.sampleRate, 8000, 'the late connected message set the rate and the identity');
  assert.ok(!server.logs.some((line) => /second websocket:connected/.test(line.msg)));

  const client = await SocketClient.call(server.socketUrl);
  for (const text of ['{broken', '[]', '{"event":42}', '{"event":"websocket:dtmf","digit":"x"}', '\u0000\uffff']) client.sendText(text);
  client.sendBinary(patternFrame(640, 9));
  await waitFor(() => client.received.binary.length === 1, 3000, 'echo after malformed text');
  assert.equal(client.ws.readyState, WebSocket.OPEN);
  for (const code of ['VS_ERR_TEXT_NOT_JSON', 'VS_ERR_TEXT_INVALID'])
    assert.ok(
      server.logs.some((line) => line.code === code),
      code,
    );
  await Promise.all([client.close(), early.close()]);
});

test('websocket:connected stating a rate Vonage never offers (0, 8001, 44100, another codec) closes with 1003 and a coded line; no content-type runs at 16 kHz with one', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  for (const contentType of ['audio/l16;rate=0', 'audio/l16;rate=8001', 'audio/l16;rate=44100', 'audio/pcmu;rate=8000']) {
    const client = await SocketClient.call(server.socketUrl, contentType);
    client.sendBinary(patternFrame(640, 1));
    await waitFor(() => client.closed !== undefined, 3000, `${contentType} refused`);
    assert.equal(client.closed?.code, 1003, contentType);
    assert.equal(client.closed?.reason, 'VS_ERR_AUDIO_FORMAT_UNSUPPORTED', contentType);
    assert.equal(client.received.binary.length, 0, `${contentType}: nothing echoed at a guessed rate`);
  }
  assert.equal(server.logs.filter((line) => line.code === 'VS_ERR_AUDIO_FORMAT_UNSUPPORTED').length, 4);

  // Vonage's own fallback (an NCCO that misspells content-type): 16 kHz, with a coded line.
  const unstated = await SocketClient.open(server.socketUrl);
  unstated.sendText(connectedMessage(undefined, { uuid: 'unstated' }));
  unstated.sendBinary(patternFrame(640, 2));
  await waitFor(() => unstated.received.binary.length === 1, 3000, 'echo at 16 kHz');
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_AUDIO_FORMAT_ASSUMED' && line.rate === 16000));
  assert.ok(!server.logs.some((line) => line.code === 'VS_ERR_AUDIO_BEFORE_CONNECTED'), 'audio after a refusal is not held');
  await unstated.close();
});

test('a flood of malformed text is logged by sample, not line by line', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  for (let i = 0; i < 1000; i++) client.sendText('not json');
  client.sendBinary(patternFrame(640, 1));
  await waitFor(() => client.received.binary.length === 1);
  const lines = server.logs.filter((line) => line.code === 'VS_ERR_TEXT_NOT_JSON');
  assert.ok(lines.length > 0 && lines.length <= 20, `${lines.length} log lines for 1000 bad messages`);
  await client.close();
});

test('an app that throws ends only its own call, with 1011; other calls go on', async (t) => {
  const server = await startTestServer({
    app: (session) => {
      echo(session);
      session.on('dtmf', () => {
        throw new Error('app bug');
      });
    },
  });
  t.after(() => server.close());
  const bystander = await SocketClient.call(server.socketUrl);
  const victim = await SocketClient.call(server.socketUrl);
  victim.sendText(dtmfMessage('1', 100));
  await waitFor(() => victim.closed !== undefined, 3000, 'failing call closed');
  assert.equal(victim.closed?.code, 1011);
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_APP_FAILED'));
  bystander.sendBinary(patternFrame(640, 2));
  await waitFor(() => bystander.received.binary.length === 1, 3000, 'bystander echo');
  await bystander.close();
});

test('upgrades to any path but /socket are refused with 404 and a coded body', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  await assert.rejects(SocketClient.open(server.socketUrl.replace('/socket', '/elsewhere')), /unexpected response 404/);
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_SOCKET_PATH'));
  // Query strings on /socket are fine: Vonage samples put call context there.
  const client = await SocketClient.call(`${server.socketUrl}?peer_uuid=abc`);
  await client.close();
});

test('one log line per call at start and at end, with identity and counts', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl, 'audio/l16;rate=16000', { uuid: 'leg-log' });
  for (let i = 0; i < 5; i++) client.sendBinary(patternFrame(640, i));
  await waitFor(() => client.received.binary.length === 5);
  await client.close();
  await waitFor(() => server.logs.some((line) => line.msg === 'call ended'));
  const started = server.logs.filter((line) => line.msg === 'call started');
  const ended = server.logs.filter((line) => line.msg === 'call ended');
  assert.equal(started.length, 1);
  assert.equal(ended.length, 1);
  assert.equal(started[0]!.uuid, 'leg-log');
  assert.equal(started[0]!.rate, 16000);
  assert.equal(ended[0]!.framesIn, 5);
  assert.equal(ended[0]!.framesOut, 5);
  assert.equal(ended[0]!.closeCode, 1000);
});

test('graceful close: open calls get 1001 and new upgrades are refused', async () => {
  const server = await startTestServer();
  const client = await SocketClient.call(server.socketUrl);
  await server.close();
  await waitFor(() => client.closed !== undefined, 3000, 'close frame');
  assert.equal(client.closed?.code, 1001);
});

test('a call\'s log lines carry its call id once (no duplicate "call" key in the JSON)', async (t) => {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      raw.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  const server = await startTestServer({ logger: pino({ level: 'debug' }, stream) });
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  client.sendText('{not json');
  client.sendBinary(Buffer.alloc(641)); // odd length: another session warning
  await waitFor(() => raw.some((line) => line.includes('VS_ERR_AUDIO_ODD_LENGTH')), 3000, 'the warnings');
  const callLines = raw.filter((line) => line.includes('"call":'));
  assert.ok(callLines.length >= 2);
  for (const line of callLines) assert.equal(line.match(/"call":/g)!.length, 1, line);
  await client.close();
});
