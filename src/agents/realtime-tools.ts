/**
 * The provider-neutral tools (call-tools.ts) as OpenAI's Agents SDK takes them. Its own file, so that
 * only a server that runs OpenAI's agent loads that SDK.
 */
import { tool } from '@openai/agents-realtime';
import type { Voice } from '@vonage/voice';
import type { CallSession } from '../call/call-session.js';
import type { AgentTool } from './agent-link.js';
import { phoneTools } from './call-tools.js';

/** The same tools for OpenAI's Agents SDK (`RealtimeAgent({ tools })`). */
export function callTools(call: CallSession, vonage?: Voice) {
  return phoneTools(call, vonage).map(realtimeTool);
}

/** A provider-neutral tool as OpenAI's Agents SDK takes it; what it returns is given to the model as text. */
export function realtimeTool(t: AgentTool) {
  return tool({
    name: t.name,
    description: t.description,
    parameters: t.parameters,
    execute: async (args) => {
      const result: unknown = await t.execute(args);
      return typeof result === 'string' ? result : (JSON.stringify(result) ?? '');
    },
  });
}
