/**
 * The settings table: one entry per setting drives its environment variable, its CLI flag, its place
 * in `--help` (by group), its validation and the settings contract test. A bad value is a coded error
 * naming the flag or variable and what it allows.
 */
import { availableParallelism } from 'node:os';
import { VoicesocketError } from '../errors.js';
import { SAMPLE_RATES, isSampleRate } from '../protocol/audio-format.js';
import { DEFAULT_CONFIG, LOG_LEVELS, checkConsistency, type ServerConfig } from './config.js';
import { nonEmpty, oneOf, setting, urlOf, WEB_PROTOCOLS, type Setting } from './setting-parsers.js';
import { SPEECH_SETTINGS } from './speech-settings.js';
import { RECORDS_SETTINGS } from './records-settings.js';
import { TELEPHONY_SETTINGS } from './telephony-settings.js';
import { TURN_SETTINGS } from './turn-settings.js';
import { AGENT_SETTINGS, checkAgentSettings } from './agent-settings.js';
import { printableUrl } from '../error-detail.js';

export type { Setting };

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
    invalid: 'x'.repeat(1501),
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
    // Not a password, but an account's identity: printed nowhere, like the other credentials.
    secret: true,
    env: 'VONAGE_API_KEY',
    flag: '--api-key <key>',
    description: 'signed requests must name this API key',
    allowed: '1 to 128 printable ASCII characters without spaces',
    example: 'abcd1234',
    invalid: 'api key',
    parse: (raw) => (/^[\x21-\x7e]{1,128}$/.test(raw) ? raw : undefined),
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
    key: 'redisSecret',
    secret: true,
    env: 'REDIS_SECRET',
    flag: '--redis-secret <secret>',
    description:
      'sign call control between instances on Redis with this shared secret (default: one derived from VONAGE_SIGNATURE_SECRET); see docs/security.md',
    // Shared by every instance and never stored in Redis: long enough not to be guessed.
    allowed: '16 to 512 printable ASCII characters without spaces',
    example: 'a-shared-redis-secret-0123',
    invalid: 'short',
    parse: (raw) => (/^[\x21-\x7e]{16,512}$/.test(raw) ? raw : undefined),
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
  ...SPEECH_SETTINGS,
  ...RECORDS_SETTINGS,
  ...TELEPHONY_SETTINGS,
  ...TURN_SETTINGS,
  ...AGENT_SETTINGS,
];

/** Where each setting is listed in `--help`: a newcomer looks for "security", not for a flag's name. */
export const SETTING_GROUPS = {
  server: 'Server:',
  calls: 'Calls and audio:',
  security: 'Security (docs/security.md):',
  speech: 'Speech (docs/speech.md):',
  agents: 'Agents (--app agent, docs/agents.md):',
  scale: 'Scale and deploys (docs/deploy.md):',
  records: 'Call records, analysis and traces (docs/records.md):',
  telephony: 'Telephony: placing calls, transfers (docs/outbound.md):',
} as const;
export type SettingGroup = keyof typeof SETTING_GROUPS;

/** Every setting's group; a Record over every key, so a new setting without a group does not compile. */
export const GROUP_OF: Record<keyof ServerConfig, SettingGroup> = {
  port: 'server',
  host: 'server',
  publicUrl: 'server',
  logLevel: 'server',
  app: 'server',
  sampleRate: 'calls',
  greeting: 'calls',
  greetingLanguage: 'calls',
  connectFrom: 'calls',
  leadMs: 'calls',
  maxCalls: 'calls',
  idleTimeoutS: 'calls',
  signatureSecret: 'security',
  apiKey: 'security',
  applicationId: 'security',
  socketToken: 'security',
  dashboardPassword: 'security',
  signatureMaxAgeS: 'security',
  speechToText: 'speech',
  textToSpeech: 'speech',
  vad: 'speech',
  noiseSuppression: 'speech',
  deepgramApiKey: 'speech',
  deepgramUrl: 'speech',
  elevenlabsApiKey: 'speech',
  elevenlabsUrl: 'speech',
  openaiApiKey: 'speech',
  openaiBaseUrl: 'speech',
  assemblyaiApiKey: 'speech',
  assemblyaiStreamingUrl: 'speech',
  agentProvider: 'agents',
  agentInstructions: 'agents',
  agentGreeting: 'agents',
  agentVoice: 'agents',
  agentModel: 'agents',
  openaiRealtimeUrl: 'agents',
  geminiApiKey: 'agents',
  geminiUrl: 'agents',
  elevenlabsAgentId: 'agents',
  deepgramAgentUrl: 'agents',
  llmUrl: 'agents',
  llmApiKey: 'agents',

  workers: 'scale',
  redisUrl: 'scale',
  redisSecret: 'scale',
  drainTimeoutS: 'scale',
  drainDelayS: 'scale',
  recordCalls: 'records',
  callRecords: 'records',
  callReportUrl: 'records',
  callReportSecret: 'records',
  callReportSpool: 'records',
  analysisModel: 'records',
  analysisUrl: 'records',
  analysisSchema: 'records',
  otelEndpoint: 'records',
  otelTracesEndpoint: 'records',
  otelProtocol: 'records',
  vonagePrivateKey: 'telephony',
  vonageApiHost: 'telephony',
  vonageNumber: 'telephony',
  ringingTimerS: 'telephony',
  lengthTimerS: 'telephony',
  machineDetection: 'telephony',
  machineBehavior: 'telephony',
  beepTimeoutS: 'telephony',
  transfer: 'agents',
  voicemail: 'agents',
};

