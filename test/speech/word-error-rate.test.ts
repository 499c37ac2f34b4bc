import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wordErrors } from '../../src/speech/word-error-rate.js';

test('word error rate counts substitutions, deletions and insertions by the least-edit alignment', () => {
  assert.deepEqual(wordErrors('the cat sat on the mat', 'The cat sat on the mat.'), { substitutions: 0, deletions: 0, insertions: 0, words: 6, rate: 0 });
  assert.deepEqual(wordErrors('the cat sat on the mat', 'the cat sat on mat'), { substitutions: 0, deletions: 1, insertions: 0, words: 6, rate: 1 / 6 });
  assert.deepEqual(wordErrors('the cat sat', 'the bat sat down'), { substitutions: 1, deletions: 0, insertions: 1, words: 3, rate: 2 / 3 });
  // "what what the bull please" for "I would like to talk to support please" (a real PocketSphinx result).
  const real = wordErrors('I would like to talk to support please', 'what what the bull please');
  assert.equal(real.substitutions + real.deletions + real.insertions, 7);
  assert.equal(real.words, 8);
  assert.deepEqual(wordErrors('', ''), { substitutions: 0, deletions: 0, insertions: 0, words: 0, rate: 0 });
  assert.equal(wordErrors('hello', '').deletions, 1);
});
