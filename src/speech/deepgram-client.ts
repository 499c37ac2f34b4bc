/**
 * What both Deepgram engines share: the official SDK's client (pointed at `baseUrl` when one is set:
 * a proxy, or a local server speaking Deepgram's protocol in the tests), and how a socket failure
 * becomes a SpeechEngineError. The SDK reconnects by itself 30 times by default; a call cannot wait
 * for that and would lose the audio in between, so we ask for no reconnection and report the drop.
 */
import type { DeepgramClient } from '@deepgram/sdk';
import { optionalSdk, sdkMissingText } from '../vendor-sdk.js';
import { errorDetail } from '../error-detail.js';
import { SpeechEngineError, type SpeechErrorEvent } from './speech-events.js';
import type { DeepgramOptions } from './deepgram-options.js';

export { DEEPGRAM_DEFAULTS, type DeepgramOptions } from './deepgram-options.js';

// The SDK, an optional dependency, loaded with this module when it is installed (src/vendor-sdk.ts).
const deepgram = await optionalSdk(() => import('@deepgram/sdk'));

/** The SDK's own base, named in a line that says it could not be reached. */
const DEEPGRAM_API_BASE = 'wss://api.deepgram.com';

export function deepgramClient(job: SpeechErrorEvent['job'], options: DeepgramOptions): DeepgramClient {
  if (!options.apiKey) throw new SpeechEngineError(job, 'deepgram', 'unauthorized', 'no Deepgram API key: set DEEPGRAM_API_KEY (or --deepgram-key)');
  if (!deepgram) throw new SpeechEngineError(job, 'deepgram', 'missing', sdkMissingText('@deepgram/sdk', 'the deepgram engine'));
  return new deepgram.DeepgramClient({ apiKey: options.apiKey, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) });
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
