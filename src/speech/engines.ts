/**
 * Which engine does each job. Offline engines by default (PocketSphinx, flite: Debian packages, no
 * account; espeak-ng, the other offline voice, when chosen); a vendor's (Deepgram; AssemblyAI and OpenAI for listening; ElevenLabs and OpenAI for speech)
 * when it is chosen, with its key. The server builds this once from its settings; an app may name
 * another engine per call.
 */
import type { DeepgramOptions } from './deepgram-options.js';
import { deepgramSynthesizer } from './deepgram-synthesizer.js';
import { deepgramTranscriber } from './deepgram-transcriber.js';
import { espeakSynthesizer } from './espeak.js';
import { fliteSynthesizer } from './flite.js';
import { pocketsphinxTranscriber, type PocketSphinxOptions } from './pocketsphinx.js';
import type { Synthesizer } from './synthesizer.js';
import type { TranscriberFactory } from './transcriber.js';
import { guardSynthesizer, guardTranscriberFactory } from './guarded-engine.js';
import type { ElevenLabsSpeechOptions } from './elevenlabs-synthesizer.js';
import type { OpenAISpeechOptions } from './openai-synthesizer.js';
import type { AssemblyAIOptions } from './assemblyai-transcriber.js';
import type { OpenAITranscriptionOptions } from './openai-transcriber.js';
import { lazySynthesizer, lazyTranscriber } from './lazy-engine.js';
import type { ListenOptions } from './utterance-detector.js';

export interface SpeechEngineSettings {
  /** The default engine of each job, by name: a built-in one, or one registered (a user's module). */
  speechToText: string;
  textToSpeech: string;
  deepgramApiKey?: string | undefined;
  /** Deepgram's API base (a proxy, or a local server speaking its protocol); Deepgram's own when unset. */
  deepgramUrl?: string | undefined;
  pocketsphinx?: PocketSphinxOptions;
  /** Every call's voice activity defaults (detector, suppression); an app's listen() options win. */
  listen?: ListenOptions;
  /** Model, voice and timeouts of the Deepgram engines. */
  deepgram?: Omit<DeepgramOptions, 'apiKey' | 'baseUrl'>;
  /** The other vendors' keys and API bases (each engine's options: elevenlabs-synthesizer.ts, ...). */
  vendors?: {
    elevenlabs?: ElevenLabsSpeechOptions;
    openai?: OpenAISpeechOptions;
    assemblyai?: AssemblyAIOptions;
    openaiTranscription?: OpenAITranscriptionOptions;
  };
}

export interface SpeechEngines {
  /** Every call's voice activity defaults (docs/turn-taking.md). */
  readonly listen?: ListenOptions;
  transcriber(name?: string): TranscriberFactory;
  synthesizer(name?: string): Synthesizer;
  /**
   * Adds an engine under each of `names` (a user's module: its path and its own `engine` name). It is
   * guarded (guarded-engine.ts): whatever it does, its faults stay speech-errors of its own call.
   */
  register(job: 'stt', names: string[], engine: TranscriberFactory): void;
  register(job: 'tts', names: string[], engine: Synthesizer): void;
}

export function speechEngines(settings: Partial<SpeechEngineSettings> = {}): SpeechEngines {
  const deepgram: DeepgramOptions = { ...settings.deepgram, apiKey: settings.deepgramApiKey, baseUrl: settings.deepgramUrl };
  const transcribers = new Map<string, () => TranscriberFactory>([
    ['pocketsphinx', () => pocketsphinxTranscriber(settings.pocketsphinx)],
    ['deepgram', () => deepgramTranscriber(deepgram)],
    [
      'assemblyai',
      () => lazyTranscriber('assemblyai', async () => (await import('./assemblyai-transcriber.js')).assemblyaiTranscriber(settings.vendors?.assemblyai ?? {})),
    ],
    [
      'openai',
      () => lazyTranscriber('openai', async () => (await import('./openai-transcriber.js')).openaiTranscriber(settings.vendors?.openaiTranscription ?? {})),
    ],
  ]);
  const synthesizers = new Map<string, () => Synthesizer>([
    ['espeak-ng', () => espeakSynthesizer],
    ['flite', () => fliteSynthesizer],
    ['deepgram', () => deepgramSynthesizer(deepgram)],
    [
      'elevenlabs',
      () => lazySynthesizer('elevenlabs', async () => (await import('./elevenlabs-synthesizer.js')).elevenLabsSynthesizer(settings.vendors?.elevenlabs ?? {})),
    ],
    ['openai', () => lazySynthesizer('openai', async () => (await import('./openai-synthesizer.js')).openaiSynthesizer(settings.vendors?.openai ?? {}))],
  ]);
  // One factory per engine for the server's life: an engine limit (PocketSphinx's) counts every call.
  const made = new Map<string, unknown>();
  const pick = <T>(table: Map<string, () => T>, name: string, job: string): T => {
    const make = table.get(name);
    if (!make) throw new RangeError(`no ${job} engine "${name}"; engines: ${[...table.keys()].join(', ')}`);
    const key = `${job}:${name}`;
    if (!made.has(key)) made.set(key, make());
    return made.get(key) as T;
  };
  return {
    ...(settings.listen ? { listen: settings.listen } : {}),
    transcriber: (name = settings.speechToText ?? 'pocketsphinx') => pick(transcribers, name, 'speech-to-text'),
    synthesizer: (name = settings.textToSpeech ?? 'flite') => pick(synthesizers, name, 'text-to-speech'),
    register(job: 'stt' | 'tts', names: string[], engine: TranscriberFactory | Synthesizer) {
      if (job === 'stt') {
        const guarded = guardTranscriberFactory(engine as TranscriberFactory);
        for (const name of names) transcribers.set(name, () => guarded);
      } else {
        const guarded = guardSynthesizer(engine as Synthesizer);
        for (const name of names) synthesizers.set(name, () => guarded);
      }
    },
  };
}
