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
import { Auth } from '@vonage/auth';
import { Voice } from '@vonage/voice';
import { VoicesocketError } from '../errors.js';
import { startVoiceAgent } from '../agents/agent-bridge.js';
import { phoneTools } from '../agents/call-tools.js';
import type { AgentBargeIn, AgentProvider } from '../agents/agent-link.js';
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
  /** Vonage's Voice API, for the hang-up and transfer tools. */
  vonage?: Voice;
}

export const DEFAULT_INSTRUCTIONS =
  'You are a friendly and brief phone assistant. Speak in short sentences. When the caller is done, say goodbye and hang up. If they ask for a person, transfer them when they give a number.';
export const DEFAULT_AGENT_GREETING = 'Hello! How can I help you today?';

export function voiceAgent(options: VoiceAgentOptions): CallApp {
  return (call) => {
    startVoiceAgent(call, {
      provider: options.provider,
      instructions: options.instructions,
      tools: phoneTools(call, options.vonage),
      ...(options.greeting ? { greeting: options.greeting } : {}),
      ...(options.bargeIn ? { bargeIn: options.bargeIn } : {}),
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
  return new Voice(new Auth({ applicationId, privateKey }), env.VONAGE_API_HOST ? { apiHost: env.VONAGE_API_HOST } : {});
}

export const agentApp: AppDefinition = {
  name: 'agent',
  description: `a phone agent on ${AGENT_PROVIDERS.join(', ')} (--agent-provider; keys in docs/agents.md): --instructions, --voice, --model, --agent-greeting; hangs up and transfers`,
  create: async (options) => {
    const provider = await agentProviderFrom(options, process.env);
    const vonage = vonageVoiceFromEnv(process.env);
    const bargeIn = options.bargeIn === undefined ? undefined : choiceOption(options, 'bargeIn', 'barge-in', ['model', 'speech', 'both'] as const, 'both');
    return voiceAgent({
      provider,
      instructions: stringOption(options, 'instructions', DEFAULT_INSTRUCTIONS),
      greeting: stringOption(options, 'agentGreeting', DEFAULT_AGENT_GREETING),
      ...(bargeIn ? { bargeIn } : {}),
      ...(vonage ? { vonage } : {}),
    });
  },
  // The agent greets the caller in its own voice: the NCCO only connects.
  answer: ({ ncco }) => [ncco.connect()],
};
