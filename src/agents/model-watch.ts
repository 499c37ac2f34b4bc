/**
 * A voice model's health on one call, whatever the provider, so that its faults stay in its call:
 *
 * - a model that drops, refuses the key or does not connect in time: one coded line
 *   (`VS_ERR_AGENT_MODEL_FAILED`), an apology the caller hears, a hang-up;
 * - a model that reports an error instead of answering: a sampled coded line and, at most every
 *   10 s, a spoken "could you say that again" — the call goes on;
 * - a model that takes the socket and says nothing: an answer must begin within `responseTimeoutMs`
 *   of the caller's end of speech or of a requested response; the first silence is logged and
 *   apologised for, a second in a row ends the call like a failed model;
 * - an audio chunk larger than any real one: dropped, logged, the reply goes on;
 * - a reply past its bounds (reply-playback.ts; the cascade's text and stream): cut, logged, the call goes on.
 *
 * The process and every other call go on whatever the model does.
 */
import type { CallSession } from '../call/call-session.js';
import { SampledLog } from '../call/logger.js';
import { errorCode } from '../errors.js';
import { within } from '../within.js';

export const DEFAULT_FAILURE_MESSAGE = 'Sorry, the assistant is not available right now. Please call again later. Goodbye.';
export const DEFAULT_ERROR_MESSAGE = 'Sorry, something went wrong. Could you say that again?';
/** Realtime models answer within a second or two; eight is a model that is not going to. */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 8000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** The error message is said at most this often: a model erring in a loop does not talk over the caller. */
const ERROR_MESSAGE_INTERVAL_MS = 10_000;

export interface ModelWatchOptions {
  /** Said to the caller when the model fails, before hanging up; `false` hangs up at once. */
  failureMessage?: string | false;
  /** Said when the model reports an error instead of answering (the call goes on); `false`: nothing. */
  errorMessage?: string | false;
  /** An answer must begin this soon after the caller stopped speaking (or a response was asked for), ms. */
  responseTimeoutMs?: number;
  /** Connecting to the model past this is a failure, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** A reply's audio past this is cut there, ms (default 120 000: reply-playback.ts). */
  maxReplyMs?: number;
  /**
   * Reply audio a provider pushes faster than it plays is held up to this beyond the pacer's 10 s
   * queue; past it the reply is cut, ms (default 45 000: reply-playback.ts).
   */
  maxBacklogMs?: number;
}

export class ModelWatch {
  readonly connectTimeoutMs: number;
  #failed = false;
  #callEnded = false;
  readonly #failureMessage: string | false;
  readonly #errorMessage: string | false;
  readonly #responseTimeoutMs: number;
  #lastErrorMessageAt = -Infinity;
  /** Running while an answer is owed. */
  #responseTimer: NodeJS.Timeout | undefined;
  /** Silences in a row; an answer resets it. */
  #silences = 0;
  /** A model erring in a loop (or sending junk) must not write a line per event. */
  readonly #log: SampledLog;

  /** @param onLost the model is given up: stop its playback and its connection */
  constructor(
    private readonly call: CallSession,
    options: ModelWatchOptions,
    private readonly onLost: () => void,
  ) {
    this.#failureMessage = options.failureMessage ?? DEFAULT_FAILURE_MESSAGE;
    this.#errorMessage = options.errorMessage ?? DEFAULT_ERROR_MESSAGE;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#log = new SampledLog(call.log);
    call.once('end', () => {
      this.#callEnded = true;
      this.answered();
    });
  }

  /** The model was given up (or the call ended): nothing more is said for it. */
  get done(): boolean {
    return this.#failed || this.#callEnded || this.call.state === 'ended';
  }

  /** Resolves as `connecting` does, or rejects when it takes longer than the connect timeout. */
  connecting<T>(connecting: Promise<T>): Promise<T> {
    return within(connecting, this.connectTimeoutMs, () => new Error(`the model did not connect within ${this.connectTimeoutMs / 1000} s`));
  }

  /** An answer is owed from now: the timer starts unless one is already running. */
  owed(): void {
    if (this.#responseTimer || this.done) return;
    this.#responseTimer = setTimeout(() => this.#silent(), this.#responseTimeoutMs);
  }

  /** The model answered (or the caller speaks again: `false` keeps the count of silences). */
  answered(spoke = true): void {
    clearTimeout(this.#responseTimer);
    this.#responseTimer = undefined;
    if (spoke) this.#silences = 0;
  }

  /**
   * The model reported an error. When it came instead of an answer (`quiet`: nothing of a reply is
   * under way) the caller hears why the line went quiet.
   */
  error(detail: string, quiet: boolean): void {
    this.#log.warn(errorCode('AGENT_MODEL_ERROR'), { detail }, 'voice agent model reported an error');
    if (this.#errorMessage === false || this.done || !quiet || this.call.playing) return;
    const now = performance.now();
    if (now - this.#lastErrorMessageAt < ERROR_MESSAGE_INTERVAL_MS) return;
    this.#lastErrorMessageAt = now;
    void this.call.say(this.#errorMessage);
  }

  /** An audio chunk no real model sends was dropped. */
  tooLarge(bytes: number, maxBytes: number): void {
    this.#log.warn(errorCode('AGENT_AUDIO_TOO_LARGE'), { bytes, maxBytes }, 'voice agent model sent an oversized audio chunk; dropped');
  }

  /** A reply ran past a bound (its length, what is held of it, its text or its stream): it was cut there. */
  replyCut(reason: string, fields: Record<string, unknown>): void {
    this.#log.warn(errorCode('AGENT_REPLY_TOO_LONG'), { reason, ...fields }, 'voice agent reply cut at its bound; the call goes on');
  }

  /** The model is gone or never came: one coded line, an apology, the call ends. The process goes on. */
  lost(reason: string): void {
    if (this.done) return;
    this.#failed = true;
    this.answered();
    this.call.log.warn({ code: errorCode('AGENT_MODEL_FAILED'), detail: reason }, 'voice agent model failed; ending the call');
    this.onLost();
    void this.call.clear();
    const message = this.#failureMessage;
    const goodbye = message === false ? Promise.resolve() : this.call.say(message).then(() => undefined);
    void goodbye.finally(() => this.call.hangup(1000, 'agent: model unavailable'));
  }

  #silent(): void {
    this.#responseTimer = undefined;
    if (this.done) return;
    this.#silences++;
    this.#log.warn(
      errorCode('AGENT_MODEL_SILENT'),
      { silences: this.#silences, responseTimeoutMs: this.#responseTimeoutMs },
      'voice agent model did not answer in time',
    );
    if (this.#silences >= 2) return this.lost(`the model did not answer twice in a row (${this.#responseTimeoutMs / 1000} s each)`);
    if (this.#errorMessage !== false && !this.call.playing) void this.call.say(this.#errorMessage);
  }
}
