import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { connectedMessage, notifyCommand, parseAppCommand, parseVonageMessage } from '../../src/protocol/socket-messages.js';

test('websocket:connected: rate from content-type, headers at the top level, default 16 kHz when missing or unreadable', () => {
  const parsed = parseVonageMessage(connectedMessage('audio/l16;rate=24000', { uuid: 'a', n: 1 }));
  assert.ok(parsed.ok && parsed.message.type === 'connected');
  assert.equal(parsed.message.sampleRate, 24000);
  assert.deepEqual(parsed.message.headers, { uuid: 'a', n: 1 });
  for (const contentType of [undefined, 'audio/l16;rate=44100', 'audio/pcmu', 42]) {
    const text = JSON.stringify({ event: 'websocket:connected', 'content-type': contentType });
    const fallback = parseVonageMessage(text);
    assert.ok(fallback.ok && fallback.message.type === 'connected');
    assert.equal(fallback.message.sampleRate, 16000);
    assert.equal(fallback.message.rateStated, false);
  }
  const spaced = parseVonageMessage(JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/L16; rate=8000' }));
  assert.ok(spaced.ok && spaced.message.type === 'connected' && spaced.message.sampleRate === 8000);
});

test('DTMF is validated: one digit 0-9 * #', () => {
  for (const digit of ['0', '9', '*', '#']) assert.ok(parseVonageMessage(JSON.stringify({ event: 'websocket:dtmf', digit, duration: 100 })).ok);
  for (const digit of ['', '12', 'A', null]) {
    const parsed = parseVonageMessage(JSON.stringify({ event: 'websocket:dtmf', digit }));
    assert.ok(!parsed.ok && parsed.problem === 'TEXT_INVALID');
  }
});

test('app commands: clear, notify with payload; unknown actions are reported', () => {
  assert.deepEqual(parseAppCommand('{"action":"clear"}'), { ok: true, message: { type: 'clear' } });
  assert.deepEqual(parseAppCommand(notifyCommand({ id: 'x' })), { ok: true, message: { type: 'notify', payload: { id: 'x' } } });
  const unknown = parseAppCommand('{"action":"dance"}');
  assert.ok(!unknown.ok && unknown.problem === 'TEXT_UNKNOWN_EVENT');
});

test('property: the parsers never throw, whatever the text', () => {
  const anyText = fc.oneof(
    fc.string(),
    fc.json(),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc
      .record({
        event: fc.constantFrom('websocket:connected', 'websocket:dtmf', 'websocket:notify', 'websocket:cleared'),
        digit: fc.anything(),
        'content-type': fc.anything(),
        dtmf: fc.anything(),
      })
      .map((value) => JSON.stringify(value)),
  );
  fc.assert(
    fc.property(anyText, (text) => {
      const vonage = parseVonageMessage(text);
      const app = parseAppCommand(text);
      return typeof vonage.ok === 'boolean' && typeof app.ok === 'boolean';
    }),
    { numRuns: 2000 },
  );
});

test('a header named __proto__ stays a header (regression: it used to become the prototype)', () => {
  const text = connectedMessage('audio/l16;rate=16000', JSON.parse('{"__proto__":{"x":1},"uuid":"u"}') as Record<string, unknown>);
  assert.deepEqual(JSON.parse(text), JSON.parse('{"event":"websocket:connected","content-type":"audio/l16;rate=16000","__proto__":{"x":1},"uuid":"u"}'));
});
