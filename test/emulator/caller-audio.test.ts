import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasEspeak, synthesizeSpeech } from '../../src/emulator/caller-audio.js';
import { pcm16ToFloat } from '../../src/audio/pcm.js';
import { rmsDbfs } from '../../src/audio/levels.js';

test('speech comes from espeak-ng (installed by the test setup), converted to the call rate', async () => {
  assert.equal(await hasEspeak(), true, 'npm test installs espeak-ng');
  const { pcm, engine } = await synthesizeSpeech('Please wait while we connect you to the echo server', 16000);
  assert.equal(engine, 'espeak-ng');
  const seconds = pcm.length / 2 / 16000;
  assert.ok(seconds > 1.5 && seconds < 6, `${seconds.toFixed(2)} s of speech`);
  assert.ok(rmsDbfs(pcm16ToFloat(pcm)) > -40, 'it is not silence');
});
