/**
 * When the caller has finished their turn (docs/turn-taking.md): the silence that ends it adapts to
 * what they said. After a finished sentence ("...that's all, thanks.") a short pause is the end; after
 * "and", "um" or a number being read out ("four five six ...") the caller is mid-thought, and the
 * agent that answers then talks over them. With no words (no transcriber) it is the fixed hangover
 * the detector has always used.
 *
 * Pure: the detector's per-frame verdicts and the transcriber's words in, the end out; time is the
 * call time the caller passes (frames' start times), never a clock.
 */
import { normalizeWords } from './barge-in-policy.js';

export interface EndOfTurnOptions {
  /** Silence that ends a turn when the words say nothing either way, or there are none, ms (default 500: today's). */
  baseMs?: number;
  /** After a finished sentence (final punctuation, or a closing word), ms (default 300). */
  finishedMs?: number;
  /** After a word that leads on ("and", "um", "the"), ms (default 1200). */
  continuingMs?: number;
  /** After a number (digits being read out), ms (default 1500). */
  numberMs?: number;
}

export type HangoverReason = 'base' | 'finished' | 'continuing' | 'number';

/** Words after which the speaker is not done: conjunctions, fillers, articles, prepositions. */
const CONTINUING = new Set(
  'and but or so because cause um umm uh er erm hmm like the a an to of for with from in on at my your our their his her its is was are were if then that which who when where than as by about into'.split(
    ' ',
  ),
);
/** Number words a caller reads digits and amounts with. */
const NUMBERS = new Set(
  'zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million double triple'.split(
    ' ',
  ),
);
/** Words that close a turn. */
const CLOSING = new Set('thanks thank you bye goodbye please yes no yeah yep nope correct exactly right okay ok done all'.split(' '));

/** The hangover the words so far of a turn call for, and why. */
export function hangoverFor(text: string, options: EndOfTurnOptions = {}): { ms: number; reason: HangoverReason } {
  const trimmed = text.trim();
  const words = normalizeWords(trimmed).split(' ').filter(Boolean);
  const last = words.at(-1);
  if (last === undefined) return { ms: options.baseMs ?? 500, reason: 'base' };
  if (/^\d+$/.test(last) || NUMBERS.has(last)) return { ms: options.numberMs ?? 1500, reason: 'number' };
  if (CONTINUING.has(last) || /[,;:-]$/.test(trimmed)) return { ms: options.continuingMs ?? 1200, reason: 'continuing' };
  if (/[.?!]$/.test(trimmed) || CLOSING.has(last)) return { ms: options.finishedMs ?? 300, reason: 'finished' };
  return { ms: options.baseMs ?? 500, reason: 'base' };
}

export interface EndOfTurn {
  /** Call time of the frame at which the silence reached the hangover. */
  atMs: number;
  /** End of the last voiced frame. */
  lastVoicedMs: number;
  hangoverMs: number;
  reason: HangoverReason;
}

export class EndOfTurnPolicy {
  private words = '';
  private lastVoicedEndMs: number | undefined;

  constructor(private readonly options: EndOfTurnOptions = {}) {}

  /** The words of the caller's turn so far (a final result appends; an interim one stands for the rest). */
  heard(text: string): void {
    this.words = text;
  }

  /** One frame's verdict; returns the end of the turn at the frame where the silence reaches the hangover. */
  frame(voiced: boolean, atMs: number, frameMs = 20): EndOfTurn | undefined {
    if (voiced) {
      this.lastVoicedEndMs = atMs + frameMs;
      return undefined;
    }
    if (this.lastVoicedEndMs === undefined) return undefined;
    const { ms, reason } = hangoverFor(this.words, this.options);
    const silenceMs = atMs + frameMs - this.lastVoicedEndMs;
    if (silenceMs < ms) return undefined;
    const end = { atMs, lastVoicedMs: this.lastVoicedEndMs, hangoverMs: ms, reason };
    this.lastVoicedEndMs = undefined;
    this.words = '';
    return end;
  }
}
