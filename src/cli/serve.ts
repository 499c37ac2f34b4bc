/**
 * `voicesocket serve`: the echo server (or another app) on :3000 with no configuration needed.
 */
import { Command, Option } from 'commander';
import { VoicesocketError } from '../errors.js';
import { BUILT_IN_APPS } from '../apps/index.js';
import type { ServerConfig } from '../server/config.js';
import { GROUP_OF, SETTINGS, SETTING_GROUPS, printableConfig, resolveSettings, type RawSettings, type ResolvedSettings } from '../server/settings.js';
import { loadSpeechModules } from '../server/load-engine.js';
import { speechEngines } from '../speech/engines.js';
import { APP_OPTIONS } from './app-options.js';
import { loadedFromDotEnv } from './env-file.js';
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
import { withConversationLines } from './conversation-lines.js';

/** The app options as commander gives them (`--barge-in` → `bargeIn`); `--print-config` is serve's own. */
export type AppFlags = Partial<Record<string, string | boolean>> & { printConfig?: boolean };

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
    // A flag of several words (`--voicemail leave "<message>"`).
    else if (Array.isArray(value)) raw[item.key] = value.join(' ');
  }
  return raw;
}

const APP_OPTIONS_GROUP = 'Apps (options of the built-in apps, docs/apps.md):';

/** The server's settings and the app options as flags of a command (`serve`, `dev`), grouped in `--help`. */
export function addServeOptions(command: Command): Command {
  for (const item of SETTINGS) {
    const allowed = item.key === 'app' ? `${Object.keys(BUILT_IN_APPS).join(', ')}, or a module path` : item.allowed;
    const variables = [item.env, ...(item.aliases ?? [])].join(' or ');
    command.addOption(new Option(item.flag, `${item.description} [env ${variables}] (${allowed})`).helpGroup(SETTING_GROUPS[GROUP_OF[item.key]]));
  }
  for (const option of APP_OPTIONS) {
    const description = `${option.apps.join(', ')}: ${option.description}${option.default ? ` (default ${option.default})` : ''}`;
    command.addOption(new Option(option.flag, description).helpGroup(APP_OPTIONS_GROUP));
  }
  return command;
}

/** What the app is given: its own options from their flags, and the agent's settings (flag, variable or .env). */
export function appOptionsOf(config: ServerConfig, flags: AppFlags): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const option of APP_OPTIONS) if (flags[option.key] !== undefined) options[option.key] = flags[option.key];
  const agent = {
    agentProvider: config.agentProvider,
    instructions: config.agentInstructions,
    agentGreeting: config.agentGreeting,
    voice: config.agentVoice,
    model: config.agentModel,
    openaiUrl: config.openaiRealtimeUrl,
    geminiUrl: config.geminiUrl,
    geminiApiKey: config.geminiApiKey,
    elevenlabsAgentId: config.elevenlabsAgentId,
    deepgramAgentUrl: config.deepgramAgentUrl,
    llmUrl: config.llmUrl,
    llmApiKey: config.llmApiKey,
    // The vendors' keys and bases are server settings: the agent's provider uses them too.
    openaiApiKey: config.openaiApiKey,
    elevenlabsApiKey: config.elevenlabsApiKey,
    elevenlabsUrl: config.elevenlabsUrl,
    deepgramApiKey: config.deepgramApiKey,
    // Where the agent may transfer a caller: parsed and checked (server/agent-settings.ts).
    transfer: config.transfer,
    voicemail: config.voicemail,
  };
  for (const [key, value] of Object.entries(agent)) if (value !== undefined) options[key] = value;
  return { ...options, loop: flags.loop === true };
}

/**
 * Built-in apps that listen: the banner's test call says something they answer, after what they say
 * first (an agent's greeting, the menu's prompt), and the lines of what is said follow.
 */
const TEST_CALL_WORDS: Partial<Record<string, string>> = {
  transcribe: '"hello"@1s',
  parrot: '"hello"@1s',
  agent: '"hello"@4s',
  'voice-menu': '"sales"@4s',
};

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
  const loaded = await loadApp(config.app, appOptionsOf(config, flags));
  const { answer } = loaded;
  // The process logger: conversation lines look like every other line, pretty in a terminal.
  const logger = extra.logger ?? createLogger(config.logLevel);
  const app = withConversationLines(loaded.app, logger);
  const server = createServer({ config, app, logger, ...(answer ? { answer } : {}), ...(worker ? { worker } : {}) });
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
    `voicesocket listening on ${base} — dashboard ${base}/ · softphone ${base}/phone · test call: npx voicesocket call ${base}${ANSWER_PATHS[0]}` +
      `${TEST_CALL_WORDS[config.app] ? ` --say '${TEST_CALL_WORDS[config.app]}' (what is said prints here)` : ''} · ` +
      'for a real number: npx voicesocket dev (README: "Connect a real Vonage number")',
  );
  return { server, base, port: address.port };
}

export function serveCommand(): Command {
  const command = addServeOptions(new Command('serve').description('answer Vonage calls and run an app on each call socket (echo by default)')).option(
    '--print-config',
    'check the settings, the app and its options as a start would, then print each value and where it came from (flag, environment, .env or default; secrets hidden) and exit',
  );
  command.action(async (flags: Record<string, unknown> & AppFlags) => {
    const resolved = resolveSettings(settingsFromFlags(flags), process.env, loadedFromDotEnv);
    const config = resolved.config;
    if (flags.printConfig) {
      // Checked as a start would check it (the app and its options, the user's engines), without listening.
      await loadApp(config.app, appOptionsOf(config, flags));
      await loadSpeechModules(config, speechEngines());
      process.stdout.write(printConfig(resolved, flags));
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

/**
 * `--print-config`: one setting a line, `{ "value": …, "from": … }`, then the app options given; JSON
 * still, for scripts.
 */
function printConfig(resolved: ResolvedSettings, flags: AppFlags): string {
  const entries = Object.entries(printableConfig(resolved)).map(([key, entry]) => `  ${JSON.stringify(key)}: ${JSON.stringify(entry)}`);
  const given = APP_OPTIONS.filter((option) => flags[option.key] !== undefined);
  const appOptions = given.map(
    (option) => `    ${JSON.stringify(option.key)}: ${JSON.stringify({ value: flags[option.key], from: `flag ${option.flag.split(' ')[0]!}` })}`,
  );
  const section = appOptions.length > 0 ? `  "appOptions": {\n${appOptions.join(',\n')}\n  }` : '  "appOptions": {}';
  return `{\n${[...entries, section].join(',\n')}\n}\n`;
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
