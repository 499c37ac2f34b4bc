/**
 * Signal levels in dBFS (0 dBFS = full-scale sine peak; silence is -Infinity).
 */
export function rmsDbfs(samples: Float32Array): number {
  if (samples.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return 20 * Math.log10(Math.sqrt(sum / samples.length));
}

export function peakDbfs(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]!));
  return 20 * Math.log10(peak);
}

/** RMS level of s16le PCM without converting it (cheap enough for per-frame meters). */
export function pcm16RmsDbfs(pcm: Buffer): number {
  const count = pcm.length >> 1;
  if (count === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const sample = pcm.readInt16LE(i * 2) / 32768;
    sum += sample * sample;
  }
  return 20 * Math.log10(Math.sqrt(sum / count));
}
