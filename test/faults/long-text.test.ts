/**
 * Text too long for a process argument: past 128 kB one argument fails with E2BIG (Linux's
 * MAX_ARG_STRLEN), and the offline synthesizers got their text as one. espeak-ng takes it on stdin,
 * flite a short piece at a time as its argument, and they make audio only as it is read: the first words come at once, and an abort
 * stops the engine however much text is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { espeakSynthesizer } from '../../src/speech/espeak.js';
import { fliteSynthesizer, FLITE_PIECE_CHARS } from '../../src/speech/flite.js';
import { textPieces, type Synthesizer } from '../../src/speech/synthesizer.js';

/** 200 kB of words with a sentence end now and then, starting with a dash (not an option). */
const LONG_TEXT = `-${'and then the caller asked about the order again '.repeat(400)}. `.repeat(10);

test('text pieces: at most the limit, ending at a sentence end or a space, nothing lost but spaces', () => {
  const pieces = textPieces(LONG_TEXT, 1000);
  assert.ok(pieces.every((piece) => piece.length <= 1000));
  assert.equal(pieces.join('').replace(/\s+/g, ''), LONG_TEXT.replace(/\s+/g, ''));
  assert.ok(
    pieces.slice(0, -1).every((piece) => /[.!?]$|\w$/.test(piece)),
    'cut at a sentence end or between words',
  );
  assert.deepEqual(textPieces('One. Two.', 1000), ['One. Two.']);
  assert.deepEqual(textPieces('x'.repeat(25), 10), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  assert.deepEqual(textPieces('   ', 10), []);
});

for (const synthesizer of [espeakSynthesizer, fliteSynthesizer] as Synthesizer[]) {
  test(`${synthesizer.engine}: 200 kB of text speaks (no E2BIG), and an abort stops it with the text unspoken`, async () => {
    const abort = new AbortController();
    let seconds = 0;
    const startedAt = performance.now();
    for await (const chunk of synthesizer.synthesize(LONG_TEXT, { sampleRate: 16000, signal: abort.signal })) {
      seconds += chunk.length / 2 / 16000;
      // A few seconds of it are enough: the rest is never made.
      if (seconds >= 2) abort.abort();
    }
    assert.ok(seconds >= 2, `${seconds} s of audio`);
    // flite makes a piece at a time (about a minute of speech each); espeak-ng streams as it speaks.
    assert.ok(synthesizer.engine !== 'flite' || seconds < (FLITE_PIECE_CHARS / 10) * 1.5, `${seconds} s made before the abort`);
    assert.ok(performance.now() - startedAt < 20_000, 'the first audio came without making the whole text');
  });
}
