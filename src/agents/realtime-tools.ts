/**
 * The provider-neutral tools (call-tools.ts) as OpenAI's Agents SDK takes them. Its own file, so that
 * only a server that runs OpenAI's agent loads that SDK.
 *
 * The SDK parses a tool's arguments with `JSON.parse` (the last of a repeated key wins) before the
 * tool's `execute`; each tool's `invoke` is replaced here so the arguments' text reaches the call's
 * ToolRunner unread: strict parsing, the turn's cap, bounded concurrency, refusals the model can relay.
 */
import { tool } from '@openai/agents-realtime';
import type { Voice } from '@vonage/voice';
import type { CallSession } from '../call/call-session.js';
import type { AgentTool } from './agent-link.js';
import { phoneTools, type PhoneToolsOptions } from './call-tools.js';
import { parseJsonStrict } from './strict-json.js';
import { ToolRunner } from './tool-runner.js';

/** The same tools for OpenAI's Agents SDK (`RealtimeAgent({ tools })`). */
export function callTools(call: CallSession, options: PhoneToolsOptions | Voice = {}) {
  const runner = new ToolRunner(call, phoneTools(call, options));
  return runner.tools.map((t) => realtimeTool(t, runner));
}

/**
 * A provider-neutral tool as OpenAI's Agents SDK takes it; what it returns is given to the model as
 * text. Run by `runner` (the call's: see ToolRunner); without one, its arguments are read as strictly
 * and whatever it does is caught, with no cap (nothing here knows the call).
 */
export function realtimeTool(t: AgentTool, runner?: ToolRunner) {
  const made = tool({ name: t.name, description: t.description, parameters: t.parameters, execute: () => '' });
  const invoke = async (_context: unknown, input: string): Promise<string> => {
    if (runner) return runner.run(t.name, input);
    try {
      const result: unknown = await t.execute(t.parameters.parse(input.trim() === '' ? {} : parseJsonStrict(input)));
      return typeof result === 'string' ? result : (JSON.stringify(result) ?? '');
    } catch (error) {
      return `The tool ${t.name} failed: ${(error as Error)?.message ?? String(error)}`;
    }
  };
  return { ...made, invoke } as typeof made;
}
