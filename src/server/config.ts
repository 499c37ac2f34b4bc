/**
 * Server configuration: its shape, its defaults (each with why), and the rules between settings. How a
 * value gets here from a flag, the environment or `.env` is the settings table (settings.ts).
 */
import { VoicesocketError } from '../errors.js';
import { requireEngineSdks } from '../vendor-sdk.js';
import { DEFAULT_SAMPLE_RATE, type SampleRate } from '../protocol/audio-format.js';
import { DEFAULT_RECORDS_CONFIG, type RecordsConfig } from './records-config.js';
import type { VadName } from '../speech/speech-detector.js';
import { SILERO_MISSING, sileroPackagePath } from '../speech/silero-vad.js';
import type { NamedDestination } from '../telephony/destinations.js';
import type { VoicemailPolicy } from '../telephony/voicemail-policy.js';
import type { AgentProviderName } from '../apps/agent-providers.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The call records' settings are their own area (records-config.ts, docs/records.md). */
export interface ServerConfig extends RecordsConfig {
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
  /** Signs call control between instances on Redis; VONAGE_SIGNATURE_SECRET's derived key when unset (docs/security.md). */
  redisSecret: string | undefined;
  /** Speech-to-text engine of apps that transcribe: a built-in one, or the path of a user's module (docs/speech.md). */
  speechToText: SpeechToTextEngine | string;
  /** Text-to-speech engine of apps that speak: a built-in one, or the path of a user's module. */
  textToSpeech: TextToSpeechEngine | string;
  /** The caller's voice activity detector (docs/turn-taking.md). */
  vad: VadName;
  /** RNNoise in front of the detector and the transcribers. */
  noiseSuppression: boolean;
  /** Deepgram API key, needed when a Deepgram engine is chosen. */
  deepgramApiKey: string | undefined;
  /** Deepgram's API base (a proxy, or a server speaking its protocol); Deepgram's own when unset. */
  deepgramUrl: string | undefined;
  /** The other vendors' keys and API bases, for their engines and agents (docs/speech.md, docs/agents.md). */
  elevenlabsApiKey: string | undefined;
  elevenlabsUrl: string | undefined;
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  assemblyaiApiKey: string | undefined;
  assemblyaiStreamingUrl: string | undefined;
  /** The Vonage application's private key (PEM), with `applicationId`: this server can place, transfer and send DTMF into calls (docs/outbound.md). */
  vonagePrivateKey: string | undefined;
  /** Vonage's Voice API base (a region, or the emulator); Vonage's own when unset. */
  vonageApiHost: string | undefined;
  /** Caller ID of the calls this server places: a number of the account (digits). */
  vonageNumber: string | undefined;
  /** How long a dialled phone may ring, s (Vonage's `ringing_timer`). */
  ringingTimerS: number;
  /** Longest a dialled call may last, s (Vonage's `length_timer`). */
  lengthTimerS: number;
  /** Vonage's advanced machine detection on dialled calls: off, or its mode (docs/outbound.md). */
  machineDetection: 'off' | 'detect' | 'detect-beep' | 'async';
  /** What Vonage does when a machine answers: go on (the app decides), or hang up. */
  machineBehavior: 'continue' | 'hangup';
  /** How long detection waits for a machine's beep, s (45 to 120; Vonage's default when unset). */
  beepTimeoutS: number | undefined;
  /** Where the agent app may transfer a caller, by name (docs/agents.md); none: no transfer tool. */
  transfer: NamedDestination[] | undefined;
  /** What the agent app does when a machine answers a dialled call (docs/outbound.md); unset: hang up. */
  voicemail: VoicemailPolicy | undefined;
  /** The agent app's (`--app agent`, docs/agents.md): its provider, what it is told, each provider's endpoint and key. */
  agentProvider: AgentProviderName;
  agentInstructions: string | undefined;
  agentGreeting: string | undefined;
  agentVoice: string | undefined;
  agentModel: string | undefined;
  openaiRealtimeUrl: string | undefined;
  geminiApiKey: string | undefined;
  geminiUrl: string | undefined;
  elevenlabsAgentId: string | undefined;
  deepgramAgentUrl: string | undefined;
  llmUrl: string | undefined;
  llmApiKey: string | undefined;
}

