/**
 * Server configuration: one table of settings drives the environment variables, the CLI flags, the
 * `--help` text and validation. A bad value is a coded error naming the setting and what it allows.
 */
import { availableParallelism } from 'node:os';
import { VoicesocketError } from '../errors.js';
import { DEFAULT_SAMPLE_RATE, SAMPLE_RATES, isSampleRate, type SampleRate } from '../protocol/audio-format.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerConfig {
  port: number;
  host: string;
  /** Overrides the socket URL derived from the answer request (e.g. `https://abc.example.com`). */
  publicUrl: string | undefined;
  sampleRate: SampleRate;
  greeting: string;
  greetingLanguage: string;
  /** `from` of the connect action; the number that was called when unset. */
  connectFrom: string | undefined;
  logLevel: LogLevel;
  /** A built-in app name, or a path to a module whose default export is an app. */
  app: string;
  /** How far ahead of Vonage's playout paced audio is sent, ms. */
  leadMs: number;
  /** Vonage signature secret: answer/event webhooks must be signed, and sockets authenticate with a Vonage JWT. */
  signatureSecret: string | undefined;
  /** When set, signed requests must name this API key. */
  apiKey: string | undefined;
  /** When set, signed requests that name an application must name this one. */
  applicationId: string | undefined;
  /** A shared token the socket upgrade must carry (`Authorization: Bearer <token>`); Vonage sends it via the NCCO's custom authorization. */
  socketToken: string | undefined;
  /** Password of the dashboard and its APIs when the server is not open (HTTP Basic). */
  dashboardPassword: string | undefined;
  /** Allowed age of a signed request, s (and the replay window). */
  signatureMaxAgeS: number;
  /** Concurrent call sockets; past this, upgrades get 503. */
  maxCalls: number;
  /** A call socket with no message for this long is closed, s. */
  idleTimeoutS: number;
  /** On SIGTERM, how long calls in progress may go on before they are closed, s (docs/deploy.md). */
  drainTimeoutS: number;
  /** On SIGTERM, how long new call sockets are still taken while a load balancer notices /readyz, s. */
  drainDelayS: number;
  /** Processes serving one port (`auto`: one per core); 1 runs in this process. */
  workers: number;
  /** Redis shared by several instances (`redis://` or `rediss://`); unset: this instance alone. */
  redisUrl: string | undefined;
  /** Speech-to-text engine of apps that transcribe (docs/speech.md). */
  speechToText: SpeechToTextEngine;
  /** Text-to-speech engine of apps that speak. */
  textToSpeech: TextToSpeechEngine;
  /** Deepgram API key, needed when a Deepgram engine is chosen. */
  deepgramApiKey: string | undefined;
  /** Deepgram's API base (a proxy, or a server speaking its protocol); Deepgram's own when unset. */
  deepgramUrl: string | undefined;
}

export const SPEECH_TO_TEXT_ENGINES = ['pocketsphinx', 'deepgram'] as const;
export const TEXT_TO_SPEECH_ENGINES = ['espeak-ng', 'deepgram'] as const;
export type SpeechToTextEngine = (typeof SPEECH_TO_TEXT_ENGINES)[number];
export type TextToSpeechEngine = (typeof TEXT_TO_SPEECH_ENGINES)[number];

/** The tutorial's greeting, kept so a caller of the original demo hears the same thing. */
export const DEFAULT_GREETING = 'Please wait while we connect you to the echo server';

export const DEFAULT_CONFIG: ServerConfig = {
  port: 3000,
  // All interfaces: Vonage (or the tunnel in front of us) must reach the server.
  host: '0.0.0.0',
  publicUrl: undefined,
  sampleRate: DEFAULT_SAMPLE_RATE,
  greeting: DEFAULT_GREETING,
  greetingLanguage: 'en-US',
  connectFrom: undefined,
  logLevel: 'info',
  app: 'echo',
  leadMs: 200,
  signatureSecret: undefined,
  apiKey: undefined,
  applicationId: undefined,
  socketToken: undefined,
  dashboardPassword: undefined,
  signatureMaxAgeS: 300,
  // A 2-core machine runs ~1 000 echo calls per core; 2 000 leaves headroom yet stops a flood.
  maxCalls: 2000,
  // Vonage sends a frame every 20 ms, silence included: 30 s without one is a dead peer.
  idleTimeoutS: 30,
  // Kubernetes' default grace period is 30 s; set terminationGracePeriodSeconds above delay + timeout.
  drainTimeoutS: 20,
  // Only a load balancer needs it (the time it takes to see /readyz fail), and it is orthogonal to the
  // calls in progress: by default a stop waits for no one; behind a balancer set it (deploy/ sets 5).
  drainDelayS: 0,
  workers: 1,
  redisUrl: undefined,
  // Offline engines by default: Debian packages, no account, nothing leaves the machine.
  speechToText: 'pocketsphinx',
  textToSpeech: 'espeak-ng',
  deepgramApiKey: undefined,
  deepgramUrl: undefined,
};

