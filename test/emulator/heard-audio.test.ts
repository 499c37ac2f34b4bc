/**
 * What the emulated caller heard, with phrases: a phrase only where it spans the stretch of speech it
 * was heard in. The phrases below are as PocketSphinx's menu mode gave them in real runs (a voice
 * menu's prompt forced onto a phrase, an agent's espeak-ng messages); the whole path runs in
 * test/cli/load-command.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spanningSpeech, speechIn } from '../../src/emulator/heard-audio.js';
import { fliteSynthesizer } from '../../src/speech/flite.js';

test("a menu's prompt is not the phrase the grammar forced onto part of it; the routing after it is", () => {
  // "Say sales, support or operator, or press 1, 2 or 3": speech from 0.72 to 5.02 s; the grammar put
  // "connecting you to support please" on its first two seconds. Then the real "Connecting you to support."
  const speech = [
    { startMs: 720, endMs: 5020 },
    { startMs: 6340, endMs: 7880 },
  ];
  const phrases = [
    { text: 'connecting you to support please', startMs: 740, endMs: 2750 },
    { text: 'connecting you to support', startMs: 6310, endMs: 7870 },
  ];
  assert.deepEqual(spanningSpeech(phrases, speech), [phrases[1]]);
});

test('a phrase where the detector found no speech is not claimed; one that spans its speech is', () => {
  const speech = [{ startMs: 1200, endMs: 3420 }];
  assert.deepEqual(spanningSpeech([{ text: 'goodbye', startMs: 9000, endMs: 9500 }], speech), []);
  const whole = { text: 'hello how can i help you today', startMs: 1190, endMs: 3400 };
  assert.deepEqual(spanningSpeech([whole], speech), [whole]);
});

test('a sentence said in one breath with the next is heard: a phrase may span a run of whole stretches', () => {
  // espeak-ng's "Sorry, something went wrong. Could you say that again?": two stretches at the
  // sentence pause; the grammar heard the first sentence. And "Hello! How can I help you today?".
  const speech = [
    { startMs: 4920, endMs: 6480 },
    { startMs: 6800, endMs: 7960 },
    { startMs: 1200, endMs: 1640 },
    { startMs: 2000, endMs: 3420 },
  ];
  const apology = { text: 'sorry something went wrong', startMs: 4930, endMs: 6410 };
  const greeting = { text: 'hello how can i help you today', startMs: 1190, endMs: 3400 };
  assert.deepEqual(spanningSpeech([apology, greeting], [speech[2]!, speech[3]!, speech[0]!, speech[1]!]), [apology, greeting]);
});

/** flite's speech of `text`, as the server says it (its default voice). */
async function flite(text: string, sampleRate: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of fliteSynthesizer.synthesize(text, { sampleRate })) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test("the stretches of speech come from the voice detector alone, cut at a sentence's pause, not at the menu's commas", async () => {
  const rate = 16000;
  const silence = (ms: number) => Buffer.alloc((rate / 1000) * ms * 2);
  // The voice menu's prompt and the agents' apology, in the server's voice.
  const [prompt, apology] = await Promise.all([
    flite('Say sales, support or operator, or press 1, 2 or 3.', rate),
    flite('Sorry, the assistant is not available right now. Please call again later. Goodbye.', rate),
  ]);
  const pcm = Buffer.concat([silence(1000), prompt, silence(1500), apology, silence(500)]);
  const stretches = await speechIn({ pcm, sampleRate: rate });
  const promptEndMs = 1000 + (prompt.length / 2 / rate) * 1000;
  const inPrompt = stretches.filter((stretch) => stretch.endMs <= promptEndMs);
  assert.equal(inPrompt.length, 1, `the prompt is one stretch: ${JSON.stringify(stretches)}`);
  // "Sorry," | "the assistant is not available right now." | "Please call again later." | "Goodbye."
  assert.ok(stretches.length - inPrompt.length >= 3, `the apology's sentences apart: ${JSON.stringify(stretches)}`);
});
