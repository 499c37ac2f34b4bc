import { pcm16ToFloat } from '../../src/audio/pcm.js';
import { frameBytes } from '../../src/protocol/audio-format.js';
import { levelDb } from '../../src/speech/voice-activity.js';

/** Energy of `frequency` in a stretch of s16le PCM (Goertzel), normalised to mean square. */
export function toneLevel(pcm: Buffer, frequency: number, rate: number): number {
  const samples = pcm16ToFloat(pcm);
  if (samples.length === 0) return 0;
  const k = (2 * Math.PI * frequency) / rate;
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + 2 * Math.cos(k) * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - 2 * Math.cos(k) * s1 * s2;
  return (2 * power) / (samples.length * samples.length);
}

/** The 20 ms frames of a PCM buffer. */
export function frames(pcm: Buffer, frameBytes: number): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset + frameBytes <= pcm.length; offset += frameBytes) out.push(pcm.subarray(offset, offset + frameBytes));
  return out;
}

/** Indexes of the 20 ms frames with any sound in them (RMS above -50 dBFS): where a reply starts and stops. */
export function soundFrames(pcm: Buffer, rate: number): number[] {
  return frames(pcm, frameBytes(rate))
    .map((frame, index) => (levelDb(frame) > -50 ? index : -1))
    .filter((index) => index >= 0);
}