type Parser<T> = (raw: string) => T | undefined;

export interface Setting<K extends keyof ServerConfig = keyof ServerConfig> {
  key: K;
  env: string;
  flag: string;
  description: string;
  allowed: string;
  parse: Parser<ServerConfig[K]>;
  /** A valid value other than the default, and one that must be refused: the settings contract test runs both for every setting. */
  example: string;
  invalid: string;
  /** Never printed (`serve --print-config` shows only that it is set). */
  secret?: boolean;
}

function setting<K extends keyof ServerConfig>(value: Setting<K>): Setting<K> {
  return value;
}

const nonEmpty: Parser<string> = (raw) => (raw.trim() === '' ? undefined : raw);

const WEB_PROTOCOLS = ['http:', 'https:', 'ws:', 'wss:'];

/** An absolute URL with one of these schemes and a host. */
function urlOf(protocols: string[]): Parser<string> {
  return (raw) => {
    try {
      const url = new URL(raw);
      return protocols.includes(url.protocol) && url.hostname !== '' ? raw : undefined;
    } catch {
      return undefined;
    }
  };
}

function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => ((values as readonly string[]).includes(raw) ? (raw as T) : undefined);
}

export const SETTINGS: Setting[] = [
  setting({
    key: 'port',
    env: 'PORT',
    flag: '--port <number>',
    description: 'TCP port to listen on',
    allowed: 'an integer from 0 to 65535',
    example: '3123',
    invalid: '70000',
    parse: (raw) => (/^\d+$/.test(raw) && Number(raw) <= 65535 ? Number(raw) : undefined),
  }),
  setting({
    key: 'host',
    env: 'HOST',
    flag: '--host <address>',
    description: 'address to listen on',
    allowed: 'a host name or IP address',
    example: '127.0.0.1',
    invalid: ' ',
    parse: nonEmpty,
  }),
  setting({
    key: 'publicUrl',
    env: 'PUBLIC_URL',
    flag: '--public-url <url>',
    description: 'public base URL of this server (the tunnel or proxy); the socket URL in the NCCO is derived from it',
    allowed: 'an absolute http(s):// or ws(s):// URL',
    example: 'https://voice.example.com',
    invalid: 'ftp://example.com',
    parse: urlOf(WEB_PROTOCOLS),
  }),
  setting({
    key: 'sampleRate',
    env: 'AUDIO_RATE',
    flag: '--rate <hz>',
    description: 'audio sample rate asked for in the NCCO',
    allowed: SAMPLE_RATES.join(', '),
    example: '8000',
    invalid: '9999',
    parse: (raw) => {
      const rate = Number(raw);
      return isSampleRate(rate) ? rate : undefined;
    },
  }),
  setting({
    key: 'greeting',
    env: 'GREETING',
    flag: '--greeting <text>',
    description: 'text spoken before connecting',
    allowed: '1 to 1500 characters',
    example: 'Hello there',
    invalid: '',
    parse: (raw) => (raw.length >= 1 && raw.length <= 1500 ? raw : undefined),
  }),
  setting({
    key: 'greetingLanguage',
    env: 'GREETING_LANGUAGE',
    flag: '--greeting-language <bcp47>',
    description: 'language of the greeting',
    allowed: 'a BCP-47 tag such as en-US',
    example: 'en-GB',
    invalid: 'english please',
    parse: (raw) => (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(raw) ? raw : undefined),
  }),
  setting({
    key: 'connectFrom',
    env: 'CONNECT_FROM',
    flag: '--from <number>',
    description: 'caller ID of the websocket leg (default: the number that was called)',
    allowed: 'a phone number, digits only (E.164 without +)',
    example: '447700900000',
    invalid: '+44 7700',
    parse: (raw) => (/^\d{1,15}$/.test(raw) ? raw : undefined),
  }),
  setting({
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: '--log-level <level>',
    description: 'log level',
    allowed: LOG_LEVELS.join(', '),
    example: 'debug',
    invalid: 'loud',
    parse: oneOf(LOG_LEVELS),
  }),
  setting({
    key: 'app',
    env: 'APP',
    flag: '--app <name|path>',
    description: 'what to do with each call: a built-in app, or a module (.js/.mjs, or .ts with tsx installed) whose default export is an app',
    allowed: 'a built-in app name or a module path',
    example: 'delay-echo',
    invalid: ' ',
    parse: nonEmpty,
  }),
  setting({
    key: 'signatureSecret',
    secret: true,
    env: 'VONAGE_SIGNATURE_SECRET',
    flag: '--signature-secret <secret>',
    description: 'verify signed webhooks and authenticate sockets with this Vonage signature secret',
    allowed: 'a non-empty string of at most 512 characters',
    example: 's3cret-signature',
    invalid: 'x'.repeat(513),
    parse: (raw) => (raw.length > 0 && raw.length <= 512 ? raw : undefined),
  }),
  setting({
    key: 'apiKey',
    env: 'VONAGE_API_KEY',
    flag: '--api-key <key>',
    description: 'signed requests must name this API key',
    allowed: 'a non-empty string',
    example: 'abcd1234',
    invalid: ' ',
    parse: nonEmpty,
  }),
  setting({
    key: 'applicationId',
    env: 'VONAGE_APPLICATION_ID',
    flag: '--application-id <id>',
    description: 'signed requests naming an application must name this one',
    allowed: 'a non-empty string',
    example: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    invalid: ' ',
    parse: nonEmpty,
  }),
  setting({
    key: 'socketToken',
    secret: true,
    env: 'SOCKET_TOKEN',
    flag: '--socket-token <token>',
    description: 'shared token the socket upgrade must carry (sent by Vonage through custom authorization)',
    // The NCCO carries it as a header value: printable ASCII, and long enough not to be guessed.
    allowed: '16 to 512 printable ASCII characters without spaces',
    example: 'a-long-shared-token-0123456789',
    invalid: 'short',
    parse: (raw) => (/^[\x21-\x7e]{16,512}$/.test(raw) ? raw : undefined),
  }),
  setting({
    key: 'dashboardPassword',
    secret: true,
    env: 'DASHBOARD_PASSWORD',
    flag: '--dashboard-password <password>',
    description: 'with verified webhooks, the dashboard and /api/* need this password (HTTP Basic); without it they answer this machine only',
    allowed: '12 to 256 printable characters',
    example: 'a-dashboard-password',
    invalid: 'short',
    parse: (raw) => (/^[\x20-\x7e]{12,256}$/.test(raw) ? raw : undefined),
  }),
  setting({
    key: 'signatureMaxAgeS',
    env: 'SIGNATURE_MAX_AGE',
    flag: '--signature-max-age <s>',
    description: 'allowed age of a signed request, and the replay window',
    allowed: 'an integer from 10 to 3600',
    example: '60',
    invalid: '5',
    parse: (raw) => (/^\d+$/.test(raw) && Number(raw) >= 10 && Number(raw) <= 3600 ? Number(raw) : undefined),
  }),
  setting({
    key: 'maxCalls',
    env: 'MAX_CALLS',
    flag: '--max-calls <n>',
    description: 'concurrent call sockets; more get 503',
    allowed: 'an integer from 1 to 100000',
    example: '10',
    invalid: '0',
    parse: (raw) => (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 100_000 ? Number(raw) : undefined),
  }),
  setting({
    key: 'idleTimeoutS',
    env: 'IDLE_TIMEOUT',
    flag: '--idle-timeout <s>',
    description: 'close a call socket silent for this long',
    allowed: 'an integer from 1 to 3600',
    example: '12',
    invalid: '0',
    parse: (raw) => (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 3600 ? Number(raw) : undefined),
  }),
  setting({
    key: 'workers',
    env: 'WORKERS',
    flag: '--workers <n|auto>',
    description: 'worker processes serving the one port (auto: one per core); see docs/deploy.md',
    allowed: 'an integer from 1 to 64, or auto',
    example: '2',
    invalid: '0',
    parse: (raw) => (raw === 'auto' ? availableParallelism() : /^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 64 ? Number(raw) : undefined),
  }),
  setting({
    key: 'redisUrl',
    env: 'REDIS_URL',
    flag: '--redis <url>',
    description: 'share the call registry and call control with other instances through this Redis; see docs/deploy.md',
    allowed: 'a redis:// or rediss:// URL',
    example: 'redis://127.0.0.1:6379',
    invalid: 'http://127.0.0.1:6379',
    // The URL may carry a password: error lines do not repeat it.
    secret: true,
    parse: urlOf(['redis:', 'rediss:']),
  }),
  setting({
    key: 'drainTimeoutS',
    env: 'DRAIN_TIMEOUT',
    flag: '--drain-timeout <s>',
    description: 'on SIGTERM, let calls in progress go on this long before closing them (1001)',
    allowed: 'an integer from 0 to 86400',
    example: '120',
    invalid: '-1',
    parse: (raw) => (/^\d+$/.test(raw) && Number(raw) <= 86_400 ? Number(raw) : undefined),
  }),
  setting({
    key: 'drainDelayS',
    env: 'DRAIN_DELAY',
    flag: '--drain-delay <s>',
    description: 'on SIGTERM, keep taking new call sockets this long while /readyz says 503 (behind a load balancer: its time to notice)',
    allowed: 'an integer from 0 to 600',
    example: '10',
    invalid: '1s',
    parse: (raw) => (/^\d+$/.test(raw) && Number(raw) <= 600 ? Number(raw) : undefined),
  }),
  setting({
    key: 'leadMs',
    env: 'PACER_LEAD_MS',
    flag: '--lead <ms>',
    description: 'how far ahead of playout paced audio is sent',
    // Under one frame cannot absorb any jitter; past 10 s, barge-in would have a lot to discard.
    allowed: 'an integer from 20 to 10000',
    example: '120',
    invalid: '10',
    parse: (raw) => (/^\d+$/.test(raw) && Number(raw) >= 20 && Number(raw) <= 10_000 ? Number(raw) : undefined),
  }),
  setting({
    key: 'speechToText',
    env: 'STT_ENGINE',
    flag: '--stt <engine>',
    description: 'speech-to-text engine of apps that listen (pocketsphinx: offline; deepgram: needs DEEPGRAM_API_KEY); see docs/speech.md',
    allowed: SPEECH_TO_TEXT_ENGINES.join(', '),
    example: 'deepgram',
    invalid: 'whisper',
    parse: oneOf(SPEECH_TO_TEXT_ENGINES),
  }),
  setting({
    key: 'textToSpeech',
    env: 'TTS_ENGINE',
    flag: '--tts <engine>',
    description: 'text-to-speech engine of apps that speak (espeak-ng: offline; deepgram: needs DEEPGRAM_API_KEY)',
    allowed: TEXT_TO_SPEECH_ENGINES.join(', '),
    example: 'deepgram',
    invalid: 'polly',
    parse: oneOf(TEXT_TO_SPEECH_ENGINES),
  }),
  setting({
    key: 'deepgramApiKey',
    secret: true,
    env: 'DEEPGRAM_API_KEY',
    flag: '--deepgram-key <key>',
    description: 'Deepgram API key, for --stt deepgram or --tts deepgram',
    allowed: '8 to 256 printable ASCII characters without spaces',
    example: '0123456789abcdef0123456789abcdef01234567',
    invalid: 'short',
    parse: (raw) => (/^[\x21-\x7e]{8,256}$/.test(raw) ? raw : undefined),
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
];

/** Raw values by setting key, as read from flags; commander gives camelCase keys. */
export type RawSettings = Partial<Record<keyof ServerConfig, string | undefined>>;

/**
 * Builds the configuration: flag, then environment, then default. Throws a CONFIG_INVALID error whose
 * message names the setting (flag and variable), the bad value and the allowed values.
 */
export function loadConfig(flags: RawSettings = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const item of SETTINGS) {
    const fromFlag = flags[item.key];
    const raw = fromFlag ?? env[item.env];
    if (raw === undefined) continue;
    const value = item.parse(raw);
    if (value === undefined) {
      const source = fromFlag !== undefined ? item.flag.split(' ')[0] : item.env;
      // A secret's value is not repeated: error lines end up in logs.
      const shown = item.secret ? `${source} (${raw.length} characters)` : `${source}=${JSON.stringify(raw)}`;
      throw new VoicesocketError('CONFIG_INVALID', `${shown} is not allowed; expected ${item.allowed}`);
    }
    config[item.key] = value;
  }
  return checkConsistency(config as unknown as ServerConfig);
}

/** Rules between settings, for `loadConfig` and for library users who build a config by hand. */
export function checkConsistency(result: ServerConfig): ServerConfig {
  // The NCCO carries the socket token to whoever fetches the answer URL: without verified webhooks
  // that is anyone, and the token would open sockets for them (docs/security.md).
  if (result.socketToken !== undefined && result.signatureSecret === undefined) {
    throw new VoicesocketError(
      'CONFIG_INVALID',
      '--socket-token (SOCKET_TOKEN) needs --signature-secret (VONAGE_SIGNATURE_SECRET): the token travels in the answer NCCO, and unverified answer requests would hand it to anyone',
    );
  }
  const deepgramFor = [result.speechToText === 'deepgram' ? '--stt' : '', result.textToSpeech === 'deepgram' ? '--tts' : ''].filter(Boolean);
  if (deepgramFor.length > 0 && result.deepgramApiKey === undefined) {
    throw new VoicesocketError(
      'CONFIG_INVALID',
      `${deepgramFor.join(' and ')} deepgram needs DEEPGRAM_API_KEY (or --deepgram-key): the Deepgram console makes one under "API Keys"`,
    );
  }
  return result;
}

/** The configuration as `serve --print-config` shows it: secrets replaced by a note that they are set. */
export function printableConfig(config: ServerConfig): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...config };
  for (const item of SETTINGS) if (item.secret && shown[item.key] !== undefined) shown[item.key] = '(set)';
  return shown;
}
