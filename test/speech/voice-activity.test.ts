import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VoiceActivity, levelDb } from '../../src/speech/voice-activity.js';
import { createWebRtcVad } from '../../src/speech/webrtc-vad.js';
import { synthesizeSpeech } from '../../src/emulator/caller-audio.js';
import { frames } from '../helpers/audio.js';

/** Feeds (detector, level) pairs one 20 ms frame apart; returns the changes with their frame index. */
function run(activity: VoiceActivity, input: Array<[boolean, number]>) {
  return input.flatMap(([speech, level], i) => {
    const change = activity.push(speech, level, i * 20);
    return change ? [{ ...change, frame: i }] : [];
  });
}

test('onset needs three voiced frames of four; a click is not speech; the end waits for the silence', () => {
  const quiet: Array<[boolean, number]> = Array.from({ length: 50 }, () => [false, -70]);
  const click: Array<[boolean, number]> = [[true, -20]];
  const word: Array<[boolean, number]> = Array.from({ length: 20 }, () => [true, -20]);
  const pause: Array<[boolean, number]> = Array.from({ length: 10 }, () => [false, -70]);
  const changes = run(new VoiceActivity({ endSilenceMs: 500 }), [...quiet, ...click, ...quiet.slice(0, 5), ...word, ...pause, ...word, ...quiet]);
  assert.deepEqual(
    changes.map((c) => [c.kind, c.atMs]),
    [
      // 50 + 1 + 5 frames in: the word starts at frame 56 (1120 ms), found at its third frame.
      ['speech-start', 1120],
      // A 200 ms pause inside the utterance is not its end; the end is the last voiced frame's end.
      ['speech-end', (56 + 20 + 10 + 20) * 20],
    ],
  );
  assert.equal(changes[0]!.frame, 58);
  assert.equal(changes[1]!.frame, 56 + 20 + 10 + 20 + 25 - 1);
});

test('the noise floor adapts: steady noise the detector mistakes for speech ends the utterance, speech above it starts one', () => {
  const activity = new VoiceActivity({ endSilenceMs: 500 });
  // A line that turns noisy at -35 dBFS, which the detector (wrongly) calls speech throughout.
  const noise: Array<[boolean, number]> = Array.from({ length: 1500 }, () => [true, -35]);
  const speech: Array<[boolean, number]> = Array.from({ length: 30 }, () => [true, -15]);
  const changes = run(activity, [...Array.from({ length: 50 }, (): [boolean, number] => [false, -70]), ...noise, ...speech, ...noise.slice(0, 100)]);
  const kinds = changes.map((c) => c.kind);
  assert.equal(kinds[0], 'speech-start', 'the noise onset reads as speech at first');
  assert.equal(kinds[1], 'speech-end', 'and stops reading as speech once the floor has risen to it');
  assert.ok(changes[1]!.atMs < (50 + 700) * 20, `the floor caught up within 14 s of noise (ended at ${changes[1]!.atMs} ms)`);
  assert.equal(activity.speaking, false);
  const later = changes.slice(2);
  assert.equal(later[0]?.kind, 'speech-start', 'speech 20 dB above the noise is heard');
  assert.equal(later[0]?.atMs, (50 + 1500) * 20);
});

test('WebRTC VAD on espeak-ng speech in noise: speech-start within 100 ms of the voice, speech-end after it', async () => {
  const { pcm } = await synthesizeSpeech('I would like to talk to support please', 16000);
  const silence = Buffer.alloc(16000); // 0.5 s
  const line = Buffer.concat([silence, pcm, silence, silence]);
  // Noise 25 dB under the speech, deterministic.
  let seed = 7;
  for (let i = 0; i < line.length; i += 2) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const value = line.readInt16LE(i) + Math.round((seed / 0x7fffffff - 0.5) * 300);
    line.writeInt16LE(Math.max(-32768, Math.min(32767, value)), i);
  }
  const vad = await createWebRtcVad(16000);
  const activity = new VoiceActivity();
  const changes: Array<{ kind: string; atMs: number }> = [];
  frames(line, 640).forEach((frame, i) => {
    const change = activity.push(vad.isSpeech(frame), levelDb(frame), i * 20);
    if (change) changes.push(change);
  });
  vad.close();
  // Where the voice really is: the first and last samples of espeak-ng's output above 1 % of full scale.
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
  const first = samples.findIndex((v) => Math.abs(v) > 328);
  const last = samples.length - 1 - [...samples].reverse().findIndex((v) => Math.abs(v) > 328);
  const voiceStart = 500 + (first / 16000) * 1000;
  const voiceEnd = 500 + (last / 16000) * 1000;
  assert.equal(changes.at(0)?.kind, 'speech-start');
  assert.ok(Math.abs(changes[0]!.atMs - voiceStart) <= 100, `start ${changes[0]!.atMs} ms, voice at ${voiceStart.toFixed(0)} ms`);
  const end = changes.findLast((c) => c.kind === 'speech-end');
  assert.ok(end && Math.abs(end.atMs - voiceEnd) <= 150, `end ${end?.atMs} ms, voice until ${voiceEnd.toFixed(0)} ms`);
  // Pauses between words may split it, but never into more than the sentence's words.
  assert.ok(changes.length <= 2 * 8, `${changes.length} changes`);
});
