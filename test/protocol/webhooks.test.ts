import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fitHeaders, parseCallEvent, truncateUtf8 } from '../../src/protocol/webhooks.js';
import { MAX_WEBSOCKET_HEADERS_BYTES } from '../../src/protocol/ncco.js';

test('property: fitHeaders always fits in 512 bytes of JSON and keeps what already fits', () => {
  const headers = fc.dictionary(
    fc.string({ maxLength: 40 }),
    fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.integer(), fc.boolean()),
    { maxKeys: 20 },
  );
  fc.assert(
    fc.property(headers, (input) => {
      const fitted = fitHeaders(input);
      const bytes = Buffer.byteLength(JSON.stringify(fitted));
      assert.ok(bytes <= MAX_WEBSOCKET_HEADERS_BYTES, `${bytes} bytes`);
      if (Buffer.byteLength(JSON.stringify(input)) <= MAX_WEBSOCKET_HEADERS_BYTES) assert.equal(JSON.stringify(fitted), JSON.stringify(input));
      for (const [key, value] of Object.entries(fitted)) {
        if (typeof value === 'string') assert.ok((input[key] as string).startsWith(value), 'values are only cut, never changed');
        else assert.equal(value, input[key]);
      }
    }),
    { numRuns: 500 },
  );
});

test('truncateUtf8 never splits a character', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.nat(64), (text, max) => {
      const cut = truncateUtf8(text, max);
      assert.ok(Buffer.byteLength(cut) <= Math.max(max, 0));
      assert.ok(text.startsWith(cut));
      assert.equal(Buffer.from(cut, 'utf8').toString('utf8'), cut);
    }),
  );
});

test('property: parseCallEvent never throws and always keeps the raw payload', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const parsed = parseCallEvent(value);
      if (parsed.ok) assert.equal(parsed.event.raw, value);
      return true;
    }),
    { numRuns: 1000 },
  );
});
