/**
 * OpenAI's Realtime models as a provider of `startVoiceAgent`: the call runs through the Agents SDK's
 * own `RealtimeSession` with voicesocket's transport (vonage-realtime-transport.ts, where barge-in cuts
 * the model's item at the heard position with `conversation.item.truncate`: `exact`), given the same
 * options as every other provider. For the SDK's full surface (handoffs, guardrails), use `startAgent`.
 */
import { RealtimeAgent } from '@openai/agents-realtime';
import type { StartVoiceAgentOptions } from '../agent-bridge.js';
import type { SessionProvider } from '../agent-link.js';
import { realtimeTool } from '../realtime-tools.js';
import { startAgent } from '../start-agent.js';
import { ToolRunner } from '../tool-runner.js';

export interface OpenAIRealtimeOptions {
  apiKey: string;
  /** Realtime model (default `gpt-realtime`). */
  model?: string;
  voice?: string;
  /** The Realtime endpoint (a proxy, or a server speaking its protocol); OpenAI's own by default. */
  url?: string;
}

export function openaiProvider(options: OpenAIRealtimeOptions): SessionProvider<StartVoiceAgentOptions> {
  return {
    name: 'openai',
    start(call, agentOptions) {
      const runner = new ToolRunner(call, agentOptions.tools ?? []);
      const agent = new RealtimeAgent({
        name: 'Phone agent',
        instructions: agentOptions.instructions,
        tools: runner.tools.map((t) => realtimeTool(t, runner)),
      });
      const { provider: _provider, instructions: _instructions, tools: _tools, ...rest } = agentOptions;
      const { transport, ready } = startAgent(call, {
        ...rest,
        agent,
        apiKey: options.apiKey,
        ...(options.model ? { model: options.model } : {}),
        ...(options.voice ? { voice: options.voice } : {}),
        ...(options.url ? { url: options.url } : {}),
        // OpenAI's server VAD reports the caller whenever they start, also after a reply was all sent.
        bargeIn: agentOptions.bargeIn ?? 'model',
      });
      return { provider: 'openai', turns: transport.turns, interruptions: transport.interruptions, ready };
    },
  };
}
