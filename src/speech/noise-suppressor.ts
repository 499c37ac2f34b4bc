/**
 * Noise suppression in front of the detector and the transcribers: RNNoise (Xiph; BSD-3-Clause), a
 * recurrent network that estimates a gain per frequency band, compiled to WebAssembly by the Echogarden
 * project (`@echogarden/rnnoise-wasm`, 126 KB, the same project's build as our WebRTC detector).
 * RNNoise takes 10 ms frames at 48 kHz, so the call's frames are resampled up to it and back down.
 * The cleaned stream is the call's, delayed by a fixed `latencyMs` (the resamplers' filters and
 * RNNoise's frame): the first frames out are that much silence, then every frame keeps its length.
 * Loaded once per process; each call gets its own state (~30 KB of WebAssembly memory).
 */
import loadRnnoise, { type RnnoiseModule } from '@echogarden/rnnoise-wasm';
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';

const RNNOISE_RATE = 48000;
/** RNNoise works on 16-bit-scaled floats. */
const SCALE = 32768;

/** A queue of samples: appended at the end, taken from the front. */
class SampleQueue {
  private data = new Float32Array(4096);
  length = 0;

  push(samples: Float32Array): void {
    if (this.length + samples.length > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, this.length + samples.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(samples, this.length);
    this.length += samples.length;
  }

  take(count: number): Float32Array {
    const out = this.data.slice(0, count);
    this.data.copyWithin(0, count, this.length);
    this.length -= count;
    return out;
  }
}

let loading: Promise<RnnoiseModule> | undefined;

export class NoiseSuppressor {
  /** How far the cleaned stream lags the call's, ms. */
  readonly latencyMs: number;
  private readonly up: Resampler;
  private readonly down: Resampler;
  private readonly at48k = new SampleQueue();
  private readonly out = new SampleQueue();
  private readonly frame: number;
  private readonly input: number;
  private readonly output: number;
  private closed = false;
  /** Frames that found fewer cleaned samples than they hold (none after the priming, by design). */
  shortFrames = 0;

  private constructor(
    private readonly rnnoise: RnnoiseModule,
    private readonly state: number,
    readonly sampleRate: number,
  ) {
    this.frame = rnnoise._rnnoise_get_frame_size();
    this.input = rnnoise._malloc(this.frame * 4);
    this.output = rnnoise._malloc(this.frame * 4);
    this.up = new Resampler(sampleRate, RNNOISE_RATE);
    this.down = new Resampler(RNNOISE_RATE, sampleRate);
    // Enough silence ahead that a 20 ms frame always finds its cleaned samples: RNNoise's frame plus
    // what each resampler holds back for its filter (measured in the tests), rounded up to 10 ms.
    const heldMs = (this.frame / RNNOISE_RATE) * 1000 + 10;
    this.latencyMs = Math.ceil(heldMs / 10) * 10;
    this.out.push(new Float32Array((sampleRate * this.latencyMs) / 1000));
  }

  static async create(sampleRate: number): Promise<NoiseSuppressor> {
    loading ??= loadRnnoise();
    const rnnoise = await loading;
    const state = rnnoise._rnnoise_create(0);
    if (state === 0) throw new Error('rnnoise_create failed');
    return new NoiseSuppressor(rnnoise, state, sampleRate);
  }

  /** The cleaned frame (s16le, the same length), `latencyMs` behind the one given. */
  process(frame: Buffer): Buffer {
    if (this.closed) return frame;
    this.at48k.push(this.up.process(pcm16ToFloat(frame)));
    while (this.at48k.length >= this.frame) {
      const chunk = this.at48k.take(this.frame);
      for (let i = 0; i < chunk.length; i++) chunk[i]! *= SCALE;
      // HEAPF32 is read again after each call: memory growth would replace the view.
      this.rnnoise.HEAPF32.set(chunk, this.input >> 2);
      this.rnnoise._rnnoise_process_frame(this.state, this.output, this.input);
      const cleaned = this.rnnoise.HEAPF32.slice(this.output >> 2, (this.output >> 2) + this.frame);
      for (let i = 0; i < cleaned.length; i++) cleaned[i]! /= SCALE;
      this.out.push(this.down.process(cleaned));
    }
    const samples = frame.length >> 1;
    // Never short after the priming; if it were, the frame is padded rather than shortened.
    const taken = this.out.take(Math.min(samples, this.out.length));
    if (taken.length === samples) return floatToPcm16(taken);
    this.shortFrames++;
    const padded = new Float32Array(samples);
    padded.set(taken, samples - taken.length);
    return floatToPcm16(padded);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rnnoise._free(this.input);
    this.rnnoise._free(this.output);
    this.rnnoise._rnnoise_destroy(this.state);
  }
}
