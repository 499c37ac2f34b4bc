/**
 * When a caller's turn ends, from the detector's speech starts and ends and the transcriber's final
 * results (docs/turn-taking.md, "End of turn"): the finals gather into the turn, and the turn ends once
 * the silence after the last speech is as long as the words so far call for (hangoverFor); speech
 * starting again before then continues the same turn. A turn with no words yet waits for them.
 *
 * Pure: call time in (the speech end's, and the time of each frame as the clock that says the silence
 * has lasted), the end out. call/turn-ends.ts runs it on a live call; the end-of-turn bench replays it
 * on recorded callers (bench/end-of-turn.ts), so both measure the same rules.
 */
import { hangoverFor, type EndOfTurnOptions, type HangoverReason } from './end-of-turn-policy.js';

/** A turn's text, at most (an engine flooding finals makes no bigger turn): the cascade's cap on what the caller said. */
const MAX_TURN_CHARS = 4000;

export interface TurnEnd {
  /** Call time of the end of the caller's last voiced frame. */
  lastVoicedMs: number;
  /** Call time at which the turn was found ended. */
  atMs: number;
  hangoverMs: number;
  reason: HangoverReason;
}

export class TurnTimer {
  #text = '';
  #speaking = false;
  #lastVoicedMs = 0;
  #deadline: { atMs: number; hangoverMs: number; reason: HangoverReason } | undefined;
  #nowMs = 0;

  constructor(private readonly options: EndOfTurnOptions = {}) {}

  /** The words of the turn so far. */
  get text(): string {
    return this.#text;
  }

  speechStart(): void {
    this.#speaking = true;
    this.#deadline = undefined;
  }

  /** The detector's end of speech: `atMs` is the end of the last voiced frame. */
  speechEnd(atMs: number): void {
    this.#speaking = false;
    this.#lastVoicedMs = atMs;
    // With the words so far; the final of this utterance, when it comes, sets it again.
    this.#schedule();
  }

  /** A final result; returns the turn's end if its words make the silence so far long enough. */
  final(text: string): { text: string; end: TurnEnd } | undefined {
    if (!text.trim()) return undefined;
    this.#text = `${this.#text} ${text.trim()}`.trim().slice(-MAX_TURN_CHARS);
    this.#schedule();
    return this.#check();
  }

  /** Call time has reached `nowMs` (the end of a frame); returns the turn's end if it has come. */
  tick(nowMs: number): { text: string; end: TurnEnd } | undefined {
    this.#nowMs = nowMs;
    return this.#check();
  }

  /** Ends the turn now, if it has words (the call ended). */
  flush(): { text: string; end: TurnEnd } | undefined {
    if (this.#text === '') return undefined;
    const { ms, reason } = hangoverFor(this.#text, this.options);
    this.#deadline = { atMs: this.#nowMs, hangoverMs: ms, reason };
    this.#speaking = false;
    return this.#check();
  }

  #schedule(): void {
    if (this.#speaking || this.#text === '') return;
    const { ms, reason } = hangoverFor(this.#text, this.options);
    this.#deadline = { atMs: this.#lastVoicedMs + ms, hangoverMs: ms, reason };
  }

  #check(): { text: string; end: TurnEnd } | undefined {
    const deadline = this.#deadline;
    if (!deadline || this.#speaking || this.#nowMs < deadline.atMs) return undefined;
    const text = this.#text;
    this.#text = '';
    this.#deadline = undefined;
    return { text, end: { lastVoicedMs: this.#lastVoicedMs, atMs: this.#nowMs, hangoverMs: deadline.hangoverMs, reason: deadline.reason } };
  }
}
