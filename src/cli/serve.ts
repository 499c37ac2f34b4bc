/**
 * `voicesocket serve`: the echo server (or another app) on :3000 with no configuration needed.
 */
import { Command, Option } from 'commander';
import { VoicesocketError } from '../errors.js';
import { BUILT_IN_APPS } from '../apps/index.js';
import type { ServerConfig } from '../server/config.js';
import { GROUP_OF, SETTINGS, SETTING_GROUPS, loadConfig, printableConfig, type RawSettings } from '../server/settings.js';
import cluster from 'node:cluster';
import { createServer, type CreateServerOptions, type VoicesocketServer } from '../server/server.js';
import { createLogger } from '../server/logger.js';
import { runPrimary } from '../scale/primary.js';
import { checkCanListen } from '../server/listen-error.js';
import { linkWorker } from '../scale/worker.js';
import { loadApp } from '../server/load-app.js';
import { ANSWER_PATHS } from '../server/answer-route.js';
import { EVENT_PATHS } from '../server/event-route.js';
import { SOCKET_PATH } from '../server/socket-url.js';
import { installShutdown } from './shutdown.js';

export interface AppFlags {
  delay?: string;
  file?: string;
  loop?: boolean;
  dir?: string;
  bargeIn?: string;
  choices?: string;
  timeout?: string;
  transcriptUrl?: string;
  instructions?: string;
  voice?: string;
  model?: string;
  agentGreeting?: string;
  agentProvider?: string;
  openaiUrl?: string;
  geminiUrl?: string;
  elevenlabsAgentId?: string;
  deepgramAgentUrl?: string;
  llmUrl?: string;
  printConfig?: boolean;
}

/**
 * Each setting's flag as commander names its value (`--rate` → `rate`), mapped to the setting's key
 * (`sampleRate`). The two names differ for several settings; reading one for the other ignored them.
 */
const SETTING_OPTIONS = SETTINGS.map((item) => ({ item, option: new Option(item.flag) }));

export function settingsFromFlags(flags: Record<string, unknown>): RawSettings {
  const raw: RawSettings = {};
  for (const { item, option } of SETTING_OPTIONS) {
    const value = flags[option.attributeName()];
    if (typeof value === 'string') raw[item.key] = value;
  }
  return raw;
}

const APP_OPTIONS = 'Apps (options of the built-in apps, docs/apps.md):';
const AGENT_OPTIONS = 'Agents (--app agent, docs/agents.md):';

/** The server's settings and the app options as flags of a command (`serve`, `dev`), grouped in `--help`. */
export function addServeOptions(command: Command): Command {
  for (const item of SETTINGS) {
    const allowed = item.key === 'app' ? `${Object.keys(BUILT_IN_APPS).join(', ')}, or a module path` : item.allowed;
    command.addOption(new Option(item.flag, `${item.description} [env ${item.env}] (${allowed})`).helpGroup(SETTING_GROUPS[GROUP_OF[item.key]]));
  }
  const grouped = (heading: string, flags: string, description: string) => command.addOption(new Option(flags, description).helpGroup(heading));
  grouped(APP_OPTIONS, '--delay <time>', 'delay-echo: the delay (default 1s)');
  grouped(APP_OPTIONS, '--file <wav>', 'play: the prompt to play (any WAV)');
  grouped(APP_OPTIONS, '--loop', 'play: repeat the prompt until a key is pressed');
  grouped(APP_OPTIONS, '--dir <path>', 'record: where to write recordings (default recordings/); transcribe: a JSONL transcript per call');
  grouped(
    APP_OPTIONS,
    '--barge-in <mode>',
    'play: what stops the prompt: dtmf (default), speech, both or none; agent: model, speech or both (default: model for openai, both for the rest)',
  );
  grouped(APP_OPTIONS, '--choices <words>', 'voice-menu: the choices, comma-separated, key 1 first (default sales,support,operator)');
  grouped(APP_OPTIONS, '--timeout <time>', 'voice-menu: silence before a re-prompt (default 6s)');
  grouped(APP_OPTIONS, '--transcript-url <url>', 'transcribe: POST each final result here as JSON');
  grouped(
    AGENT_OPTIONS,
    '--agent-provider <name>',
    'who runs the agent: openai (default; OPENAI_API_KEY), gemini (GEMINI_API_KEY), elevenlabs (ELEVENLABS_API_KEY, ELEVENLABS_AGENT_ID), deepgram (DEEPGRAM_API_KEY), cascade (--stt → a chat model at --llm-url → --tts) [env AGENT_PROVIDER]',
  );
  grouped(AGENT_OPTIONS, '--instructions <text>', "the agent's instructions");
  grouped(AGENT_OPTIONS, '--voice <name>', "the provider's voice (openai: marin; gemini: Puck; deepgram: aura-2-thalia-en; cascade: the --tts engine's)");
  grouped(
    AGENT_OPTIONS,
    '--model <name>',
    'the model (openai: gpt-realtime; gemini: a Live model; deepgram: its think model; cascade: the chat model, gpt-4o-mini)',
  );
  grouped(AGENT_OPTIONS, '--agent-greeting <text>', 'what the agent says first');
  grouped(AGENT_OPTIONS, '--openai-url <url>', "openai: the Realtime endpoint (default OpenAI's) [env OPENAI_REALTIME_URL]");
  grouped(AGENT_OPTIONS, '--gemini-url <url>', "gemini: the API base (default Google's) [env GEMINI_BASE_URL]");
  grouped(AGENT_OPTIONS, '--elevenlabs-agent-id <id>', 'elevenlabs: the agent to talk to [env ELEVENLABS_AGENT_ID]');
  grouped(AGENT_OPTIONS, '--deepgram-agent-url <url>', "deepgram: the Voice Agent API base (default Deepgram's) [env DEEPGRAM_AGENT_URL]");
  grouped(
    AGENT_OPTIONS,
    '--llm-url <url>',
    "cascade: an OpenAI-compatible chat-completions base (default OpenAI's; Ollama: http://localhost:11434/v1) [env LLM_BASE_URL]; key LLM_API_KEY or OPENAI_API_KEY",
  );
  return command;
}

