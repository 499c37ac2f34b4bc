/**
 * A speech-to-text engine of the test's own, registered into the server's engine table as a user's
 * engine would be (`SpeechEngines.register`): it hears nothing and reports what its script says, when
 * it says — the caller's words at a given time, or a flood of finals as fast as timers fire. The tests
 * of what a call does with results need results on cue, not PocketSphinx's start-up.
 */
import { EventEmitter } from 'node:events';
import type { Transcriber, TranscriberEvents, TranscriberFactory } from '../../src/speech/transcriber.js';
import { speechEngines, type SpeechEngines } from '../../src/speech/engines.js';

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

/** A server's engine table whose `scripted` engine hears every caller say `text`, `afterMs` into the call. */
export function callerSaysOnEveryCall(text: string, afterMs = 300): SpeechEngines {
  const engines = speechEngines();
  engines.register(
    'stt',
    ['scripted'],
    scriptedTranscriber(() => ({ finals: [{ text, afterMs }] })),
  );
  return engines;
}

/** One line the caller says, from `atMs` (call time), as a perfect recognizer would report it. */
export interface HeardLine {
  text: string;
  atMs: number;
}

/**
 * An engine of the test's own that hears the call's utterances as our detector finds them and, at each
 * utterance's end, reports as a final the words of the script's lines begun by then: the turn-taking
 * under test is the detector's and the policies' on the caller's real audio, without PocketSphinx's
 * word errors on synthetic speech.
 */
class UtteranceWords extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'utterance-words';
  #next = 0;
  #startMs = 0;

  constructor(private readonly lines: HeardLine[]) {
    super();
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }
  speechStart(atMs: number): void {
    this.#startMs = atMs;
  }
  audio(): void {}
  speechEnd(atMs: number): void {
    const begun: string[] = [];
    while (this.#next < this.lines.length && this.lines[this.#next]!.atMs <= atMs) begun.push(this.lines[this.#next++]!.text);
    if (begun.length > 0) this.emit('result', { kind: 'final', text: begun.join(' '), startMs: this.#startMs, endMs: atMs, words: [], engine: this.engine });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The engine: every call it hears says `lines`. */
export function utteranceWords(lines: HeardLine[]): TranscriberFactory {
  return { engine: 'utterance-words', create: () => new UtteranceWords(lines) };
}
