/**
 * An agent on a call in one step: the transport, the SDK's RealtimeSession, the connection once the
 * call's rate is known, and an optional spoken greeting. It also listens for the session's `error`
 * events: RealtimeSession is a Node EventEmitter, and an `error` event nobody listens to throws — a
 * model's error event would take the whole server down. The transport logs each error (coded) and
 * the call goes on.
 */
import { RealtimeSession, type RealtimeAgent, type RealtimeSessionOptions } from '@openai/agents-realtime';
import type { CallSession } from '../call/call-session.js';
import { VonageRealtimeTransportLayer, type AgentBargeIn } from './vonage-realtime-transport.js';

export const DEFAULT_REALTIME_MODEL = 'gpt-realtime';
export const OPENAI_REALTIME_URL = 'wss://api.openai.com/v1/realtime';

export interface StartAgentOptions {
  agent: RealtimeAgent;
  apiKey: string;
  /** Realtime model (default `gpt-realtime`). */
  model?: string;
  /** The Realtime endpoint (a proxy, or a server speaking its protocol); OpenAI's own by default. */
  url?: string;
  /** Voice of the model's speech (`alloy`, `marin`, ...). */
  voice?: string;
  /** Said first, before the caller speaks. */
  greeting?: string;
  bargeIn?: AgentBargeIn;
  connectTimeoutMs?: number;
  failureMessage?: string | false;
  errorMessage?: string | false;
  /** An answer must begin this soon after the caller stops (default 8000 ms); see the transport. */
  responseTimeoutMs?: number;
  /** A reply's audio past this is cut there, ms (default 120 000). */
  maxReplyMs?: number;
  /** Reply audio held beyond the pacer's queue, at most, ms (default 45 000); past it the reply is cut. */
  maxBacklogMs?: number;
  session?: Partial<RealtimeSessionOptions>;
}

export interface AgentOnCall {
  transport: VonageRealtimeTransportLayer;
  session: RealtimeSession;
  /** Resolves when the model is connected (and the greeting asked for); rejects when it cannot be (already handled on the call). */
  ready: Promise<void>;
}

function callIdOf(item: { callId?: string; id?: string }): string {
  return item.callId ?? item.id ?? '';
}

/** A function call's arguments, parsed where they are JSON (the SDK carries them as text). */
function argumentsOf(item: object): unknown {
  const args = (item as { arguments?: unknown }).arguments;
  if (typeof args !== 'string') return args;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

export function startAgent(call: CallSession, options: StartAgentOptions): AgentOnCall {
  const model = options.model ?? DEFAULT_REALTIME_MODEL;
  const transport = new VonageRealtimeTransportLayer({
    call,
    ...(options.bargeIn ? { bargeIn: options.bargeIn } : {}),
    ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.failureMessage !== undefined ? { failureMessage: options.failureMessage } : {}),
    ...(options.errorMessage !== undefined ? { errorMessage: options.errorMessage } : {}),
    ...(options.responseTimeoutMs !== undefined ? { responseTimeoutMs: options.responseTimeoutMs } : {}),
    ...(options.maxReplyMs !== undefined ? { maxReplyMs: options.maxReplyMs } : {}),
    ...(options.maxBacklogMs !== undefined ? { maxBacklogMs: options.maxBacklogMs } : {}),
  });
  const session = new RealtimeSession(options.agent, {
    ...options.session,
    transport,
    model,
    ...(options.voice ? { config: { ...options.session?.config, audio: { output: { voice: options.voice } } } } : {}),
  });
  // Logged by the transport; here only so that Node does not throw it.
  session.on('error', () => undefined);
  // The SDK runs the agent's tools itself: the call's record hears of them here.
  session.on('agent_tool_start', (_context, _agent, tool, { toolCall }) =>
    call.report({ kind: 'tool-call', callId: callIdOf(toolCall), name: tool.name, arguments: argumentsOf(toolCall) }),
  );
  session.on('agent_tool_end', (_context, _agent, tool, result, { toolCall }) =>
    call.report({ kind: 'tool-result', callId: callIdOf(toolCall), name: tool.name, result }),
  );
  const rateKnown = call.state === 'connecting' ? new Promise<void>((resolve) => call.once('connected', () => resolve())) : Promise.resolve();
  const ready = rateKnown.then(async () => {
    await session.connect({ apiKey: options.apiKey, url: `${options.url ?? OPENAI_REALTIME_URL}?model=${encodeURIComponent(model)}` });
    if (options.greeting) transport.requestResponse({ instructions: `Greet the caller with exactly these words: ${options.greeting}` });
  });
  // The failure is the call's (an apology, a coded line, a hang-up): the app need not handle it.
  ready.catch(() => undefined);
  return { transport, session, ready };
}
