/**
 * A streaming polyphase windowed-sinc resampler (Kaiser window) for any pair of integer rates.
 * The rate ratio is reduced to L/M; output sample n sits at input position n·M/L, so only L filter
 * phases exist and are precomputed. The cutoff sits below the lower Nyquist frequency, which is the
 * anti-aliasing a downsample from 44.1/48 kHz to 8/16 kHz needs.
 *
 * Written here rather than taken from a package: the well-kept native resamplers (libsamplerate,
 * speexdsp bindings) need a compiler at install and do not run in the browser softphone, and the
 * pure-JS ones on npm are linear or unmaintained. ~150 lines, quality measured in the tests.
 */

/**
 * Zero crossings of the sinc on each side: sets the transition width and the cost
 * (taps ≈ 2·ZEROS·max(1, in/out)). 32 puts the transition between 0.82 and 0.98 of the lower
 * Nyquist, so speech up to 0.8 of it passes at > 60 dB SNR (16 left it in the transition band: 46 dB).
 */
const ZEROS = 32;
/** Kaiser β: ~80 dB stopband attenuation, well below 16-bit quantisation noise of speech. */
const KAISER_BETA = 8;
/** Cutoff (-6 dB point) as a fraction of the lower Nyquist; the transition band is centred on it. */
const ROLLOFF = 0.9;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (for the Kaiser window). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

export class Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  private readonly up: number;
  private readonly down: number;
  /** Input samples either side of the output position that the filter reads. */
  private readonly half: number;
  /** phases[p][k]: weight of input sample (base - half + 1 + k) for phase p. */
  private readonly phases: Float32Array[];
  private history: Float32Array = new Float32Array(0);
  /** Absolute index of history[0] in the input stream. */
  private historyStart = 0;
  private inputSeen = 0;
  private nextOutput = 0;

  constructor(inputRate: number, outputRate: number) {
    if (!Number.isInteger(inputRate) || !Number.isInteger(outputRate) || inputRate <= 0 || outputRate <= 0) {
      throw new RangeError(`rates must be positive integers, got ${inputRate} → ${outputRate}`);
    }
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    const divisor = gcd(inputRate, outputRate);
    this.up = outputRate / divisor;
    this.down = inputRate / divisor;
    // Cutoff in cycles per input sample.
    const cutoff = 0.5 * Math.min(1, outputRate / inputRate) * ROLLOFF;
    const halfWidth = ZEROS / (2 * cutoff);
    this.half = Math.ceil(halfWidth);
    const taps = 2 * this.half;
    const norm = besselI0(KAISER_BETA);
    this.phases = [];
    for (let phase = 0; phase < this.up; phase++) {
      const fraction = phase / this.up;
      const weights = new Float32Array(taps);
      let sum = 0;
      for (let k = 0; k < taps; k++) {
        const x = k - this.half + 1 - fraction; // distance from the output position, in input samples
        const sinc = x === 0 ? 1 : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x) / (2 * cutoff);
        const ratio = x / halfWidth;
        const window = Math.abs(ratio) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio)) / norm;
        weights[k] = sinc * window;
        sum += weights[k]!;
      }
      // Unity gain at DC for every phase: no ripple from phase to phase.
      for (let k = 0; k < taps; k++) weights[k]! /= sum;
      this.phases.push(weights);
    }
  }

  /** Resamples the next chunk of the stream; returns what can be produced so far. */
  process(input: Float32Array): Float32Array {
    if (this.up === this.down) return input.slice();
    const merged = new Float32Array(this.history.length + input.length);
    merged.set(this.history);
    merged.set(input, this.history.length);
    this.history = merged;
    this.inputSeen += input.length;
    return this.produce(this.inputSeen);
  }

  /** Ends the stream: pads with silence so the last input samples reach the output. */
  flush(): Float32Array {
    if (this.up === this.down) return new Float32Array(0);
    const end = this.inputSeen;
    const merged = new Float32Array(this.history.length + this.half);
    merged.set(this.history);
    this.history = merged;
    const lastOutput = Math.ceil((end * this.up) / this.down);
    return this.produce(end + this.half, lastOutput);
  }

  private produce(available: number, limit = Infinity): Float32Array {
    const out: number[] = [];
    const taps = 2 * this.half;
    for (;;) {
      const n = this.nextOutput;
      if (n >= limit) break;
      const position = n * this.down;
      const base = Math.floor(position / this.up);
      if (base + this.half >= available) break;
      const weights = this.phases[position % this.up]!;
      const first = base - this.half + 1 - this.historyStart;
      let acc = 0;
      for (let k = 0; k < taps; k++) {
        const index = first + k;
        if (index >= 0 && index < this.history.length) acc += this.history[index]! * weights[k]!;
      }
      out.push(acc);
      this.nextOutput++;
    }
    // Keep only what the next output still needs.
    const needFrom = Math.floor((this.nextOutput * this.down) / this.up) - this.half + 1;
    const drop = Math.max(0, Math.min(this.history.length, needFrom - this.historyStart));
    if (drop > 0) {
      this.history = this.history.slice(drop);
      this.historyStart += drop;
    }
    return Float32Array.from(out);
  }
}

/** Resamples a whole signal in one go. */
export function resample(samples: Float32Array, inputRate: number, outputRate: number): Float32Array {
  if (inputRate === outputRate) return samples;
  const resampler = new Resampler(inputRate, outputRate);
  const head = resampler.process(samples);
  const tail = resampler.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
