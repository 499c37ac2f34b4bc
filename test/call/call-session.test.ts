import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallSession, type CallTransport } from '../../src/call/call-session.js';
import { silentLogger } from '../../src/call/logger.js';
import { connectedMessage } from '../../src/protocol/socket-messages.js';

function session() {
  const sent: Buffer[] = [];
  const transport: CallTransport = { sendBinary: (frame) => (sent.push(frame), true), sendText: () => {}, close: () => {}, bufferedAmount: 0 };
  const call = new CallSession({ id: 't', transport, log: silentLogger });
  // Audio before websocket:connected is held until the rate is known; these tests start connected.
  call.receiveText(connectedMessage('audio/l16;rate=16000', {}));
  return { call, sent };
}

test('audio listeners keep EventEmitter semantics: on, once, off, removeAllListeners, listenerCount', () => {
  const { call } = session();
  const seen: string[] = [];
  const a = () => seen.push('a');
  const b = () => seen.push('b');
  call.on('audio', a);
  call.once('audio', b);
  assert.equal(call.listenerCount('audio'), 2);
  call.receiveBinary(Buffer.alloc(640));
  call.receiveBinary(Buffer.alloc(640));
  assert.deepEqual(seen, ['a', 'b', 'a'], 'once fires once');
  call.off('audio', a);
  call.receiveBinary(Buffer.alloc(640));
  assert.deepEqual(seen, ['a', 'b', 'a']);
  call.on('audio', a);
  call.removeAllListeners();
  call.receiveBinary(Buffer.alloc(640));
  assert.equal(seen.length, 3);
});

test('a listener removed while audio is being delivered does not skip the others', () => {
  const { call } = session();
  const seen: string[] = [];
  const first = () => {
    seen.push('first');
    call.off('audio', first);
  };
  call.on('audio', first);
  call.on('audio', () => seen.push('second'));
  call.receiveBinary(Buffer.alloc(640));
  assert.deepEqual(seen, ['first', 'second']);
});

test('an audio listener that returns null or a number is a sync listener like any other (the call goes on)', () => {
  const { call, sent } = session();
  call.on('audio', () => null);
  call.on('audio', () => 42);
  call.on('audio', (frame) => call.sendAudio(frame));
  call.receiveBinary(Buffer.alloc(640, 1));
  call.receiveBinary(Buffer.alloc(640, 2));
  assert.equal(call.state, 'active');
  assert.equal(sent.length, 2);
});

test('many writes and plays add no listeners (no MaxListenersExceededWarning)', async () => {
  const { call } = session();
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on('warning', onWarning);
  for (let i = 0; i < 30; i++) void call.write(Buffer.alloc(640));
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  call.transportClosed(1000, 'done');
  assert.deepEqual(warnings, []);
});

test('a late websocket:cleared settles only the markers placed before its clear: the reply after it still waits for its own notify', async () => {
  const texts: string[] = [];
  const transport: CallTransport = { sendBinary: () => true, sendText: (text) => void texts.push(text), close: () => {}, bufferedAmount: 0 };
  const call = new CallSession({ id: 't', transport, log: silentLogger });
  call.receiveText(connectedMessage('audio/l16;rate=16000', {}));
  const before = call.mark({ said: 'before' });
  const clearing = call.clear();
  // The apology after the barge-in: its marker goes out after the clear command.
  const after = call.mark({ said: 'after' });
  // Vonage acknowledges the clear only now (a busy line): the marker before it was discarded with the audio.
  call.receiveText(JSON.stringify({ event: 'websocket:cleared' }));
  assert.equal(await clearing, true);
  assert.equal(await before, false);
  // The marker after the clear was not: it still settles on its own notify (it was settled false here before).
  const sentAfter = texts.map((text) => JSON.parse(text) as { action?: string; payload?: Record<string, unknown> }).find((m) => m.payload?.said === 'after');
  assert.ok(sentAfter, JSON.stringify(texts));
  call.receiveText(JSON.stringify({ event: 'websocket:notify', payload: sentAfter.payload }));
  assert.equal(await after, true);
});
