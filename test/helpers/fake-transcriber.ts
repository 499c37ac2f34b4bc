/**
 * A speech-to-text engine of the test's own, registered into the server's engine table as a user's
 * engine would be (`SpeechEngines.register`): it hears nothing and reports what its script says, when
 * it says — the caller's words at a given time, or a flood of finals as fast as timers fire. The tests
 * of what a call does with results need results on cue, not PocketSphinx's start-up.
 */
import { EventEmitter } from 'node:events';
import type { Transcriber, TranscriberEvents, TranscriberFactory } from '../../src/speech/transcriber.js';

export interface TranscriberScript {
  /** Finals reported this long after the engine starts, in order. */
  finals?: Array<{ text: string; afterMs: number }>;
  /** From `afterMs`, `perTick` finals of `text` every tick of a 1 ms timer, until the call ends. */
  flood?: { text: string; perTick: number; afterMs: number };
  /** The engine is ready this long after it starts (a slow start), or fails to start with this message then. */
  ready?: { afterMs: number; fails?: string };
}

class ScriptedTranscriber extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'scripted';
  readonly #timers: NodeJS.Timeout[] = [];
  /** Finals reported so far. */
  reported = 0;

  readonly #ready: Promise<void>;

  constructor(script: TranscriberScript) {
    super();
    const { afterMs = 0, fails } = script.ready ?? {};
    this.#ready = new Promise((resolve, reject) => {
      this.#timers.push(setTimeout(() => (fails === undefined ? resolve() : reject(new Error(fails))), afterMs));
    });
    this.#ready.catch(() => undefined);
    const report = (text: string) => {
      this.reported++;
      this.emit('result', { kind: 'final', text, startMs: 0, endMs: 0, words: [], engine: this.engine });
    };
    for (const { text, afterMs } of script.finals ?? []) this.#timers.push(setTimeout(() => report(text), afterMs));
    const flood = script.flood;
    if (flood) {
      this.#timers.push(
        setTimeout(() => {
          this.#timers.push(
            setInterval(() => {
              for (let i = 0; i < flood.perTick; i++) report(flood.text);
            }, 1),
          );
        }, flood.afterMs),
      );
    }
  }

  ready(): Promise<void> {
    return this.#ready;
  }
  speechStart(): void {}
  audio(): void {}
  speechEnd(): void {}
  close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    return Promise.resolve();
  }
}

/** The engine: one scripted transcriber per call, `scriptFor` choosing each call's script (by its order). */
export function scriptedTranscriber(scriptFor: (index: number) => TranscriberScript): TranscriberFactory & { made: ScriptedTranscriber[] } {
  const made: ScriptedTranscriber[] = [];
  return {
    engine: 'scripted',
    made,
    create: () => {
      const transcriber = new ScriptedTranscriber(scriptFor(made.length));
      made.push(transcriber);
      return transcriber;
    },
  };
}