/** Raw values by setting key, as read from flags; commander gives camelCase keys. */
export type RawSettings = Partial<Record<keyof ServerConfig, string | undefined>>;

/** Where a setting's value came from: `--print-config` says it beside each value. */
export type SettingSource = 'default' | `flag ${string}` | `environment ${string}` | `.env ${string}`;

export interface ResolvedSettings {
  config: ServerConfig;
  sources: Record<keyof ServerConfig, SettingSource>;
}

/**
 * Builds the configuration: flag, then environment (or `.env`, whose variables `loadDotEnv` put in
 * the environment: `fromDotEnv` names them), then default. Throws a CONFIG_INVALID error whose message
 * names the setting (flag or variable), the bad value and the allowed values.
 */
export function resolveSettings(flags: RawSettings = {}, env: NodeJS.ProcessEnv = process.env, fromDotEnv: ReadonlySet<string> = new Set()): ResolvedSettings {
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const sources = Object.fromEntries(Object.keys(DEFAULT_CONFIG).map((key) => [key, 'default'])) as Record<keyof ServerConfig, SettingSource>;
  for (const item of SETTINGS) {
    const fromFlag = flags[item.key];
    // A variable set to nothing (`OPENAI_API_KEY=` in a .env) is a setting left unset, not a bad value.
    const variable = [item.env, ...(item.aliases ?? [])].find((name) => env[name] !== undefined && env[name] !== '');
    const raw = fromFlag ?? (variable !== undefined ? env[variable] : undefined);
    if (raw === undefined) continue;
    const source: SettingSource =
      fromFlag !== undefined ? `flag ${item.flag.split(' ')[0]!}` : fromDotEnv.has(variable!) ? `.env ${variable!}` : `environment ${variable!}`;
    const value = item.parse(raw);
    if (value === undefined) {
      const named = fromFlag !== undefined ? item.flag.split(' ')[0]! : variable!;
      // A secret's value is not repeated: error lines end up in logs.
      const shown = item.secret ? `${named} (${raw.length} characters)` : `${named}=${JSON.stringify(raw)}`;
      throw new VoicesocketError('CONFIG_INVALID', `${shown}${source.startsWith('.env') ? ' in .env' : ''} is not allowed; expected ${item.allowed}`);
    }
    config[item.key] = value;
    sources[item.key] = source;
  }
  const checked = checkConsistency(config as unknown as ServerConfig);
  checkAgentSettings(checked);
  return { config: checked, sources };
}

/** The configuration, from flags, the environment (and `.env`) and the defaults; see `resolveSettings`. */
export function loadConfig(flags: RawSettings = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  return resolveSettings(flags, env).config;
}

/** A URL as it may be printed: a password in it (a proxy's `https://user:pass@…`) is hidden. */
function withoutPassword(value: unknown): unknown {
  if (typeof value !== 'string' || !/^[a-z]+:\/\/[^/]*@/i.test(value)) return value;
  try {
    const url = new URL(value);
    url.password = url.password ? '***' : '';
    return url.toString();
  } catch {
    return printableUrl(value);
  }
}

/**
 * The settings as `serve --print-config` shows them: each value (secrets replaced by a note that they
 * are set, passwords in URLs hidden) with where it came from.
 */
export function printableConfig({ config, sources }: ResolvedSettings): Record<string, { value: unknown; from: SettingSource }> {
  const shown: Record<string, { value: unknown; from: SettingSource }> = {};
  const secret = new Set(SETTINGS.filter((item) => item.secret).map((item) => item.key));
  for (const key of Object.keys(config) as Array<keyof ServerConfig>) {
    const value = config[key];
    // null, not undefined: JSON keeps the key, and an unset setting shows as one.
    shown[key] = { value: value === undefined ? null : secret.has(key) ? '(set)' : withoutPassword(value), from: sources[key] };
  }
  return shown;
}
