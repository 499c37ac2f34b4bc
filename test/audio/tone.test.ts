import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DTMF_FREQUENCIES, dtmfTone, sine } from '../../src/audio/tone.js';
import { floatToPcm16 } from '../../src/audio/pcm.js';
import { pcm16RmsDbfs, peakDbfs, rmsDbfs } from '../../src/audio/levels.js';
import { toneLevel } from '../helpers/audio.js';

test('each DTMF digit carries exactly its two Q.23 frequencies', () => {
  const all = [697, 770, 852, 941, 1209, 1336, 1477, 1633];
  for (const [digit, [low, high]] of Object.entries(DTMF_FREQUENCIES)) {
    const pcm = floatToPcm16(dtmfTone(digit, 100, 8000));
    for (const frequency of all) {
      const present = frequency === low || frequency === high;
      const level = toneLevel(pcm, frequency, 8000);
      assert.ok(present ? level > 0.005 : level < 0.001, `${digit}: ${frequency} Hz ${present ? 'present' : 'absent'} (${level.toExponential(2)})`);
    }
  }
  assert.throws(() => dtmfTone('x', 100, 8000), RangeError);
});

test('levels: a full-scale sine peaks at 0 dBFS with RMS -3 dBFS; silence is -Infinity', () => {
  const tone = sine(1000, 100, 16000, 1);
  assert.ok(Math.abs(peakDbfs(tone)) < 0.01);
  assert.ok(Math.abs(rmsDbfs(tone) + 3.01) < 0.05);
  assert.equal(pcm16RmsDbfs(Buffer.alloc(640)), -Infinity);
  assert.ok(Math.abs(pcm16RmsDbfs(floatToPcm16(sine(1000, 20, 16000, 0.5))) + 9.03) < 0.1);
});
