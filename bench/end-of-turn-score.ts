/**
 * The measurement core of the end-of-turn bench (bench/end-of-turn.ts), pure: the detector's speech
 * starts and ends over a caller stream, the callers' turns (where their voice is, the pauses they meant
 * to speak on through, their words with start times) in; when each turn was found ended, by each
 * policy, and how that went for the caller out.
 *
 * - **fixed 500 ms**: the old end of turn — every speech end of the detector at 500 ms of silence ends
 *   the turn (the words play no part).
 * - **adaptive**: src/speech/turn-timer.ts (the rules a call runs) over the detector at the shortest
 *   hangover (300 ms, as the cascade listens), each utterance's final result given at its speech end
 *   (plus `finalDelayMs`: an engine's latency) with the words the caller had begun by its last voiced
 *   frame.
 */
import type { EndOfTurnOptions } from '../src/speech/end-of-turn-policy.js';
import { TurnTimer } from '../src/speech/turn-timer.js';

const FRAME_MS = 20;

export type TurnKind = 'finished' | 'mid-thought' | 'number';

export interface CallerTurn {
  kind: TurnKind;
  /** Where the caller's voice begins and ends, ms of the stream. */
  startMs: number;
  endMs: number;
  /** Pauses the caller meant to speak on through. */
  pauses: Array<{ fromMs: number; toMs: number }>;
  /** The caller's words in order, each with where it begins (ms of the stream), as a transcriber writes them. */
  words: Array<{ text: string; startMs: number }>;
}

/** The detector's speech events: the frame at which each was said, and the call time it names. */
export interface SpeechEvents {
  frames: number;
  starts: Array<{ frame: number; atMs: number }>;
  ends: Array<{ frame: number; atMs: number }>;
}

/** Old: each speech end is a turn end, found at the end of the frame that said it. */
export function fixedTurnEnds(events: SpeechEvents): number[] {
  return events.ends.map((e) => (e.frame + 1) * FRAME_MS);
}

/** Adaptive: the turn timer replayed frame by frame; returns the call times at which turns ended. */
export function adaptiveTurnEnds(events: SpeechEvents, turns: CallerTurn[], options: EndOfTurnOptions = {}, finalDelayMs = 0): number[] {
  const words = turns.flatMap((t) => t.words).sort((a, b) => a.startMs - b.startMs);
  let given = 0;
  const starts = new Map(events.starts.map((s) => [s.frame, s]));
  const ends = new Map(events.ends.map((e) => [e.frame, e]));
  const pending: Array<{ dueMs: number; text: string }> = [];
  const timer = new TurnTimer(options);
  const out: number[] = [];
  const push = (turn: { end: { atMs: number } } | undefined) => turn && out.push(turn.end.atMs);
  for (let frame = 0; frame < events.frames; frame++) {
    const nowMs = (frame + 1) * FRAME_MS;
    if (starts.has(frame)) timer.speechStart();
    const end = ends.get(frame);
    if (end) {
      timer.speechEnd(end.atMs);
      // The utterance's final: the words begun before its last voiced frame ended.
      const from = given;
      while (given < words.length && words[given]!.startMs < end.atMs) given++;
      if (given > from)
        pending.push({
          dueMs: nowMs + finalDelayMs,
          text: words
            .slice(from, given)
            .map((w) => w.text)
            .join(' '),
        });
    }
    // The frame's verdict first, then a final due by its end: the turn ends no sooner than its words come.
    push(timer.tick(nowMs));
    while (pending.length > 0 && pending[0]!.dueMs <= nowMs) push(timer.final(pending.shift()!.text));
  }
  return out;
}

export interface TurnOutcome {
  kind: TurnKind;
  /**
   * Caller's end of speech → the first turn end after their last pause (undefined: none before the
   * next turn). Below 0: the detector took a quiet tail of the voice for silence.
   */
  delayMs: number | undefined;
  /** A turn end came inside a pause the caller meant to speak on through (or within the 100 ms their voice takes to be heard again). */
  cut: boolean;
}

/** The detector's onset needs 3 voiced frames: a turn end found that soon after the voice resumed still cut the caller. */
const RESUME_MS = 100;

/** Each turn's outcome. */
export function outcomes(turnEnds: number[], turns: CallerTurn[]): TurnOutcome[] {
  const sorted = [...turns].sort((a, b) => a.startMs - b.startMs);
  return sorted.map((turn, i) => {
    const next = sorted[i + 1]?.startMs ?? Infinity;
    const cut = turnEnds.some((t) => turn.pauses.some((p) => t > p.fromMs && t <= p.toMs + RESUME_MS));
    const lastVoice = Math.max(turn.startMs, ...turn.pauses.map((p) => p.toMs + RESUME_MS));
    const after = turnEnds.find((t) => t > lastVoice && t < next);
    return { kind: turn.kind, delayMs: after === undefined ? undefined : after - turn.endMs, cut };
  });
}
