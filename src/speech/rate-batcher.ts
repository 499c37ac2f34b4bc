/**
 * Caller audio on its way to an engine that takes another rate and larger messages than a 20 ms
 * frame (PocketSphinx's driver, OpenAI's sessions): resampled to the engine's rate where the rates
 * differ, gathered into messages of at least `messageBytes`. Pure: the engine sends what it returns.
 */
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';

export class RateBatcher {
  private readonly resampler: Resampler | undefined;
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(
    callRate: number,
    engineRate: number,
    private readonly messageBytes: number,
  ) {
    this.resampler = callRate === engineRate ? undefined : new Resampler(callRate, engineRate);
  }

  /** Adds call-rate PCM; returns a message once enough is gathered. */
  push(pcm: Buffer): Buffer | undefined {
    const out = this.resampler ? floatToPcm16(this.resampler.process(pcm16ToFloat(pcm))) : pcm;
    this.chunks.push(out);
    this.bytes += out.length;
    return this.bytes >= this.messageBytes ? this.take() : undefined;
  }

  /** The end of an utterance: what is gathered, with the resampler's tail; undefined when nothing is. */
  flush(): Buffer | undefined {
    if (this.resampler) this.chunks.push(floatToPcm16(this.resampler.flush()));
    return this.take();
  }

  /** Drops what is gathered (the engine failed). */
  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }

  private take(): Buffer | undefined {
    const message = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.clear();
    return message.length > 0 ? message : undefined;
  }
}
