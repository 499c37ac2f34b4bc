/**
 * OpenAI text to speech through the official SDK (`openai`, `audio.speech.create`, pointed elsewhere
 * by `baseURL`): `response_format: 'pcm'` is raw PCM16 at 24 kHz, streamed as it is made and
 * resampled to the call's rate (a 24 kHz call takes it as it is). A refused key is `unauthorized`, no
 * answer or a body that stalls is `timeout`, the rest `failed`: each a speech-error of its own call.
 */
import OpenAI from 'openai';
import { errorDetail } from '../error-detail.js';
import { pcmAtCallRate } from './pcm-stream.js';
import { SpeechEngineError } from './speech-events.js';
import type { SynthesizeOptions, Synthesizer } from './synthesizer.js';

export interface OpenAISpeechOptions {
  apiKey?: string | undefined;
  /** The API base (`https://api.openai.com/v1` by default; a proxy, or a server speaking its protocol). */
  baseUrl?: string | undefined;
  /** Default voice (default `marin`). */
  voice?: string;
  /** Model (default `gpt-4o-mini-tts`). */
  model?: string;
  /** No audio for this long is a stalled engine, ms (default 5000). */
  answerTimeoutMs?: number;
}

export const OPENAI_SPEECH_DEFAULTS = { voice: 'marin', model: 'gpt-4o-mini-tts', answerTimeoutMs: 5000 } as const;
/** The rate of `response_format: 'pcm'`. */
const OPENAI_PCM_RATE = 24000;

function failure(error: unknown, baseUrl: string): SpeechEngineError {
  if (error instanceof SpeechEngineError) return error;
  if (error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError)
    return new SpeechEngineError('tts', 'openai', 'unauthorized', `OpenAI refused the API key (${error.status})`, { cause: error });
  if (error instanceof OpenAI.APIConnectionTimeoutError)
    return new SpeechEngineError('tts', 'openai', 'timeout', 'OpenAI did not answer in time', { cause: error });
  if (error instanceof OpenAI.APIConnectionError)
    return new SpeechEngineError('tts', 'openai', 'disconnected', `cannot reach OpenAI: ${errorDetail(error, baseUrl)}`, { cause: error });
  return new SpeechEngineError('tts', 'openai', 'failed', `OpenAI failed: ${errorDetail(error, baseUrl)}`, { cause: error });
}

async function* openaiSpeech(client: OpenAI, text: string, options: SynthesizeOptions, settings: OpenAISpeechOptions): AsyncGenerator<Buffer> {
  const answerTimeoutMs = settings.answerTimeoutMs ?? OPENAI_SPEECH_DEFAULTS.answerTimeoutMs;
  // Ends the request when the caller stops listening, or when the body stalls.
  const request = new AbortController();
  const stop = () => request.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    const response = await client.audio.speech.create(
      {
        model: settings.model ?? OPENAI_SPEECH_DEFAULTS.model,
        voice: options.voice ?? settings.voice ?? OPENAI_SPEECH_DEFAULTS.voice,
        input: text,
        response_format: 'pcm',
      },
      { timeout: answerTimeoutMs, signal: request.signal },
    );
    if (!response.body) throw new Error('the answer has no body');
    yield* pcmAtCallRate(response.body as unknown as AsyncIterable<Uint8Array>, 'openai', OPENAI_PCM_RATE, options.sampleRate, answerTimeoutMs, stop);
  } catch (error) {
    if (options.signal?.aborted) return;
    throw failure(error, client.baseURL);
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

export function openaiSynthesizer(settings: OpenAISpeechOptions): Synthesizer {
  let client: OpenAI | undefined;
  return {
    engine: 'openai',
    synthesize(text, options) {
      if (!settings.apiKey) throw new SpeechEngineError('tts', 'openai', 'unauthorized', 'no OpenAI API key: set OPENAI_API_KEY (or --openai-key)');
      // No retries: a caller waiting in silence is better served by the speech-error's fallback.
      client ??= new OpenAI({ apiKey: settings.apiKey, maxRetries: 0, ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}) });
      return openaiSpeech(client, text, options, settings);
    },
  };
}
