import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { floatToPcm16, pcm16ToFloat } from '../../src/audio/pcm.js';
import { resample } from '../../src/audio/resampler.js';
import { UtteranceDetector, type ListenOptions } from '../../src/speech/utterance-detector.js';
import { NoiseSuppressor } from '../../src/speech/noise-suppressor.js';
import { defaultEndSilenceMs } from '../../src/speech/detector-hangover.js';
import { levelDb } from '../../src/speech/voice-activity.js';
import type { Transcriber, TranscriberEvents } from '../../src/speech/transcriber.js';
import { frames } from '../helpers/audio.js';

// CMU's recording of a man saying "go forward ten meters" (16 kHz; Debian's pocketsphinx-testdata,
// installed by the setup script): real speech, about 0.5 s of room before it.
const GO_FORWARD = '/usr/share/pocketsphinx/test/data/goforward.raw';

/** Seeded white noise at `rms` (of 32768) under `pcm`. */
function withNoise(pcm: Buffer, rms: number, seed = 7): Buffer {
  const out = Buffer.alloc(pcm.length);
  let state = seed;
  const amplitude = rms * Math.sqrt(3);
  for (let i = 0; i + 1 < pcm.length; i += 2) {
    state = (state * 1103515245 + 12345) >>> 0;
    const value = pcm.readInt16LE(i) + Math.round((state / 2 ** 32 - 0.5) * 2 * amplitude);
    out.writeInt16LE(Math.max(-32768, Math.min(32767, value)), i);
  }
  return out;
}

/** A line at `rate`: 1 s of quiet, the recording, 1.5 s of quiet, under a quiet line's hiss. */
function line(rate: number): Buffer {
  const speech = floatToPcm16(resample(pcm16ToFloat(readFileSync(GO_FORWARD)), 16000, rate));
  return withNoise(Buffer.concat([Buffer.alloc(rate * 2), speech, Buffer.alloc(rate * 3)]), 10);
}

/** Writes down the order in which an engine hears the stream. */
class Spy extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'spy';
  readonly heard: string[] = [];
  ready = () => Promise.resolve();
  speechStart = (atMs: number) => void this.heard.push(`start ${atMs}`);
  audio = (_frame: Buffer, atMs: number) => void this.heard.push(`frame ${atMs}`);
  speechEnd = (atMs: number) => void this.heard.push(`end ${atMs}`);
  close = () => Promise.resolve();
}

async function detect(rate: number, options: ListenOptions, pcm = line(rate)) {
  const detector = await UtteranceDetector.create(rate, options);
  const spy = new Spy();
  const changes: string[] = [];
  try {
    for (const [i, frame] of frames(pcm, rate / 25).entries()) {
      const change = await detector.push(frame, i * 20, [spy]);
      if (change) changes.push(`${change.kind} ${change.atMs}`);
    }
    const last = await detector.finish([spy]);
    if (last) changes.push(`${last.kind} ${last.atMs} (stream end)`);
  } finally {
    detector.close();
  }
  return { changes, spy };
}

for (const rate of [8000, 16000, 24000]) {
  test(`silero finds the one utterance of recorded speech at ${rate / 1000} kHz, where it is`, async () => {
    const { changes, spy } = await detect(rate, { vad: 'silero' });
    assert.equal(changes.length, 2, changes.join(', '));
    const [start, end] = changes.map((c) => Number(c.split(' ')[1]));
    // The recording starts at 1000 ms with ~0.5 s of room before "go"; it lasts ~2.6 s.
    assert.ok(start! >= 1300 && start! <= 1800, `start ${start}`);
    assert.ok(end! >= 3000 && end! <= 3700, `end ${end}`);
    // An asynchronous verdict still hands every frame over once, in order.
    const frameTimes = spy.heard.filter((h) => h.startsWith('frame')).map((h) => Number(h.split(' ')[1]));
    assert.deepEqual(
      frameTimes,
      frameTimes.map((_, i) => i * 20),
    );
    assert.ok(spy.heard.indexOf(`start ${start}`) < spy.heard.indexOf(`frame ${start! + 60}`));
  });
}

