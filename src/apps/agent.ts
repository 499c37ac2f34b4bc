/**
 * `agent`: a phone agent on OpenAI's Realtime model through the Agents SDK (docs/agents.md). The
 * NCCO connects the caller straight to the socket (no talk action: the agent greets them itself in
 * its own voice), the agent can hang up and transfer, and each call's turns and latency show on the
 * dashboard. Needs OPENAI_API_KEY; transfers and REST hang-ups need the Vonage application's id and
 * private key (VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY, as `voicesocket dev` saves them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { RealtimeAgent } from '@openai/agents-realtime';
import { Auth } from '@vonage/auth';
import { Voice } from '@vonage/voice';
import { VoicesocketError } from '../errors.js';
import { callTools } from '../agents/call-tools.js';
import { DEFAULT_REALTIME_MODEL, startAgent } from '../agents/start-agent.js';
import type { AgentBargeIn } from '../agents/vonage-realtime-transport.js';
import type { AppDefinition, CallApp } from './app.js';
import { choiceOption, stringOption } from './options.js';

export interface VoiceAgentOptions {
  apiKey: string;
  instructions: string;
  model?: string;
  voice?: string;
  greeting?: string;
  /** The Realtime endpoint; OpenAI's by default. */
  url?: string;
  bargeIn?: AgentBargeIn;
  /** Vonage's Voice API, for the hang-up and transfer tools. */
  vonage?: Voice;
}

export const DEFAULT_INSTRUCTIONS =
  'You are a friendly and brief phone assistant. Speak in short sentences. When the caller is done, say goodbye and hang up. If they ask for a person, transfer them when they give a number.';
export const DEFAULT_AGENT_GREETING = 'Hello! How can I help you today?';

export function voiceAgent(options: VoiceAgentOptions): CallApp {
  return (call) => {
    const agent = new RealtimeAgent({ name: 'Phone agent', instructions: options.instructions, tools: callTools(call, options.vonage) });
    startAgent(call, {
      agent,
      apiKey: options.apiKey,
      ...(options.model ? { model: options.model } : {}),
      ...(options.voice ? { voice: options.voice } : {}),
      ...(options.greeting ? { greeting: options.greeting } : {}),
      ...(options.url ? { url: options.url } : {}),
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
  description: 'a phone agent on OpenAI Realtime (OPENAI_API_KEY): --instructions, --voice, --model, --agent-greeting; hangs up and transfers',
  create: (options) => {
    const apiKey = process.env.OPENAI_API_KEY;
    if (!apiKey) throw new VoicesocketError('CONFIG_INVALID', 'the agent app needs OPENAI_API_KEY (in the environment or .env)');
    const url = stringOption(options, 'openaiUrl', process.env.OPENAI_REALTIME_URL ?? '');
    const vonage = vonageVoiceFromEnv(process.env);
    return voiceAgent({
      apiKey,
      instructions: stringOption(options, 'instructions', DEFAULT_INSTRUCTIONS),
      model: stringOption(options, 'model', DEFAULT_REALTIME_MODEL),
      greeting: stringOption(options, 'agentGreeting', DEFAULT_AGENT_GREETING),
      bargeIn: choiceOption(options, 'bargeIn', 'barge-in', ['model', 'speech', 'both'] as const, 'model'),
      ...(typeof options.voice === 'string' ? { voice: options.voice } : {}),
      ...(url ? { url } : {}),
      ...(vonage ? { vonage } : {}),
    });
  },
  // The agent greets the caller in its own voice: the NCCO only connects.
  answer: ({ ncco }) => [ncco.connect()],
};
