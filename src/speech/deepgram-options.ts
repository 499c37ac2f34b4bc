/**
 * The Deepgram engines' options, apart from the client (deepgram-client.ts): what names them need not
 * see the SDK's types, an optional dependency (src/vendor-sdk.ts).
 */
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

export const DEEPGRAM_DEFAULTS = { model: 'nova-3', voice: 'aura-2-thalia-en', connectTimeoutMs: 10_000, answerTimeoutMs: 5_000 } as const;
