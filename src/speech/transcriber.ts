/**
 * Streaming speech to text, one instance per call. The call feeds it the caller's audio at the call's
 * rate as it arrives, with the detector's speech start and end; the engine reports interim and final
 * results as they form. Engines that find utterances themselves (Deepgram) may ignore the detector's
 * marks; engines that decode delimited utterances (PocketSphinx) rely on them.
 */
import type { EventEmitter } from 'node:events';
import type { SpeechEngineError, TranscriptEvent } from './speech-events.js';

export interface TranscriberEvents {
  /** Times are call time; sentiment is added by the caller of the engine. */
  result: [result: Omit<TranscriptEvent, 'sentiment'>];
  /** The engine failed; it reports nothing more. */
  error: [error: SpeechEngineError];
}

export interface Transcriber extends EventEmitter<TranscriberEvents> {
  readonly engine: string;
  /** Resolves when the engine takes audio; rejects with a SpeechEngineError (missing, unauthorized, timeout). */
  ready(): Promise<void>;
  /** Speech began at `atMs`; `preroll` is the call-rate audio just before it (the onset the detector needed). */
  speechStart(atMs: number, preroll: Buffer): void;
  /**
   * Every frame of caller audio at the call rate, starting at `atMs`, speech or not; engines keep what
   * they need. `voiced`: our detector judged the frame speech (the silence that ends an utterance is
   * the unvoiced frames before `speechEnd`); absent, the frame counts as speech.
   */
  audio(frame: Buffer, atMs: number, voiced?: boolean): void;
  speechEnd(atMs: number): void;
  /** Reports what is still pending as final, then releases the engine. */
  close(): Promise<void>;
}

export interface TranscribeOptions {
  /** Menu mode: only these phrases (and "please") can be heard. Engines without grammars use them as hints. */
  choices?: string[];
  /** BCP-47 language; engines that cannot change it ignore it. */
  language?: string;
  /** Interim results (default true). */
  interim?: boolean;
}

export interface TranscriberFactory {
  readonly engine: string;
  create(callRate: number, options: TranscribeOptions): Transcriber;
}
