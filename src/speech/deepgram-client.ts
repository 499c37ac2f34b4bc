/**
 * What both Deepgram engines share: the official SDK's client (pointed at `baseUrl` when one is set:
 * a proxy, or a local server speaking Deepgram's protocol in the tests), and how a socket failure
 * becomes a SpeechEngineError. The SDK reconnects by itself 30 times by default; a call cannot wait
 * for that and would lose the audio in between, so we ask for no reconnection and report the drop.
 */
import { DeepgramClient } from '@deepgram/sdk';
import { errorDetail } from '../error-detail.js';
import { SpeechEngineError, type SpeechErrorEvent } from './speech-events.js';

export interface DeepgramOptions {
  /** The API key (`DEEPGRAM_API_KEY`). */
  apiKey?: string | undefined;
  /** Deepgram's API base; Deepgram's own when unset. */
  baseUrl?: string | undefined;
  /** Speech-to-text model (default `nova-3`). */
  model?: string;
  /** Default voice of speech (default `aura-2-thalia-en`). */
  voice?: string;
  /** Opening a socket past this is a timeout, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** No answer this long after audio or text was flushed is a stalled provider, ms (default 5 000). */
  answerTimeoutMs?: number;
}

/** The SDK's own base, named in a line that says it could not be reached. */
const DEEPGRAM_API_BASE = 'wss://api.deepgram.com';

export const DEEPGRAM_DEFAULTS = { model: 'nova-3', voice: 'aura-2-thalia-en', connectTimeoutMs: 10_000, answerTimeoutMs: 5_000 } as const;

export function deepgramClient(job: SpeechErrorEvent['job'], options: DeepgramOptions): DeepgramClient {
  if (!options.apiKey) throw new SpeechEngineError(job, 'deepgram', 'unauthorized', 'no Deepgram API key: set DEEPGRAM_API_KEY (or --deepgram-key)');
  return new DeepgramClient({ apiKey: options.apiKey, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) });
}

/** The socket could not open (the SDK gives the handshake's error): 401/403 is the key, the rest the network. */
export function openError(job: SpeechErrorEvent['job'], error: unknown, baseUrl: string | undefined): SpeechEngineError {
  if (error instanceof SpeechEngineError) return error;
  // The SDK rejects with the socket's ErrorEvent, not an Error: read its message either way.
  const text = typeof (error as { message?: unknown })?.message === 'string' ? (error as { message: string }).message : String(error);
  if (/\b(401|403)\b/.test(text)) return new SpeechEngineError(job, 'deepgram', 'unauthorized', `Deepgram refused the API key (${text})`, { cause: error });
  return new SpeechEngineError(job, 'deepgram', 'disconnected', `cannot reach Deepgram: ${errorDetail(error, baseUrl ?? DEEPGRAM_API_BASE)}`, { cause: error });
}

export { within } from '../within.js';