test('silero hears no speech in hiss that WebRTC takes for speech', async () => {
  const rate = 16000;
  // Loud hiss (about -20 dBFS) after a quiet second: WebRTC's noise model has not adapted to it yet.
  const hiss = Buffer.concat([withNoise(Buffer.alloc(rate * 2), 10), withNoise(Buffer.alloc(rate * 4), 3000, 11)]);
  const webrtc = await detect(rate, { vad: 'webrtc' }, hiss);
  assert.ok(webrtc.changes.includes('speech-start 1000'), webrtc.changes.join(', '));
  const silero = await detect(rate, { vad: 'silero' }, hiss);
  assert.deepEqual(silero.changes, []);
});

test('with suppression, the detector and the engine hear the cleaned stream, frame for frame', async () => {
  const rate = 16000;
  const noisy = withNoise(line(rate), 600);
  const { changes, spy } = await detect(rate, { vad: 'silero', suppressNoise: true }, noisy);
  assert.equal(changes.length, 2, changes.join(', '));
  assert.equal(spy.heard.filter((h) => h.startsWith('frame')).length, frames(noisy, rate / 25).length);
});

test('RNNoise lowers hiss by over 10 dB once it has heard it, keeps speech within 6 dB, every frame its own length', async () => {
  for (const rate of [8000, 16000, 24000]) {
    const suppressor = await NoiseSuppressor.create(rate);
    // RNNoise learns the noise over its first second or so: 3 s of hiss (about -30 dBFS) come first.
    const noisy = withNoise(Buffer.concat([Buffer.alloc(rate * 4), line(rate)]), 1000);
    const out: Buffer[] = [];
    try {
      for (const frame of frames(noisy, rate / 25)) {
        const cleaned = suppressor.process(frame);
        assert.equal(cleaned.length, frame.length);
        out.push(cleaned);
      }
    } finally {
      suppressor.close();
    }
    assert.equal(suppressor.shortFrames, 0, 'the priming covers every frame');
    const lag = suppressor.latencyMs / 20;
    const level = (list: Buffer[], from: number, to: number) => levelDb(Buffer.concat(list.slice(from, to)));
    const before = frames(noisy, rate / 25);
    // Hiss alone: 1.5–2.9 s; speech: 3.6–5.4 s; the cleaned stream is `lag` frames later.
    const hissDrop = level(before, 75, 145) - level(out, 75 + lag, 145 + lag);
    const speechDrop = level(before, 185, 265) - level(out, 185 + lag, 265 + lag);
    assert.ok(hissDrop > 10, `${rate}: hiss lowered by ${hissDrop.toFixed(1)} dB`);
    assert.ok(Math.abs(speechDrop) < 6, `${rate}: speech changed by ${speechDrop.toFixed(1)} dB`);
  }
});

test('each configuration ends speech after its own hangover (500 ms; 320 with RNNoise in front); an app’s endSilenceMs wins', async () => {
  const rate = 16000;
  const pcm = withNoise(line(rate), 300);
  /** The silence between the end of the last voiced frame and the frame at which the end was said. */
  const hangovers = async (options: ListenOptions) => {
    const detector = await UtteranceDetector.create(rate, options);
    const seen: number[] = [];
    try {
      for (const [i, frame] of frames(pcm, rate / 25).entries()) {
        const change = await detector.push(frame, i * 20, []);
        if (change?.kind === 'speech-end') seen.push(i * 20 + 20 - change.atMs);
      }
    } finally {
      detector.close();
    }
    assert.ok(seen.length > 0, `no speech end with ${JSON.stringify(options)}`);
    return [...new Set(seen)];
  };
  // The table's values, chosen on the turns bench's tuning split (docs/turn-taking.md).
  assert.equal(defaultEndSilenceMs('webrtc', false), 500);
  assert.equal(defaultEndSilenceMs('silero', false), 500);
  assert.equal(defaultEndSilenceMs('webrtc', true), 320);
  assert.equal(defaultEndSilenceMs('silero', true), 320);
  assert.deepEqual(await hangovers({}), [500]);
  assert.deepEqual(await hangovers({ vad: 'silero' }), [500]);
  assert.deepEqual(await hangovers({ suppressNoise: true }), [320]);
  assert.deepEqual(await hangovers({ vad: 'silero', suppressNoise: true }), [320]);
  assert.deepEqual(await hangovers({ suppressNoise: true, endSilenceMs: 600 }), [600]);
});
