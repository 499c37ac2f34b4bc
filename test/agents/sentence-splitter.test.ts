/**
 * The cascade's sentence splitting: sentences as the tokens complete them, in order, nothing lost;
 * run-ons given out in bounded pieces; and each token scanned once, so a long reply without a full
 * stop costs time in proportion to its length (it cost the square: 10.7 s for 256 kB).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SentenceSplitter } from '../../src/agents/sentence-splitter.js';

const split = (tokens: string[], maxChars = 600) => {
  const splitter = new SentenceSplitter(maxChars);
  const out = tokens.flatMap((token) => splitter.push(token));
  const rest = splitter.flush();
  return rest ? [...out, rest] : out;
};

test('sentences as they complete, a quote or bracket kept with its sentence, a line break ends one', () => {
  assert.deepEqual(split(['Hello', ' there.', ' How are', ' you?', ' Fine']), ['Hello there. ', 'How are you? ', 'Fine']);
  assert.deepEqual(split(['He said "stop!"', ' Then', ' left.']), ['He said "stop!" ', 'Then left.']);
  // A full stop waits for what follows it: "3." may be "3.5".
  assert.deepEqual(split(['It costs 3', '.', '5 pounds. ', 'OK']), ['It costs 3.5 pounds. ', 'OK']);
  // The end characters may come a token at a time.
  assert.deepEqual(split(['She said "no', '.', '"', ' ', 'Then']), ['She said "no." ', 'Then']);
  assert.deepEqual(split(['Wait', '!', '!', '!', ' Go']), ['Wait!!! ', 'Go']);
  assert.deepEqual(split(['First line\nSecond']), ['First line\n', 'Second']);
});

test('a run-on is given out in pieces of at most the limit, cut at a space', () => {
  const pieces = split(
    Array.from({ length: 200 }, () => 'and then '),
    100,
  );
  assert.ok(pieces.every((piece) => piece.length <= 100));
  assert.ok(pieces.slice(0, -1).every((piece) => piece.endsWith(' ')));
  assert.equal(pieces.join(''), 'and then '.repeat(200));
  assert.deepEqual(split(['x'.repeat(250)], 100), ['x'.repeat(100), 'x'.repeat(100), 'x'.repeat(50)]);
});

test('property: however the text comes in tokens, nothing is lost or reordered, and no piece passes the limit', () => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-z .!?"\n]{0,12}$/), { maxLength: 60 }), fc.integer({ min: 5, max: 80 }), (tokens, maxChars) => {
      const pieces = split(tokens, maxChars);
      assert.equal(pieces.join(''), tokens.join(''));
      assert.ok(
        pieces.every((piece) => piece.length <= maxChars + 12),
        JSON.stringify(pieces),
      );
    }),
  );
});

test('256 kB without a sentence end, a few characters a token: linear time', () => {
  const splitter = new SentenceSplitter(600);
  const token = 'abc ';
  const startedAt = performance.now();
  let out = 0;
  for (let i = 0; i < (256 * 1024) / token.length; i++) out += splitter.push(token).length;
  const ms = performance.now() - startedAt;
  // Tens of milliseconds when each token is scanned once; the rescan of the whole pending text after
  // every token took 10.7 s for this. 3 s is far from both, on a loaded machine too.
  assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
  assert.ok(out >= (256 * 1024) / 600 - 1, `${out} pieces`);
  // A run of sentence-end characters with no space after them is not rescanned whole either.
  const dots = new SentenceSplitter(600);
  for (let i = 0; i < 100_000; i++) dots.push('!');
  assert.ok(dots.pending.length <= 600);
});