export interface Serving {
  server: VoicesocketServer;
  /** `http://localhost:3000`: where this machine reaches the server. */
  base: string;
  port: number;
}

/** Loads the app, listens, and logs where everything is. */
export async function startServing(
  config: ServerConfig,
  flags: AppFlags,
  worker?: CreateServerOptions['worker'],
  extra: Pick<CreateServerOptions, 'logger'> = {},
): Promise<Serving> {
  const appOptions = {
    delay: flags.delay,
    file: flags.file,
    loop: flags.loop === true,
    dir: flags.dir,
    bargeIn: flags.bargeIn,
    choices: flags.choices,
    timeout: flags.timeout,
    transcriptUrl: flags.transcriptUrl,
    instructions: flags.instructions,
    voice: flags.voice,
    model: flags.model,
    agentGreeting: flags.agentGreeting,
    agentProvider: flags.agentProvider,
    openaiUrl: flags.openaiUrl,
    geminiUrl: flags.geminiUrl,
    elevenlabsAgentId: flags.elevenlabsAgentId,
    // The vendors' keys and bases are server settings (flag, variable or .env): the agent's provider uses them too.
    openaiApiKey: config.openaiApiKey,
    elevenlabsApiKey: config.elevenlabsApiKey,
    elevenlabsUrl: config.elevenlabsUrl,
    deepgramApiKey: config.deepgramApiKey,
    deepgramAgentUrl: flags.deepgramAgentUrl,
    llmUrl: flags.llmUrl,
    // Where the agent may transfer a caller: a server setting (server/agent-settings.ts), parsed and checked.
    transfer: config.transfer,
  };
  const { app, answer } = await loadApp(config.app, appOptions);
  const server = createServer({ config, app, ...(answer ? { answer } : {}), ...(worker ? { worker } : {}), ...extra });
  const address = await server.listen();
  const shown = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address;
  const base = `http://${shown}:${address.port}`;
  server.logger.info(
    {
      answerUrl: `${base}${ANSWER_PATHS[0]}`,
      eventUrl: `${base}${EVENT_PATHS[0]}`,
      socket: `ws://${shown}:${address.port}${SOCKET_PATH}`,
      dashboard: `${base}/`,
      softphone: `${base}/phone`,
      app: config.app,
      rate: config.sampleRate,
    },
    `voicesocket listening on ${base} — dashboard ${base}/ · softphone ${base}/phone · test call: npx voicesocket call ${base}${ANSWER_PATHS[0]} · ` +
      'for a real number: npx voicesocket dev (README: "Connect a real Vonage number")',
  );
  return { server, base, port: address.port };
}

export function serveCommand(): Command {
  const command = addServeOptions(new Command('serve').description('answer Vonage calls and run an app on each call socket (echo by default)')).option(
    '--print-config',
    'print the settings as resolved from flags, environment and .env (secrets hidden), then exit',
  );
  command.action(async (flags: Record<string, unknown> & AppFlags) => {
    const config = loadConfig(settingsFromFlags(flags));
    if (flags.printConfig) {
      process.stdout.write(`${JSON.stringify(printableConfig(config), null, 2)}\n`);
      return;
    }
    if (config.workers > 1 && cluster.isPrimary) {
      // The primary binds for its workers: a bad address is its one line, not every worker's.
      await checkCanListen(config.port, config.host);
      runPrimary(config.workers, createLogger(config.logLevel));
      return;
    }
    const { server } = await startServing(config, flags, cluster.isWorker ? linkWorker : undefined);
    if (!cluster.isWorker) installShutdown(server);
  });
  return command;
}

/** Errors that are the user's to fix by changing a setting: one line, exit 2. */
export function isUsageError(error: unknown): error is VoicesocketError {
  return error instanceof VoicesocketError && USAGE_ERRORS.has(error.code);
}

/** A setting, a port, or the Vonage account's state: each the user's to fix, so one line and exit 2. */
const USAGE_ERRORS = new Set<string>([
  'VS_ERR_CONFIG_INVALID',
  'VS_ERR_PORT_IN_USE',
  'VS_ERR_PORT_FORBIDDEN',
  'VS_ERR_HOST_UNAVAILABLE',
  'VS_ERR_VONAGE_CREDENTIALS',
  'VS_ERR_VONAGE_REFUSED',
  'VS_ERR_VONAGE_NOT_FOUND',
  'VS_ERR_INSUFFICIENT_BALANCE',
  'VS_ERR_CONFIRMATION_NEEDED',
  'VS_ERR_TUNNEL_UNAVAILABLE',
  'VS_ERR_SDK_MISSING',
  'VS_ERR_TELEPHONY_UNAVAILABLE',
  'VS_ERR_DIAL_INVALID',
  'VS_ERR_DIAL_LIST_INVALID',
  'VS_ERR_DIAL_JOURNAL',
]);
