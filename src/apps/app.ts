/**
 * The App API: an app is a function of one call. It subscribes to the session's events (audio, dtmf,
 * notify, end) and answers through the session (sendAudio, hangup, ...). Whatever it throws, or a
 * promise it returns rejects with, ends only its own call.
 */
import type { CallSession } from '../call/call-session.js';

export type CallApp = (session: CallSession) => void | Promise<void>;

export interface AppDefinition {
  name: string;
  description: string;
  /**
   * Builds the app from its options, at start: throws (or rejects) with a CONFIG_INVALID error for a
   * bad or missing one, so a server never starts with an app that would fail on its first call.
   */
  create(options: Record<string, unknown>): CallApp | Promise<CallApp>;
}
