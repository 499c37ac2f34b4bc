/**
 * The end-of-turn policy (speech/end-of-turn-policy.ts) on a live call: the caller's final results
 * are gathered into their turn, and the turn ends once the silence after their last speech is as
 * long as their words call for — short after a finished sentence, long after "and", "um" or a number
 * being read out. Speech starting again before then continues the same turn. Feeds the cascade's
 * chat requests and the transcribe app's results (docs/turn-taking.md).
 *
 * Times are call time: the speech end's, and each frame's verdict as the clock that says the silence
 * has lasted (no timer).
 */
import { hangoverFor, type EndOfTurnOptions, type HangoverReason } from '../speech/end-of-turn-policy.js';
import type { TranscriptEvent } from '../speech/speech-events.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import type { CallSession } from './call-session.js';

/** A turn's text, at most (an engine flooding finals makes no bigger turn): the cascade's cap on what the caller said. */
const MAX_TURN_CHARS = 4000;
/** Final results kept of a turn, at most (their words and times, for the transcribe app). */
const MAX_TURN_RESULTS = 50;

export interface TurnEnd {
  /** Call time of the end of the caller's last voiced frame. */
  lastVoicedMs: number;
  /** Call time of the frame at which the turn was found ended. */
  atMs: number;
  hangoverMs: number;
  reason: HangoverReason;
}

/** The detector's end of speech that lets every hangover of `options` be reached: the shortest of them. */
export function shortestHangover(options: EndOfTurnOptions = {}): number {
  return Math.min(options.finishedMs ?? 300, options.baseMs ?? 500, options.continuingMs ?? 1200, options.numberMs ?? 1500);
}

export class TurnEnds {
  #text = '';
  #results: TranscriptEvent[] = [];
  #speaking = false;
  #lastVoicedMs = 0;
  #deadline: { atMs: number; hangoverMs: number; reason: HangoverReason } | undefined;
  #nowMs = 0;
  #stopped = false;
  readonly #unsubscribe: () => void;

  constructor(
    call: CallSession,
    private readonly options: EndOfTurnOptions,
    private readonly onTurn: (text: string, results: TranscriptEvent[], end: TurnEnd) => void,
  ) {
    this.#unsubscribe = call.speech.onVerdict((_voiced, atMs) => {
      this.#nowMs = atMs + FRAME_MS;
      this.#check();
    });
    call.on('speech-start', () => {
      this.#speaking = true;
      this.#deadline = undefined;
    });
    call.on('speech-end', ({ atMs }) => {
      this.#speaking = false;
      this.#lastVoicedMs = atMs;
      // With the words so far; the final of this utterance, when it comes, sets it again.
      this.#schedule();
    });
    call.on('transcript', (event) => {
      if (event.kind !== 'final' || !event.text.trim() || this.#stopped) return;
      this.#text = `${this.#text} ${event.text.trim()}`.trim().slice(-MAX_TURN_CHARS);
      this.#results.push(event);
      if (this.#results.length > MAX_TURN_RESULTS) this.#results.shift();
      this.#schedule();
      this.#check();
    });
  }

  /** Ends the turn now, if it has words (the call ended). */
  flush(): void {
    if (this.#text === '' || this.#stopped) return;
    const { ms, reason } = hangoverFor(this.#text, this.options);
    this.#deadline = { atMs: this.#nowMs, hangoverMs: ms, reason };
    this.#speaking = false;
    this.#check();
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
  }

  #schedule(): void {
    if (this.#speaking || this.#text === '') return;
    const { ms, reason } = hangoverFor(this.#text, this.options);
    this.#deadline = { atMs: this.#lastVoicedMs + ms, hangoverMs: ms, reason };
  }

  #check(): void {
    const deadline = this.#deadline;
    if (!deadline || this.#speaking || this.#stopped || this.#nowMs < deadline.atMs) return;
    const text = this.#text;
    const results = this.#results;
    this.#text = '';
    this.#results = [];
    this.#deadline = undefined;
    this.onTurn(text, results, { lastVoicedMs: this.#lastVoicedMs, atMs: this.#nowMs, hangoverMs: deadline.hangoverMs, reason: deadline.reason });
  }
}
