/**
 * The agent app's provider, chosen by `--agent-provider` and made from its options and keys in the
 * environment (or .env). A key that is missing stops the server at start with one line (exit 2):
 * never a call that fails on its first word. Only the chosen provider's module, and with it its vendor
 * SDK, is loaded: a server that echoes loads none of them. A provider whose SDK is not installed (an
 * optional dependency, src/vendor-sdk.ts) stops the server the same way, naming the package.
 */
import { VoicesocketError } from '../errors.js';
import { loadWithSdk } from '../vendor-sdk.js';
import type { AgentProvider } from '../agents/agent-link.js';
import { choiceOption, stringOption, type AppOptions } from './options.js';

export const AGENT_PROVIDERS = ['openai', 'gemini', 'elevenlabs', 'deepgram', 'cascade'] as const;
export type AgentProviderName = (typeof AGENT_PROVIDERS)[number];

/** The cascade's chat model when none is named. */
export const DEFAULT_CASCADE_MODEL = 'gpt-4o-mini';

function required(env: NodeJS.ProcessEnv, names: string[], flag: string, provider: string, given?: unknown): string {
  if (typeof given === 'string' && given !== '') return given;
  for (const name of names) if (env[name]) return env[name]!;
  throw new VoicesocketError('CONFIG_INVALID', `the agent app with --agent-provider ${provider} needs ${names.join(' or ')} (or ${flag})`);
}

export async function agentProviderFrom(options: AppOptions, env: NodeJS.ProcessEnv): Promise<AgentProvider> {
  const name = choiceOption({ agentProvider: options.agentProvider ?? env.AGENT_PROVIDER }, 'agentProvider', 'agent-provider', AGENT_PROVIDERS, 'openai');
  const model = stringOption(options, 'model', '');
  const voice = stringOption(options, 'voice', '');
  const named = <T extends object>(fields: T) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== '')) as Partial<T>;
  switch (name) {
    case 'openai': {
      const apiKey = required(env, ['OPENAI_API_KEY'], '--openai-key', name, options.openaiApiKey);
      const chosen = `--agent-provider ${name}`;
      const { openaiProvider } = await loadWithSdk(chosen, () => import('../agents/providers/openai.js'));
      const { DEFAULT_REALTIME_MODEL } = await loadWithSdk(chosen, () => import('../agents/start-agent.js'));
      return openaiProvider({
        apiKey,
        model: model || DEFAULT_REALTIME_MODEL,
        ...named({ voice, url: stringOption(options, 'openaiUrl', env.OPENAI_REALTIME_URL ?? '') }),
      });
    }
    case 'gemini': {
      const apiKey = required(env, ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], '--gemini-key', name, options.geminiApiKey);
      const { geminiProvider } = await loadWithSdk(`--agent-provider ${name}`, () => import('../agents/providers/gemini.js'));
      await loadWithSdk(`--agent-provider ${name}`, () => import('@google/genai'));
      return geminiProvider({
        apiKey,
        ...named({ model, voice, baseUrl: stringOption(options, 'geminiUrl', env.GEMINI_BASE_URL ?? '') }),
      });
    }
    case 'elevenlabs': {
      const apiKey = required(env, ['ELEVENLABS_API_KEY'], '--elevenlabs-key', name, options.elevenlabsApiKey);
      const agentId = stringOption(options, 'elevenlabsAgentId', '') || required(env, ['ELEVENLABS_AGENT_ID'], '--elevenlabs-agent-id', name);
      const { elevenLabsProvider } = await loadWithSdk(`--agent-provider ${name}`, () => import('../agents/providers/elevenlabs.js'));
      await loadWithSdk(`--agent-provider ${name}`, () => import('@elevenlabs/elevenlabs-js'));
      return elevenLabsProvider({ apiKey, agentId, ...named({ voice, baseUrl: stringOption(options, 'elevenlabsUrl', env.ELEVENLABS_BASE_URL ?? '') }) });
    }
    case 'deepgram': {
      const apiKey = required(env, ['DEEPGRAM_API_KEY'], '--deepgram-key', name, options.deepgramApiKey);
      const { deepgramAgentProvider } = await loadWithSdk(`--agent-provider ${name}`, () => import('../agents/providers/deepgram-agent.js'));
      await loadWithSdk(`--agent-provider ${name}`, () => import('@deepgram/sdk'));
      return deepgramAgentProvider({
        apiKey,
        ...named({ voice, baseUrl: stringOption(options, 'deepgramAgentUrl', env.DEEPGRAM_AGENT_URL ?? '') }),
        ...(model ? { think: { provider: 'open_ai', model } } : {}),
      });
    }
    case 'cascade': {
      const baseUrl = stringOption(options, 'llmUrl', env.LLM_BASE_URL ?? '');
      // A local model server (Ollama, vLLM) takes no key; OpenAI's own API does.
      const given = stringOption(options, 'openaiApiKey', '');
      const apiKey =
        stringOption(options, 'llmApiKey', '') ||
        env.LLM_API_KEY ||
        given ||
        env.OPENAI_API_KEY ||
        (baseUrl ? undefined : required(env, ['LLM_API_KEY', 'OPENAI_API_KEY'], '--llm-key or --openai-key', name));
      const { cascadeProvider } = await loadWithSdk(`--agent-provider ${name}`, () => import('../agents/providers/cascade.js'));
      await loadWithSdk(`--agent-provider ${name}`, () => import('openai'));
      return cascadeProvider({ llm: { model: model || DEFAULT_CASCADE_MODEL, apiKey, ...named({ baseUrl }) }, ...named({ voice }) });
    }
  }
}
