/**
 * Text to speech, streamed: the engine yields s16le mono PCM at the call's rate as it synthesizes, so
 * the first words play while the rest are still being made. Aborting the signal stops the engine
 * (barge-in: the caller spoke, the rest of the sentence is not wanted).
 *
 * A consumer pulls: an engine makes audio only as fast as it is read (a child process blocks on its
 * full pipe, an HTTP body is read as it is taken), so a reply of any length holds only what the
 * pacer has not played yet. Text never reaches an offline engine as one process argument of any
 * length (past 128 kB one argument fails with E2BIG): espeak-ng reads it on stdin, flite gets it a
 * short piece at a time (flite.ts says why not stdin).
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

/**
 * `text` in pieces of at most `maxChars`, each ending at a sentence's end or a space where one is
 * near enough (an engine that makes a whole piece before it yields holds one piece of audio, not a
 * whole text's). Linear in the text's length.
 */
export function textPieces(text: string, maxChars: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > maxChars) {
    const window = text.slice(start, start + maxChars);
    // The last sentence end in the window, else the last space, else a hard cut.
    let cut = Math.max(window.lastIndexOf('. '), window.lastIndexOf('! '), window.lastIndexOf('? '), window.lastIndexOf('\n'));
    cut = cut > maxChars / 2 ? cut + 1 : window.lastIndexOf(' ');
    if (cut <= 0) cut = maxChars;
    pieces.push(text.slice(start, start + cut));
    start += cut;
  }
  pieces.push(text.slice(start));
  return pieces.map((piece) => piece.trim()).filter((piece) => piece !== '');
}
