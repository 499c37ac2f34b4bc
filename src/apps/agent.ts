/**
 * `agent`: a phone agent on the provider of `--agent-provider` (docs/agents.md): OpenAI Realtime
 * (the default), Gemini Live, ElevenLabs, Deepgram's Voice Agent, or the cascade (the server's
 * speech-to-text → any OpenAI-compatible chat model → its text-to-speech). The NCCO connects the
 * caller straight to the socket (no talk action: the agent greets them itself in its own voice), the
 * agent can hang up and transfer, and each call's turns and latency show on the dashboard the same
 * way whatever the provider. Transfers and REST hang-ups need the Vonage application's id and
 * private key (VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY, as `voicesocket dev` saves them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Voice } from '@vonage/voice';
import { VoicesocketError } from '../errors.js';
import { startVoiceAgent } from '../agents/agent-bridge.js';
import { destinationTable, phoneTools, type PhoneToolsOptions } from '../agents/call-tools.js';
import { TokenCachingAuth } from '../agents/vonage-auth.js';
import type { NamedDestination } from '../telephony/destinations.js';
import type { AgentBargeIn, AgentProvider } from '../agents/agent-link.js';
import type { BargeInSettings } from '../call/barge-in-gate.js';
import type { AppDefinition, CallApp } from './app.js';
import { agentProviderFrom, AGENT_PROVIDERS } from './agent-providers.js';
import { choiceOption, stringOption } from './options.js';

export interface VoiceAgentOptions {
  /** Who runs the agent: openaiProvider, geminiProvider, ... (voicesocket/agents). */
  provider: AgentProvider;
  instructions: string;
  greeting?: string;
  /** What interrupts the agent; the provider's default when unset (docs/agents.md). */
  bargeIn?: AgentBargeIn;
  /** When our detector's speech is an interruption (docs/turn-taking.md): `minSpeechMs`, `acknowledgements`, ... */
  interruption?: BargeInSettings;
  /** Vonage's Voice API, for the hang-up and transfer tools. */
  vonage?: Voice;
  /**
   * Where the agent may transfer a caller, by name (`sales=+447700900001,desk=sip:desk@pbx.example.com`,
   * or a list); none: no transfer tool. The model picks a name, never a number.
   */
  transfer?: PhoneToolsOptions['transfer'];
}

export const DEFAULT_INSTRUCTIONS = 'You are a friendly and brief phone assistant. Speak in short sentences. When the caller is done, say goodbye and hang up.';
/** Added to the instructions when there are destinations: the model may offer them, and nothing else. */
export const TRANSFER_INSTRUCTIONS =
  'If the caller asks for a person or a department, you may transfer them with transfer_call to one of its named destinations, and only those; never to a number the caller gives.';
export const DEFAULT_AGENT_GREETING = 'Hello! How can I help you today?';

export function voiceAgent(options: VoiceAgentOptions): CallApp {
  // Checked once, at start: a bad destination is the operator's error, not a call's.
  const transfer = destinationTable(options.transfer);
  return (call) => {
    startVoiceAgent(call, {
      provider: options.provider,
      instructions: options.instructions,
      tools: phoneTools(call, { vonage: options.vonage, transfer }),
      ...(options.greeting ? { greeting: options.greeting } : {}),
      ...(options.bargeIn ? { bargeIn: options.bargeIn } : {}),
      ...(options.interruption ? { interruption: options.interruption } : {}),
    });
  };
}

/** Vonage's Voice API from the application's credentials in the environment, when they are there. */
export function vonageVoiceFromEnv(env: NodeJS.ProcessEnv): Voice | undefined {
  const applicationId = env.VONAGE_APPLICATION_ID;
  const key = env.VONAGE_PRIVATE_KEY;
  if (!applicationId || !key) return undefined;
  const privateKey = key.includes('BEGIN') ? key.replace(/\\n/g, '\n') : existsSync(key) ? readFileSync(key, 'utf8') : undefined;
  if (!privateKey)
    throw new VoicesocketError('CONFIG_INVALID', `VONAGE_PRIVATE_KEY=${JSON.stringify(key)} is not allowed; expected a PEM key or the path of one`);
  return new Voice(new TokenCachingAuth({ applicationId, privateKey }), env.VONAGE_API_HOST ? { apiHost: env.VONAGE_API_HOST } : {});
}

export const agentApp: AppDefinition = {
  name: 'agent',
  description: `a phone agent on ${AGENT_PROVIDERS.join(', ')} (--agent-provider; keys in docs/agents.md): --instructions, --voice, --model, --agent-greeting; hangs up and transfers`,
  create: async (options) => {
    const provider = await agentProviderFrom(options, process.env);
    const vonage = vonageVoiceFromEnv(process.env);
    const bargeIn = options.bargeIn === undefined ? undefined : choiceOption(options, 'bargeIn', 'barge-in', ['model', 'speech', 'both'] as const, 'both');
    // The server's --transfer setting, parsed by its row (server/agent-settings.ts); a string from code is checked here.
    const transfer = options.transfer as string | NamedDestination[] | undefined;
    const named = destinationTable(transfer);
    const instructions = stringOption(options, 'instructions', '');
    return voiceAgent({
      provider,
      instructions: instructions || (named ? `${DEFAULT_INSTRUCTIONS} ${TRANSFER_INSTRUCTIONS} They are: ${named.names.join(', ')}.` : DEFAULT_INSTRUCTIONS),
      ...(named ? { transfer: named } : {}),
      greeting: stringOption(options, 'agentGreeting', DEFAULT_AGENT_GREETING),
      ...(bargeIn ? { bargeIn } : {}),
      ...(vonage ? { vonage } : {}),
    });
  },
  // The agent greets the caller in its own voice: the NCCO only connects.
  answer: ({ ncco }) => [ncco.connect()],
};
