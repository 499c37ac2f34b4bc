/**
 * The end-of-turn policy (speech/end-of-turn-policy.ts) on a live call: the caller's final results
 * are gathered into their turn, and the turn ends once the silence after their last speech is as
 * long as their words call for — short after a finished sentence, long after "and", "um" or a number
 * being read out. Speech starting again before then continues the same turn. Feeds the cascade's
 * chat requests and the transcribe app's results (docs/turn-taking.md).
 *
 * The rules are speech/turn-timer.ts's (pure); this wires them to the call's events. Times are call
 * time: the speech end's, and each frame's verdict as the clock that says the silence has lasted (no
 * timer).
 */
import type { EndOfTurnOptions } from '../speech/end-of-turn-policy.js';
import { TurnTimer, type TurnEnd } from '../speech/turn-timer.js';
import type { TranscriptEvent } from '../speech/speech-events.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import type { CallSession } from './call-session.js';

export type { TurnEnd } from '../speech/turn-timer.js';

/** Final results kept of a turn, at most (their words and times, for the transcribe app). */
const MAX_TURN_RESULTS = 50;

/** The detector's end of speech that lets every hangover of `options` be reached: the shortest of them. */
export function shortestHangover(options: EndOfTurnOptions = {}): number {
  return Math.min(options.finishedMs ?? 300, options.baseMs ?? 500, options.continuingMs ?? 1200, options.numberMs ?? 1500);
}

export class TurnEnds {
  readonly #timer: TurnTimer;
  #results: TranscriptEvent[] = [];
  #stopped = false;
  readonly #unsubscribe: () => void;

  constructor(
    call: CallSession,
    options: EndOfTurnOptions,
    private readonly onTurn: (text: string, results: TranscriptEvent[], end: TurnEnd) => void,
  ) {
    this.#timer = new TurnTimer(options);
    this.#unsubscribe = call.speech.onVerdict((_voiced, atMs) => this.#deliver(this.#timer.tick(atMs + FRAME_MS)));
    call.on('speech-start', () => this.#timer.speechStart());
    call.on('speech-end', ({ atMs }) => this.#timer.speechEnd(atMs));
    call.on('transcript', (event) => {
      if (event.kind !== 'final' || !event.text.trim() || this.#stopped) return;
      this.#results.push(event);
      if (this.#results.length > MAX_TURN_RESULTS) this.#results.shift();
      this.#deliver(this.#timer.final(event.text));
    });
  }

  /** Ends the turn now, if it has words (the call ended). */
  flush(): void {
    if (!this.#stopped) this.#deliver(this.#timer.flush());
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
  }

  #deliver(turn: { text: string; end: TurnEnd } | undefined): void {
    if (!turn || this.#stopped) return;
    const results = this.#results;
    this.#results = [];
    this.onTurn(turn.text, results, turn.end);
  }
}
