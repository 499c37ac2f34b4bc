/**
 * The apps' speech barge-in without words: the minimum speech length (docs/turn-taking.md). The
 * `play` app's prompt plays on a loop with `--barge-in speech`; an emulated caller who coughs (240 ms
 * of noise falling away) does not stop it, one who says a sentence does, half a second in. Before the
 * policy was wired, the cough's speech start cleared the prompt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playPrompt } from '../../src/apps/index.js';
import { sine } from '../../src/audio/tone.js';
import { synthesizeSpeech } from '../../src/emulator/caller-audio.js';
import { placeCall } from '../../src/emulator/call.js';
import { startTestServer } from '../helpers/server.js';

const RATE = 16000;

/** A caller track at 16 kHz: `speech` (espeak-ng) at `speechAtMs`, or a cough at `coughAtMs`. */
async function callerTrack(totalMs: number, cue: { coughAtMs?: number; speech?: string; speechAtMs?: number }): Promise<Buffer> {
  const track = Buffer.alloc(Math.round((totalMs / 1000) * RATE) * 2);
  if (cue.speech !== undefined) (await synthesizeSpeech(cue.speech, RATE)).pcm.copy(track, Math.round(((cue.speechAtMs ?? 0) / 1000) * RATE) * 2);
  if (cue.coughAtMs !== undefined) {
    let seed = 7;
    const start = Math.round((cue.coughAtMs / 1000) * RATE);
    for (let i = 0; i < 0.24 * RATE; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      track.writeInt16LE(Math.round((seed / 0x7fffffff - 0.5) * 32000 * Math.exp(-i / (0.08 * RATE))), (start + i) * 2);
    }
  }
  return track;
}

test('barge-in app: a cough does not stop the prompt; a sentence does', async (t) => {
  const prompt = { sampleRate: RATE, channels: [sine(440, 3000, RATE, 0.3)] };
  const server = await startTestServer({ app: playPrompt(prompt, true, 'speech'), config: { sampleRate: RATE } });
  t.after(() => server.close());
  const call = async (pcm: Buffer) =>
    placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 4500, talk: 'skip', audio: { kind: 'pcm', pcm } });
  const [coughing, speaking] = await Promise.all([
    call(await callerTrack(4500, { coughAtMs: 1500 })),
    call(await callerTrack(4500, { speech: 'I would like to speak to someone about my bill', speechAtMs: 1500 })),
  ]);
  for (const result of [coughing, speaking]) assert.equal(result.accepted, true, result.problems.join('; '));
  const clears = (result: typeof coughing) => result.timeline.filter((entry) => entry.text.startsWith('clear')).map((entry) => entry.atMs);
  assert.deepEqual(clears(coughing), [], 'the cough did not clear the prompt');
  const [clearMs, ...more] = clears(speaking);
  assert.ok(clearMs !== undefined && more.length === 0, `the sentence cleared it once: ${JSON.stringify(clears(speaking))}`);
  // Half a second of voiced speech after 1.5 s, and the clear's round trip (bounded generously: a busy machine delays it, never advances it).
  assert.ok(clearMs >= 1500 + 400 && clearMs < 1500 + 2000, `cleared at ${clearMs} ms`);
});
