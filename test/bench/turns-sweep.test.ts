import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VoiceActivity } from '../../src/speech/voice-activity.js';
import { atHangover } from '../../bench/turns-sweep.js';
import type { Detection } from '../../bench/turns.js';

/**
 * A line of seeded frames: the detector's say and a level that wanders, so the noise floor rises and
 * falls and some of what the detector calls speech stands under it (not voiced).
 */
function line(frames: number, seed: number): Array<{ says: boolean; level: number }> {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  let talking = false;
  return Array.from({ length: frames }, () => {
    if (next() < 0.03) talking = !talking;
    return { says: talking ? next() < 0.85 : next() < 0.1, level: (talking ? -30 : -55) + 20 * (next() - 0.5) };
  });
}

/** What a call's VoiceActivity says at `endSilenceMs` on the line itself (levels and all). */
function detected(frames: Array<{ says: boolean; level: number }>, endSilenceMs: number): Detection {
  const activity = new VoiceActivity({ endSilenceMs });
  const detection: Detection = { voiced: new Uint8Array(frames.length), starts: [], ends: [], cpuMsPerSecond: 0 };
  frames.forEach(({ says, level }, frame) => {
    const change = activity.push(says, level, frame * 20);
    detection.voiced[frame] = activity.voiced ? 1 : 0;
    if (change?.kind === 'speech-start') detection.starts.push({ frame, atMs: change.atMs });
    if (change?.kind === 'speech-end') detection.ends.push({ frame, atMs: change.atMs });
  });
  return detection;
}

test('the sweep’s replay of the verdicts at any hangover gives the starts and ends the call’s own detection gives at it', () => {
  for (const seed of [1, 2, 3]) {
    const frames = line(3000, seed);
    const at500 = detected(frames, 500);
    assert.ok(at500.starts.length > 10 && at500.ends.length > 10, `seed ${seed}: a line with utterances`);
    for (const endSilenceMs of [200, 320, 500, 540]) {
      const truth = detected(frames, endSilenceMs);
      assert.deepEqual(truth.voiced, at500.voiced, 'the verdicts do not depend on the hangover');
      const replay = atHangover(at500, endSilenceMs);
      assert.deepEqual(replay.starts, truth.starts, `seed ${seed}, ${endSilenceMs} ms: starts`);
      assert.deepEqual(replay.ends, truth.ends, `seed ${seed}, ${endSilenceMs} ms: ends`);
    }
  }
});
