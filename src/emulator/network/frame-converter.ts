/**
 * 20 ms frames from one rate to another, streaming: a socket at 8 or 24 kHz in a conversation mixed
 * at 16 kHz. The resampler's output does not fall on frame boundaries, so what is left over waits
 * for the next frame; at equal rates frames pass through untouched.
 */
import { Resampler } from '../../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../../audio/pcm.js';
import { frameSamples } from '../../protocol/audio-format.js';

export class FrameConverter {
  private readonly resampler: Resampler | undefined;
  private readonly samples: number;
  private pending = new Float32Array(0);

  constructor(from: number, to: number) {
    this.resampler = from === to ? undefined : new Resampler(from, to);
    this.samples = frameSamples(to);
  }

  /** The whole frames at the output rate that `frame` completes (usually one; none while the filter fills). */
  push(frame: Buffer): Buffer[] {
    if (!this.resampler) return [frame];
    const out = this.resampler.process(pcm16ToFloat(frame));
    const joined = new Float32Array(this.pending.length + out.length);
    joined.set(this.pending);
    joined.set(out, this.pending.length);
    const frames: Buffer[] = [];
    let offset = 0;
    for (; offset + this.samples <= joined.length; offset += this.samples) frames.push(floatToPcm16(joined.subarray(offset, offset + this.samples)));
    this.pending = joined.slice(offset);
    return frames;
  }
}
