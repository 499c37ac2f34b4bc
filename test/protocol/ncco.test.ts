import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateNcco, websocketConnectAction } from '../../src/protocol/ncco.js';

const ws = { type: 'websocket', uri: 'wss://example.com/socket', 'content-type': 'audio/l16;rate=16000' };

test('a talk + connect NCCO is valid; the builder spells content-type exactly', () => {
  const connect = websocketConnectAction({ uri: 'wss://example.com/socket', sampleRate: 8000, headers: { a: 1 } });
  const result = validateNcco([{ action: 'talk', text: 'hi' }, connect]);
  assert.ok(result.ok);
  assert.equal((connect as { endpoint: Array<Record<string, unknown>> }).endpoint[0]!['content-type'], 'audio/l16;rate=8000');
});

test('what Vonage refuses is refused, with its error text', () => {
  const cases: Array<[string, unknown]> = [
    ['not an array', { action: 'talk', text: 'hi' }],
    ['empty', []],
    ['unknown action', [{ action: 'dance' }]],
    ['eventUrl as a string', [{ action: 'connect', endpoint: [ws], eventUrl: 'https://example.com/e' }]],
    ['two endpoints', [{ action: 'connect', endpoint: [ws, ws] }]],
    ['http uri', [{ action: 'connect', endpoint: [{ ...ws, uri: 'http://example.com/socket' }] }]],
    ['rate Vonage lacks', [{ action: 'connect', endpoint: [{ ...ws, 'content-type': 'audio/l16;rate=44100' }] }]],
    ['headers over 512 bytes', [{ action: 'connect', endpoint: [{ ...ws, headers: { big: 'x'.repeat(600) } }] }]],
    ['talk too long', [{ action: 'talk', text: 'x'.repeat(1501) }]],
  ];
  for (const [name, ncco] of cases) {
    const result = validateNcco(ncco);
    assert.equal(result.ok, false, name);
    if (!result.ok) {
      assert.equal(result.reason, 'Syntax error in NCCO. Invalid value type or action.');
      assert.ok(result.issues.length > 0);
    }
  }
});

test('a "contentType" key is accepted (Vonage ignores it) with a warning that 16 kHz will be used', () => {
  const result = validateNcco([{ action: 'connect', endpoint: [{ type: 'websocket', uri: 'wss://x/socket', contentType: 'audio/l16;rate=8000' }] }]);
  assert.ok(result.ok);
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0]!, /16 kHz/);
});

test('property: the validator never throws, and every NCCO our builders make is valid', async () => {
  const fc = (await import('fast-check')).default;
  const { talkAction } = await import('../../src/protocol/ncco.js');
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const result = validateNcco(value);
      return typeof result.ok === 'boolean';
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 1500 }),
      fc.constantFrom(8000, 16000, 24000),
      fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 30 }), { maxKeys: 8 }),
      fc.option(fc.stringMatching(/^\d{1,15}$/), { nil: undefined }),
      (text, rate, headers, from) => {
        const ncco = [
          talkAction(text),
          websocketConnectAction({ uri: 'wss://example.com/socket?x=1', sampleRate: rate as 8000, headers, ...(from ? { from } : {}) }),
        ];
        const fits = Buffer.byteLength(JSON.stringify(headers)) <= 512;
        const result = validateNcco(ncco);
        return result.ok === fits && result.warnings.length === 0;
      },
    ),
    { numRuns: 300 },
  );
});
