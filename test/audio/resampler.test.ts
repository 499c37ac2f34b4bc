import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Resampler, resample } from '../../src/audio/resampler.js';
import { sine } from '../../src/audio/tone.js';

/**
 * Thresholds and why:
 * - 60 dB SNR for in-band sines: a phone line (G.711, ~38 dB) cannot reveal anything past that, and
 *   linear interpolation, the usual shortcut, scores 20–40 dB at the top of the band and fails.
 * - 60 dB alias rejection: a 48 kHz device's energy above the call's Nyquist must not fold back
 *   audibly; the Kaiser design gives ~80 dB.
 */
const MIN_SNR_DB = 60;
const MIN_ALIAS_REJECTION_DB = 60;
const EDGE = 400; // samples at each end where the filter has no history

function snrDb(actual: Float32Array, ideal: Float32Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = EDGE; i < Math.min(actual.length, ideal.length) - EDGE; i++) {
    signal += ideal[i]! ** 2;
    noise += (actual[i]! - ideal[i]!) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

const pairs: Array<[number, number]> = [
  [48000, 16000],
  [44100, 16000],
  [44100, 8000],
  [48000, 24000],
  [8000, 16000],
  [16000, 24000],
  [22050, 16000],
  [16000, 8000],
  [24000, 48000],
];

for (const [from, to] of pairs) {
  test(`${from} → ${to} Hz: in-band sines ≥ ${MIN_SNR_DB} dB SNR`, () => {
    const nyquist = Math.min(from, to) / 2;
    for (const fraction of [0.05, 0.3, 0.6, 0.8]) {
      const frequency = Math.round(nyquist * fraction);
      const out = resample(sine(frequency, 500, from), from, to);
      const ideal = sine(frequency, 500, to);
      assert.equal(out.length, ideal.length, 'length follows the rate ratio');
      const snr = snrDb(out, ideal);
      assert.ok(snr >= MIN_SNR_DB, `${frequency} Hz: ${snr.toFixed(1)} dB`);
    }
  });
}

test(`downsampling rejects energy above the new Nyquist by ≥ ${MIN_ALIAS_REJECTION_DB} dB`, () => {
  for (const [from, to, frequency] of [
    [48000, 8000, 6000],
    [44100, 16000, 11000],
    [48000, 16000, 9000],
  ] as const) {
    const input = sine(frequency, 500, from, 0.5);
    const out = resample(input, from, to);
    let power = 0;
    for (let i = EDGE; i < out.length - EDGE; i++) power += out[i]! ** 2;
    const rejection = -10 * Math.log10(power / (out.length - 2 * EDGE) / 0.125);
    assert.ok(rejection >= MIN_ALIAS_REJECTION_DB, `${frequency} Hz into ${to}: ${rejection.toFixed(1)} dB`);
  }
});

test('a telephone-band sweep survives 44.1 kHz → 8 kHz', () => {
  const sweep = (rate: number) => {
    const seconds = 1;
    const out = new Float32Array(rate * seconds);
    // Exponential sweep 200 Hz → 3 kHz; phase computed analytically so both rates are the same signal.
    const f0 = 200;
    const f1 = 3000;
    const k = Math.log(f1 / f0) / seconds;
    for (let i = 0; i < out.length; i++) out[i] = 0.5 * Math.sin(((2 * Math.PI * f0) / k) * (Math.exp((k * i) / rate) - 1));
    return out;
  };
  const snr = snrDb(resample(sweep(44100), 44100, 8000), sweep(8000));
  assert.ok(snr >= MIN_SNR_DB - 10, `sweep ${snr.toFixed(1)} dB`);
});

test('property: streaming in any chunking equals resampling in one go', () => {
  const signal = sine(700, 200, 44100);
  const whole = resample(signal, 44100, 16000);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 20 }), (sizes) => {
      const resampler = new Resampler(44100, 16000);
      const parts: number[] = [];
      let offset = 0;
      let index = 0;
      while (offset < signal.length) {
        const size = sizes[index++ % sizes.length]!;
        parts.push(...resampler.process(signal.subarray(offset, offset + size)));
        offset += size;
      }
      parts.push(...resampler.flush());
      assert.equal(parts.length, whole.length);
      for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(parts[i]! - whole[i]!) < 1e-6);
    }),
    { numRuns: 40 },
  );
});
