/**
 * What the speech layer reports, in call time: milliseconds of the caller's audio since the first
 * frame of the call (frame count × 20 ms), so times do not drift with network jitter and match a
 * recording of the call.
 */
import type { SentimentScore } from './sentiment.js';

export interface TranscriptWord {
  word: string;
  startMs: number;
  endMs: number;
  confidence?: number;
}

export interface TranscriptEvent {
  /** `interim` results may change; a `final` one is the engine's last word on that stretch of speech. */
  kind: 'interim' | 'final';
  text: string;
  startMs: number;
  endMs: number;
  /** 0–1, where the engine gives one. */
  confidence?: number;
  words: TranscriptWord[];
  /** The engine that heard it (`pocketsphinx`, `deepgram`). */
  engine: string;
  /** Final results only: AFINN sentiment of the utterance. */
  sentiment?: SentimentScore;
}

export interface SpeechActivityEvent {
  /** Call time of the first voiced frame (speech-start) or of the last one (speech-end). */
  atMs: number;
}

export type SpeechErrorKind = 'missing' | 'failed' | 'unauthorized' | 'disconnected' | 'timeout' | 'busy';

export interface SpeechErrorEvent {
  /** `stt` (transcription), `tts` (synthesis) or `vad`. */
  job: 'stt' | 'tts' | 'vad';
  engine: string;
  kind: SpeechErrorKind;
  message: string;
}

/** An engine failure, thrown or reported; `kind` says what the app can do about it. */
export class SpeechEngineError extends Error {
  constructor(
    readonly job: SpeechErrorEvent['job'],
    readonly engine: string,
    readonly kind: SpeechErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpeechEngineError';
  }

  toEvent(): SpeechErrorEvent {
    return { job: this.job, engine: this.engine, kind: this.kind, message: this.message };
  }
}
