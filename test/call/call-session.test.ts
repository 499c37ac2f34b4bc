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
