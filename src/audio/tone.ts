/**
 * Test and prompt signals: sine tones, DTMF digits (ITU-T Q.23 frequency pairs), silence.
 */
export const DTMF_FREQUENCIES: Record<string, [number, number]> = {
  '1': [697, 1209],
  '2': [697, 1336],
  '3': [697, 1477],
  A: [697, 1633],
  '4': [770, 1209],
  '5': [770, 1336],
  '6': [770, 1477],
  B: [770, 1633],
  '7': [852, 1209],
  '8': [852, 1336],
  '9': [852, 1477],
  C: [852, 1633],
  '*': [941, 1209],
  '0': [941, 1336],
  '#': [941, 1477],
  D: [941, 1633],
};

/** A sine of `frequency` Hz; `amplitude` is linear full scale (0.5 ≈ -6 dBFS). `phase` lets tones continue across chunks. */
export function sine(frequency: number, durationMs: number, rate: number, amplitude = 0.5, startSample = 0): Float32Array {
  const length = Math.round((durationMs / 1000) * rate);
  const samples = new Float32Array(length);
  const step = (2 * Math.PI * frequency) / rate;
  for (let i = 0; i < length; i++) samples[i] = amplitude * Math.sin(step * (i + startSample));
  return samples;
}

export function dtmfTone(digit: string, durationMs: number, rate: number, amplitude = 0.4): Float32Array {
  const pair = DTMF_FREQUENCIES[digit.toUpperCase()];
  if (!pair) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  const low = sine(pair[0], durationMs, rate, amplitude / 2);
  const high = sine(pair[1], durationMs, rate, amplitude / 2);
  for (let i = 0; i < low.length; i++) low[i]! += high[i]!;
  return low;
}
