/**
 * Which words of a reply the caller heard, from how much of its audio they heard. Pure.
 *
 * Speech runs at a near-constant rate of characters, so within a stretch of audio whose text is known
 * (a whole reply, or better one sentence, as the cascade synthesizes them) the heard share of the
 * audio is the heard share of the characters; the cut is moved back to the end of the last whole
 * word, as a word cut in the middle was not understood. This is an estimate, not word timing: it
 * is off by the length of a pause or a slow word (docs/agents.md says so).
 */

/** One stretch of reply audio and the text it says, in ms of the reply's audio. */
export interface SpokenSpan {
  text: string;
  startMs: number;
  durationMs: number;
}

/** The words of `text` heard when `heardMs` of its `durationMs` of audio played. */
export function heardWords(text: string, heardMs: number, durationMs: number): string {
  if (durationMs <= 0 || heardMs <= 0) return '';
  if (heardMs >= durationMs) return text.trim();
  const cut = Math.floor((text.length * heardMs) / durationMs);
  // A word is heard whole when the cut falls on the space after it (or at the end).
  const head = text.slice(0, cut + 1);
  const lastSpace = /\s/.test(text[cut] ?? ' ') ? cut : head.lastIndexOf(' ');
  return lastSpace <= 0 ? '' : text.slice(0, lastSpace).trim();
}

/** The words heard of a reply made of `spans` (in order) when `heardMs` of its audio played. */
export function heardOfSpans(spans: SpokenSpan[], heardMs: number): string {
  const heard: string[] = [];
  for (const span of spans) {
    if (heardMs <= span.startMs) break;
    const words = heardWords(span.text, heardMs - span.startMs, span.durationMs);
    if (words) heard.push(words);
    if (heardMs < span.startMs + span.durationMs) break;
  }
  return heard.join(' ');
}
