/**
 * The barge-in policy (speech/barge-in-policy.ts) on a live call: the detector's per-frame verdicts,
 * its speech start and end, and — where a transcriber of ours runs — the words heard of the caller's
 * current utterance go in; `onBargeIn` runs once per utterance that is an interruption. Used by the
 * agents' barge-in (agents/agent-bridge.ts) and the apps' (apps/barge-in.ts); docs/turn-taking.md.
 */
import { BargeInPolicy, type BargeInDecision, type BargeInPolicyOptions } from '../speech/barge-in-policy.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import type { CallSession } from './call-session.js';

/** What an app or an agent may set of the policy; `words` is theirs to say only when a transcriber of ours runs. */
export type BargeInSettings = Omit<BargeInPolicyOptions, 'words'>;

/** Verdicts kept to count an onset's voiced frames (the detector's onset window is 4 frames by default). */
const RECENT_KEPT = 16;

export class BargeInGate {
  readonly #policy: BargeInPolicy;
  /** The latest frames' verdicts: start time, voiced. */
  readonly #recent: Array<{ atMs: number; voiced: boolean }> = [];
  /** Start of the current utterance (its first voiced frame), for the words that belong to it. */
  #startMs = -1;
  /** Final results of the current utterance so far (an engine may give several). */
  #finals = '';

  constructor(call: CallSession, options: BargeInPolicyOptions, onBargeIn: (decision: BargeInDecision) => void) {
    this.#policy = new BargeInPolicy(options);
    const decided = (decision: BargeInDecision | undefined) => {
      if (decision) onBargeIn(decision);
    };
    call.speech.onVerdict((voiced, atMs) => {
      this.#recent.push({ atMs, voiced });
      if (this.#recent.length > RECENT_KEPT) this.#recent.shift();
      decided(this.#policy.frame(voiced, atMs));
    });
    call.on('speech-start', ({ atMs }) => {
      this.#startMs = atMs;
      this.#finals = '';
      // The onset's voiced frames (they came before the start was known) count as voiced time.
      const onsetMs = this.#recent.filter((f) => f.voiced && f.atMs >= atMs).length * FRAME_MS;
      decided(this.#policy.speechStart(onsetMs, atMs));
    });
    call.on('speech-end', () => this.#policy.speechEnd());
    if (!options.words) return;
    // An engine that decodes our utterances (PocketSphinx) gives their words just after their end: a
    // short "stop" still interrupts then, an "uh-huh" never.
    call.on('transcript', (event) => {
      if (event.endMs <= this.#startMs) return;
      const text = event.kind === 'final' ? (this.#finals = `${this.#finals} ${event.text}`.trim()) : `${this.#finals} ${event.text}`.trim();
      decided(this.#policy.words(text, event.endMs));
    });
  }
}