export const SPEECH_TO_TEXT_ENGINES = ['pocketsphinx', 'deepgram', 'assemblyai', 'openai'] as const;
export const TEXT_TO_SPEECH_ENGINES = ['espeak-ng', 'flite', 'deepgram', 'elevenlabs', 'openai'] as const;
export type SpeechToTextEngine = (typeof SPEECH_TO_TEXT_ENGINES)[number];
export type TextToSpeechEngine = (typeof TEXT_TO_SPEECH_ENGINES)[number];

/** A user's module rather than an engine's name: a path (it has a slash) or a script file name. */
export function isModulePath(name: string): boolean {
  return /[\\/]/.test(name) || /\.(c|m)?[jt]s$/.test(name);
}

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
  redisSecret: undefined,
  // Offline engines by default: Debian packages, no account, nothing leaves the machine.
  speechToText: 'pocketsphinx',
  textToSpeech: 'flite',
  // WebRTC's until the turns benchmark says Silero is better on every noisy set (docs/turn-taking.md).
  vad: 'webrtc',
  // Off: it costs ~4 % of a core per call and delays the detector 20 ms; docs/turn-taking.md has what it buys.
  noiseSuppression: false,
  deepgramApiKey: undefined,
  deepgramUrl: undefined,
  elevenlabsApiKey: undefined,
  elevenlabsUrl: undefined,
  openaiApiKey: undefined,
  openaiBaseUrl: undefined,
  assemblyaiApiKey: undefined,
  assemblyaiStreamingUrl: undefined,
  ...DEFAULT_RECORDS_CONFIG,
  vonagePrivateKey: undefined,
  vonageApiHost: undefined,
  vonageNumber: undefined,
  // Vonage's own defaults: a minute of ringing, two hours of call.
  ringingTimerS: 60,
  lengthTimerS: 7200,
  // Advanced machine detection is charged per call: asked for, never assumed.
  machineDetection: 'off',
  machineBehavior: 'continue',
  beepTimeoutS: undefined,
  // No destination unless the operator names one: a model must never choose where a call goes.
  transfer: undefined,
  voicemail: undefined,
  // OpenAI's Realtime API is where the agent app began; the others are a flag away.
  agentProvider: 'openai',
  // Unset: the app's own defaults (src/apps/agent.ts), and each provider's.
  agentInstructions: undefined,
  agentGreeting: undefined,
  agentVoice: undefined,
  agentModel: undefined,
  openaiRealtimeUrl: undefined,
  geminiApiKey: undefined,
  geminiUrl: undefined,
  elevenlabsAgentId: undefined,
  deepgramAgentUrl: undefined,
  llmUrl: undefined,
  llmApiKey: undefined,
};

/** Each vendor engine's key: the engine, its setting, its variable and flag. */
const VENDOR_KEYS = [
  ['deepgram', 'deepgramApiKey', 'DEEPGRAM_API_KEY', '--deepgram-key'],
  ['elevenlabs', 'elevenlabsApiKey', 'ELEVENLABS_API_KEY', '--elevenlabs-key'],
  ['openai', 'openaiApiKey', 'OPENAI_API_KEY', '--openai-key'],
  ['assemblyai', 'assemblyaiApiKey', 'ASSEMBLYAI_API_KEY', '--assemblyai-key'],
] as const;

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
  // A vendor engine without its key would fail on every call: the server does not start.
  for (const [vendor, key, variable, flag] of VENDOR_KEYS) {
    const jobs = [result.speechToText === vendor ? '--stt' : '', result.textToSpeech === vendor ? '--tts' : ''].filter(Boolean);
    if (jobs.length > 0 && result[key] === undefined)
      throw new VoicesocketError('CONFIG_INVALID', `${jobs.join(' and ')} ${vendor} needs ${variable} (or ${flag})`);
  }
  // Nor without its SDK, an optional dependency (src/vendor-sdk.ts).
  requireEngineSdks(result.speechToText, result.textToSpeech);
  // Silero's optional package not installed: every call would fall back to no detection.
  if (result.vad === 'silero' && sileroPackagePath() === undefined) throw new VoicesocketError('CONFIG_INVALID', `--vad silero: ${SILERO_MISSING}`);
  return result;
}
