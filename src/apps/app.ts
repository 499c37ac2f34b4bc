/**
 * The App API: an app is a function of one call. It subscribes to the session's events (audio, dtmf,
 * notify, end) and answers through the session (sendAudio, hangup, ...). Whatever it throws, or a
 * promise it returns rejects with, ends only its own call.
 */
import type { CallSession } from '../call/call-session.js';
import type { CallControl } from '../call/call-control.js';
import type { AnswerRequest } from '../protocol/webhooks.js';
import type { Ncco, NccoAction, recordAction, streamAction, talkAction } from '../protocol/ncco.js';
import type { SampleRate } from '../protocol/audio-format.js';

/** What an app may reach beyond its own call. */
export interface AppContext {
  /**
   * Every call in progress, by id or leg uuid: hang up, play to, clear. With `--redis` that is every
   * call of every instance, wherever its socket is.
   */
  calls: CallControl;
}

/** Whatever it returns is fine; a promise that rejects ends the call, like a throw. */
export type CallApp = (session: CallSession, context: AppContext) => unknown;

/** What the hook gets: the parsed request, typed NCCO builders, and the NCCO the server would send. */
export interface AnswerContext {
  request: AnswerRequest;
  /** The server's own answer: the greeting, then a connect to this server's call socket. */
  defaultNcco: Ncco;
  /** Typed builders; `connect` targets this server's socket with the call's identity in the headers. */
  ncco: {
    talk: typeof talkAction;
    stream: typeof streamAction;
    record: typeof recordAction;
    /** A connect to this server's socket; extra `headers` reach the app in `identity.headers`. */
    connect(options?: { headers?: Record<string, unknown>; sampleRate?: SampleRate; from?: string }): NccoAction;
  };
}

/** Returns the NCCO for this call, or undefined for the default one. Sync or async. */
export type AnswerHook = (context: AnswerContext) => Ncco | undefined | Promise<Ncco | undefined>;

export interface AppDefinition {
  name: string;
  description: string;
  /**
   * Builds the app from its options, at start: throws (or rejects) with a CONFIG_INVALID error for a
   * bad or missing one, so a server never starts with an app that would fail on its first call.
   */
  create(options: Record<string, unknown>): CallApp | Promise<CallApp>;
  /** Decides each call's NCCO (see AnswerHook); the server's default answer when absent. */
  answer?: AnswerHook;
}
