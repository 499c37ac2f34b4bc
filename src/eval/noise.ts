/**
 * Noise under an eval caller's line: white, pink (Paul Kellet's economy filter over white noise) or
 * brown (a leaky integrator of white noise), seeded so a scenario sounds the same every run, scaled
 * to `snr` dB below the level of the caller's speech (its samples above a whisper, so pauses do not
 * dilute it). The same kinds the turns benchmark mixes (bench/turn-audio.ts).
 */
import type { Noise } from './scenario.js';

/** s16le samples above this are speech when measuring its level. */
const WHISPER = 64;

function speechRms(pcm: Buffer): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i + 1 < pcm.length; i += 2) {
    const v = pcm.readInt16LE(i);
    if (Math.abs(v) > WHISPER) {
      sum += v * v;
      count++;
    }
  }
  return count ? Math.sqrt(sum / count) : 0;
}

/** Unit-variance-ish noise of the kind, `length` samples. */
export function noiseSamples(kind: Noise['kind'], length: number, seed = 1): Float32Array {
  let state = seed * 2654435761 || 1;
  const white = () => {
    // xorshift32: cheap, seeded, and the same on every machine.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 4294967296 - 0.5) * 2;
  };
  const out = new Float32Array(length);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let brown = 0;
  for (let i = 0; i < length; i++) {
    const w = white();
    if (kind === 'white') out[i] = w;
    else if (kind === 'pink') {
      b0 = 0.99765 * b0 + w * 0.099046;
      b1 = 0.963 * b1 + w * 0.2965164;
      b2 = 0.57 * b2 + w * 1.0526913;
      out[i] = b0 + b1 + b2 + w * 0.1848;
    } else {
      brown = 0.98 * brown + w * 0.2;
      out[i] = brown;
    }
  }
  return out;
}

/** RMS of float samples. */
export function rms(samples: Float32Array): number {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return samples.length ? Math.sqrt(sum / samples.length) : 0;
}

/** `durationMs` of noise at `rate` as s16le, `noise.snr` dB under the speech level of `speech` (silence when there is no speech). */
export function noiseTrack(noise: Noise, speech: Buffer, rate: number, durationMs: number): Buffer {
  const samples = noiseSamples(noise.kind, Math.round((durationMs / 1000) * rate));
  const target = speechRms(speech) / 10 ** (noise.snr / 20);
  const gain = target / (rms(samples) || 1);
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i]! * gain))), i * 2);
  return out;
}
