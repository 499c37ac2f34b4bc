/**
 * The speech settings: which engine does each job, and each vendor's key and API base. Keys are
 * secrets (never printed); a vendor engine chosen without its key stops the server (config.ts).
 */
import { SPEECH_TO_TEXT_ENGINES, TEXT_TO_SPEECH_ENGINES, isModulePath } from './config.js';
import { oneOf, setting, urlOf, WEB_PROTOCOLS, type Setting } from './setting-parsers.js';

/** An API key: 8 to 256 printable ASCII characters without spaces. */
const apiKey = (raw: string) => (/^[\x21-\x7e]{8,256}$/.test(raw) ? raw : undefined);

export const SPEECH_SETTINGS: Setting[] = [
  setting({
    key: 'speechToText',
    env: 'STT_ENGINE',
    flag: '--stt <engine>',
    description:
      'speech-to-text engine of apps that listen (pocketsphinx: offline; deepgram, assemblyai, openai: need their API key; or your own module); see docs/speech.md',
    allowed: `${SPEECH_TO_TEXT_ENGINES.join(', ')}, or a module path such as ./my-stt.js`,
    example: 'deepgram',
    invalid: 'whisper',
    parse: (raw) => oneOf(SPEECH_TO_TEXT_ENGINES)(raw) ?? (isModulePath(raw) ? raw : undefined),
  }),
  setting({
    key: 'textToSpeech',
    env: 'TTS_ENGINE',
    flag: '--tts <engine>',
    description: 'text-to-speech engine of apps that speak (flite, espeak-ng: offline; deepgram, elevenlabs, openai: need their API key; or your own module)',
    allowed: `${TEXT_TO_SPEECH_ENGINES.join(', ')}, or a module path such as ./my-tts.js`,
    example: 'deepgram',
    invalid: 'polly',
    parse: (raw) => oneOf(TEXT_TO_SPEECH_ENGINES)(raw) ?? (isModulePath(raw) ? raw : undefined),
  }),
  setting({
    key: 'deepgramApiKey',
    secret: true,
    env: 'DEEPGRAM_API_KEY',
    flag: '--deepgram-key <key>',
    description: 'Deepgram API key, for --stt deepgram, --tts deepgram or --agent-provider deepgram',
    allowed: '8 to 256 printable ASCII characters without spaces',
    example: '0123456789abcdef0123456789abcdef01234567',
    invalid: 'short',
    parse: apiKey,
  }),
  setting({
    key: 'deepgramUrl',
    env: 'DEEPGRAM_URL',
    flag: '--deepgram-url <url>',
    description: "Deepgram's API base, for a proxy or a local server speaking its protocol (default Deepgram's own)",
    allowed: 'an absolute http(s):// or ws(s):// URL',
    example: 'http://127.0.0.1:8765',
    invalid: 'deepgram',
    parse: urlOf(WEB_PROTOCOLS),
  }),
  setting({
    key: 'elevenlabsApiKey',
    secret: true,
    env: 'ELEVENLABS_API_KEY',
    flag: '--elevenlabs-key <key>',
    description: 'ElevenLabs API key, for --tts elevenlabs or --agent-provider elevenlabs',
    allowed: '8 to 256 printable ASCII characters without spaces',
    example: '0123456789abcdef0123456789abcdef01234567',
    invalid: 'short',
    parse: apiKey,
  }),
  setting({
    key: 'elevenlabsUrl',
    env: 'ELEVENLABS_BASE_URL',
    flag: '--elevenlabs-url <url>',
    description: "ElevenLabs' API base, for a proxy or a local server speaking its protocol (default ElevenLabs' own)",
    allowed: 'an absolute http(s):// or ws(s):// URL',
    example: 'http://127.0.0.1:8765',
    invalid: 'ftp://example.com',
    parse: urlOf(WEB_PROTOCOLS),
  }),
  setting({
    key: 'openaiApiKey',
    secret: true,
    env: 'OPENAI_API_KEY',
    flag: '--openai-key <key>',
    description: 'OpenAI API key, for --stt openai, --tts openai, --agent-provider openai or cascade',
    allowed: '8 to 256 printable ASCII characters without spaces',
    example: '0123456789abcdef0123456789abcdef01234567',
    invalid: 'short',
    parse: apiKey,
  }),
  setting({
    key: 'openaiBaseUrl',
    env: 'OPENAI_BASE_URL',
    flag: '--openai-base-url <url>',
    description: "OpenAI's API base for speech (default https://api.openai.com/v1); a proxy or a server speaking its protocol",
    allowed: 'an absolute http(s):// or ws(s):// URL',
    example: 'http://127.0.0.1:8765',
    invalid: 'ftp://example.com',
    parse: urlOf(WEB_PROTOCOLS),
  }),
  setting({
    key: 'assemblyaiApiKey',
    secret: true,
    env: 'ASSEMBLYAI_API_KEY',
    flag: '--assemblyai-key <key>',
    description: 'AssemblyAI API key, for --stt assemblyai',
    allowed: '8 to 256 printable ASCII characters without spaces',
    example: '0123456789abcdef0123456789abcdef',
    invalid: 'short',
    parse: apiKey,
  }),
  setting({
    key: 'assemblyaiStreamingUrl',
    env: 'ASSEMBLYAI_STREAMING_URL',
    flag: '--assemblyai-url <url>',
    description: "AssemblyAI's streaming endpoint, for a proxy or a server speaking its protocol (default wss://streaming.assemblyai.com/v3/ws)",
    allowed: 'an absolute wss:// URL (its SDK speaks only TLS)',
    example: 'wss://127.0.0.1:8765/v3/ws',
    invalid: 'http://example.com',
    parse: urlOf(['wss:']),
  }),
];
