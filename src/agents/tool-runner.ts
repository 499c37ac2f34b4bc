/**
 * Tools as a call runs them, whatever the provider: a model (hostile, or merely obedient to a caller)
 * decides when a tool runs and with what, so every call is checked before it runs and bounded while
 * it does.
 *
 * - Arguments are read strictly (strict-json.ts: a repeated key is refused) and must fit the tool's
 *   parameters (a transfer names one of the operator's destinations, never a number).
 * - At most MAX_TOOL_CALLS_PER_TURN calls between two turns of the caller (a model answering every
 *   tool result with another call made thousands of REST requests in seconds), and at most
 *   MAX_TOOLS_RUNNING at once on a call (one reply of 3000 calls ran 3000 requests at once).
 * - A tool may refuse (`ToolRefusal`): its message is the answer, and the line is coded as a refusal.
 *
 * Every refusal is one coded line (`VS_ERR_AGENT_TOOL_REFUSED`, sampled) and an answer the model can
 * relay to the caller; a tool that throws is `VS_ERR_AGENT_TOOL_FAILED`. Nothing here ends the call.
 */
import type { CallSession } from '../call/call-session.js';
import { SampledLog } from '../call/logger.js';
import { errorCode } from '../errors.js';
import type { AgentTool } from './agent-link.js';
import { parseJsonStrict } from './strict-json.js';

/** Tool calls between two turns of the caller: a phone agent needs a few (look up, then act); past this it is looping. */
export const MAX_TOOL_CALLS_PER_TURN = 16;
/** Tools running at once on one call; the rest wait their turn (each may be a REST request). */
export const MAX_TOOLS_RUNNING = 4;
/** Calls waiting for a slot; past this they are refused rather than queued (memory per call stays bounded). */
const MAX_TOOLS_WAITING = 2 * MAX_TOOL_CALLS_PER_TURN;
/** A tool's answer to the model is cut at this many characters: a runaway tool cannot flood the provider. */
export const MAX_TOOL_OUTPUT = 8000;

/** Thrown by a tool that will not do what it was asked: the message is the model's answer. */
export class ToolRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolRefusal';
  }
}

/** How many tool calls a call has made in the caller's current turn, and how many run: one per call, shared by every runner on it. */
class ToolBudget {
  turnCalls = 0;
  running = 0;
  readonly waiting: Array<() => void> = [];
  constructor(readonly log: SampledLog) {}
}

const budgets = new WeakMap<CallSession, ToolBudget>();

function budgetOf(call: CallSession): ToolBudget {
  let budget = budgets.get(call);
  if (!budget) {
    budget = new ToolBudget(new SampledLog(call.log));
    budgets.set(call, budget);
  }
  return budget;
}

/** The caller took a turn (spoke, or was heard): the tool calls of the next one count afresh. */
export function callerTookTurn(call: CallSession): void {
  budgetOf(call).turnCalls = 0;
}

export class ToolRunner {
  readonly #tools: Map<string, AgentTool>;
  readonly #budget: ToolBudget;

  /** @param perTurn false: no turn cap (a session whose caller turns this code cannot see) */
  constructor(
    private readonly call: CallSession,
    tools: readonly AgentTool[],
    private readonly perTurn = true,
  ) {
    this.#tools = new Map(tools.map((tool) => [tool.name, tool]));
    this.#budget = budgetOf(call);
  }

  get tools(): AgentTool[] {
    return [...this.#tools.values()];
  }

  /**
   * Runs the tool `name` with `args` — parsed already, their JSON text (read strictly here), or an
   * Error saying why the provider's message could not be read — and resolves with the model's
   * answer, whatever happens. Never rejects.
   */
  async run(name: string, args: unknown): Promise<string> {
    const tool = this.#tools.get(name);
    if (!tool) return this.#refuse(name, 'no such tool', `There is no tool named ${name}.`);
    if (this.perTurn && ++this.#budget.turnCalls > MAX_TOOL_CALLS_PER_TURN) {
      return this.#refuse(
        name,
        `more than ${MAX_TOOL_CALLS_PER_TURN} tool calls in one turn of the caller`,
        `Too many tool calls in this turn (at most ${MAX_TOOL_CALLS_PER_TURN}); ${name} did not run. Answer the caller without tools until they speak again.`,
      );
    }
    let parsed: unknown;
    try {
      if (args instanceof Error) throw args;
      parsed = tool.parameters.parse(typeof args === 'string' ? (args.trim() === '' ? {} : parseJsonStrict(args)) : (args ?? {}));
    } catch (error) {
      const why = argumentsProblem(error);
      return this.#refuse(name, why, `The arguments for ${name} were refused (${why}); it did not run.`);
    }
    if (this.#budget.running >= MAX_TOOLS_RUNNING) {
      if (this.#budget.waiting.length >= MAX_TOOLS_WAITING) {
        return this.#refuse(name, `more than ${MAX_TOOLS_WAITING} tool calls waiting`, `Too many tools are running; ${name} did not run.`);
      }
      await new Promise<void>((resolve) => this.#budget.waiting.push(resolve));
    }
    this.#budget.running++;
    try {
      const result: unknown = await tool.execute(parsed as never);
      const output = typeof result === 'string' ? result : (JSON.stringify(result) ?? '');
      return output.slice(0, MAX_TOOL_OUTPUT);
    } catch (error) {
      if (error instanceof ToolRefusal) return this.#refuse(name, error.message, error.message);
      const detail = (error as Error)?.message ?? String(error);
      this.#budget.log.warn(errorCode('AGENT_TOOL_FAILED'), { tool: name, detail }, 'voice agent tool failed');
      return `The tool ${name} failed: ${detail || 'unknown error'}`.slice(0, MAX_TOOL_OUTPUT);
    } finally {
      this.#budget.running--;
      this.#budget.waiting.shift()?.();
    }
  }

  #refuse(tool: string, reason: string, answer: string): string {
    this.#budget.log.warn(errorCode('AGENT_TOOL_REFUSED'), { tool, reason }, 'voice agent tool call refused; the model was told');
    return answer.slice(0, MAX_TOOL_OUTPUT);
  }
}

/** Why arguments were refused, in a line a model (and an operator) can read. */
function argumentsProblem(error: unknown): string {
  const issues = (error as { issues?: Array<{ path: PropertyKey[]; message: string }> })?.issues;
  if (Array.isArray(issues)) return issues.map((issue) => `${issue.path.map(String).join('.') || 'arguments'}: ${issue.message}`).join('; ');
  if (error instanceof SyntaxError) return `not JSON as required: ${error.message}`;
  return (error as Error)?.message ?? String(error);
}
