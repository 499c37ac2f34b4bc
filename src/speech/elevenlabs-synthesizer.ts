/**
 * ElevenLabs text to speech through its official SDK (`@elevenlabs/elevenlabs-js`,
 * `textToSpeech.stream`, pointed elsewhere by `baseUrl`): raw PCM asked for at the call's own rate
 * (`pcm_8000`, `pcm_16000`, `pcm_24000`: nothing to resample), yielded as it streams. A refused key is
 * `unauthorized`, no answer or a body that stalls is `timeout`, the rest `failed`: each a speech-error
 * of its own call.
 */
import { ElevenLabsClient, ElevenLabsError } from '@elevenlabs/elevenlabs-js';
import { errorDetail } from '../error-detail.js';
import { pcmAtCallRate } from './pcm-stream.js';
import { SpeechEngineError } from './speech-events.js';
import type { SynthesizeOptions, Synthesizer } from './synthesizer.js';

export interface ElevenLabsSpeechOptions {
  apiKey?: string | undefined;
  /** The API base (a proxy, or a local server speaking its protocol); ElevenLabs' own when unset. */
  baseUrl?: string | undefined;
  /** Default voice id (default `JBFqnCBsd6RMkjVDRZzb`, the one ElevenLabs' own examples use). */
  voice?: string;
  /** Model (default `eleven_flash_v2_5`: its low-latency model). */
  model?: string;
  /** No audio for this long is a stalled engine, ms (default 5000). */
  answerTimeoutMs?: number;
}

export const ELEVENLABS_DEFAULTS = { voice: 'JBFqnCBsd6RMkjVDRZzb', model: 'eleven_flash_v2_5', answerTimeoutMs: 5000 } as const;
/** The PCM rates ElevenLabs streams; a call rate among them needs no resampling. */
const PCM_RATES = [8000, 16000, 22050, 24000, 44100];
/** The SDK's own base, named in a line that says it could not be reached. */
const ELEVENLABS_API_BASE = 'https://api.elevenlabs.io';

function failure(error: unknown, baseUrl: string): SpeechEngineError {
  if (error instanceof SpeechEngineError) return error;
  if (error instanceof ElevenLabsError && (error.statusCode === 401 || error.statusCode === 403))
    return new SpeechEngineError('tts', 'elevenlabs', 'unauthorized', `ElevenLabs refused the API key (${error.statusCode})`, { cause: error });
  const message = errorDetail(error, baseUrl);
  if (/timed? ?out/i.test(message)) return new SpeechEngineError('tts', 'elevenlabs', 'timeout', `ElevenLabs did not answer: ${message}`, { cause: error });
  return new SpeechEngineError('tts', 'elevenlabs', 'failed', `ElevenLabs failed: ${message}`, { cause: error });
}

async function* elevenLabsSpeech(
  client: ElevenLabsClient,
  text: string,
  options: SynthesizeOptions,
  settings: ElevenLabsSpeechOptions,
): AsyncGenerator<Buffer> {
  const rate = PCM_RATES.includes(options.sampleRate) ? options.sampleRate : 16000;
  const answerTimeoutMs = settings.answerTimeoutMs ?? ELEVENLABS_DEFAULTS.answerTimeoutMs;
  // Ends the request when the caller stops listening, or when the body stalls.
  const request = new AbortController();
  const stop = () => request.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    const body = await client.textToSpeech.stream(
      options.voice ?? settings.voice ?? ELEVENLABS_DEFAULTS.voice,
      { text, modelId: settings.model ?? ELEVENLABS_DEFAULTS.model, outputFormat: `pcm_${rate}` as never },
      { maxRetries: 0, timeoutInSeconds: answerTimeoutMs / 1000, abortSignal: request.signal },
    );
    yield* pcmAtCallRate(body as unknown as AsyncIterable<Uint8Array>, 'elevenlabs', rate, options.sampleRate, answerTimeoutMs, stop);
  } catch (error) {
    if (options.signal?.aborted) return;
    throw failure(error, settings.baseUrl ?? ELEVENLABS_API_BASE);
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

export function elevenLabsSynthesizer(settings: ElevenLabsSpeechOptions): Synthesizer {
  let client: ElevenLabsClient | undefined;
  return {
    engine: 'elevenlabs',
    synthesize(text, options) {
      if (!settings.apiKey)
        throw new SpeechEngineError('tts', 'elevenlabs', 'unauthorized', 'no ElevenLabs API key: set ELEVENLABS_API_KEY (or --elevenlabs-key)');
      client ??= new ElevenLabsClient({ apiKey: settings.apiKey, ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}) });
      return elevenLabsSpeech(client, text, options, settings);
    },
  };
}
