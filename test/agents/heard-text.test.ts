/** Which words of a reply were heard, from how much of its audio played (src/agents/heard-text.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heardOfSpans, heardWords } from '../../src/agents/heard-text.js';

test('heard words: the heard share of the audio is the heard share of the characters, cut back to a whole word', () => {
  const text = 'one two three four'; // 18 characters
  assert.equal(heardWords(text, 0, 1800), '');
  assert.equal(heardWords(text, 1800, 1800), text);
  assert.equal(heardWords(text, 5000, 1800), text, 'more than the whole is the whole');
  // 700 of 1800 ms: 7 characters, "one two", the space after "two" reached.
  assert.equal(heardWords(text, 700, 1800), 'one two');
  // 600 ms: 6 characters, inside "two": only "one" was heard whole.
  assert.equal(heardWords(text, 600, 1800), 'one');
  assert.equal(heardWords(text, 200, 1800), '', 'inside the first word');
  assert.equal(heardWords(text, 100, 0), '', 'no audio, nothing heard');
});

test('heard words of spans: whole sentences by their own audio, the cut one by its share', () => {
  const spans = [
    { text: 'Hello there.', startMs: 0, durationMs: 1000 },
    { text: 'We open at nine.', startMs: 1000, durationMs: 1600 },
    { text: 'Goodbye.', startMs: 2600, durationMs: 700 },
  ];
  assert.equal(heardOfSpans(spans, 300), '', 'inside the first word');
  assert.equal(heardOfSpans(spans, 500), 'Hello', '6 of 12 characters: "Hello " reached');
  assert.equal(heardOfSpans(spans, 1000), 'Hello there.');
  // 800 of the second sentence's 1600 ms: 8 of 16 characters, "We open " → "We open".
  assert.equal(heardOfSpans(spans, 1800), 'Hello there. We open');
  assert.equal(heardOfSpans(spans, 9999), 'Hello there. We open at nine. Goodbye.');
  assert.equal(heardOfSpans([], 1000), '');
});
