/**
 * What the HTTP-streamed text-to-speech engines share (ElevenLabs, OpenAI): a response body of raw
 * PCM16 mono at the engine's rate becomes s16le at the call's rate, yielded as it arrives (resampled
 * only when the two rates differ), an odd byte carried to the next chunk, and a body that stops
 * sending for `stallMs` ends as this call's timeout, not a call waiting forever. The body is read
 * only as the consumer pulls (the call's pacer, when it has room): TCP holds the rest back, so an
 * engine that streams without end costs a few seconds of audio, not its whole output; the stall
 * timer runs only while a read is waiting, never while the pacer is.
 */
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';
import { SpeechEngineError } from './speech-events.js';
import { within } from '../within.js';

export async function* pcmAtCallRate(
  body: AsyncIterable<Uint8Array>,
  engine: string,
  fromRate: number,
  toRate: number,
  stallMs: number,
  /** Ends the request (its connection): a read still waiting on a stalled body is released by it. */
  stop: () => void,
): AsyncGenerator<Buffer> {
  const resampler = fromRate === toRate ? undefined : new Resampler(fromRate, toRate);
  const chunks = body[Symbol.asyncIterator]();
  let carry: Buffer | undefined;
  try {
    for (;;) {
      const next = await within(
        chunks.next(),
        stallMs,
        () => new SpeechEngineError('tts', engine, 'timeout', `${engine} sent no audio for ${stallMs / 1000} s`),
      );
      if (next.done) break;
      let chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (carry) chunk = Buffer.concat([carry, chunk]);
      carry = chunk.length % 2 === 1 ? Buffer.from(chunk.subarray(chunk.length - 1)) : undefined;
      const whole = carry ? chunk.subarray(0, chunk.length - 1) : chunk;
      if (whole.length === 0) continue;
      yield resampler ? floatToPcm16(resampler.process(pcm16ToFloat(whole))) : Buffer.from(whole);
    }
  } finally {
    // Stops the download when the caller stopped listening (barge-in) or the engine failed. Not
    // awaited: a stream's return() waits for the read in progress, which a stalled body never ends.
    stop();
    chunks.return?.().catch(() => undefined);
  }
}
