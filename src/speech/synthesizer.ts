/**
 * Text to speech, streamed: the engine yields s16le mono PCM at the call's rate as it synthesizes, so
 * the first words play while the rest are still being made. Aborting the signal stops the engine
 * (barge-in: the caller spoke, the rest of the sentence is not wanted).
 */
import type { SpeechEngineError } from './speech-events.js';

export interface SynthesizeOptions {
  /** The call's rate: what the engine yields. */
  sampleRate: number;
  /** Engine voice name (espeak-ng: `en-us`, `en+f3`; Deepgram: `aura-2-thalia-en`). */
  voice?: string;
  /** Words per minute (espeak-ng); engines without it ignore it. */
  wordsPerMinute?: number;
  signal?: AbortSignal;
}

export interface Synthesizer {
  readonly engine: string;
  /** Yields audio as it is made; throws a SpeechEngineError when the engine fails. */
  synthesize(text: string, options: SynthesizeOptions): AsyncIterable<Buffer>;
}

export type { SpeechEngineError };
