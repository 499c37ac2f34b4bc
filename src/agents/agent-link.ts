/**
 * The one interface a voice-agent provider is written against (hono's adapters: a provider is a small
 * file behind this). A link speaks the provider's protocol and reports what happens in the provider's
 * terms; the bridge (agent-bridge.ts) does everything that is the call's: resampling, pacing, barge-in
 * and what the caller heard, turns and latency, tools, faults. Providers: providers/*.ts.
 */
import type { EventEmitter } from 'node:events';
import type { z } from 'zod';
import type { CallSession } from '../call/call-session.js';
import type { Logger } from '../call/logger.js';
import type { TurnLog } from './turn-log.js';
import type { ListenOptions } from '../speech/utterance-detector.js';

/** A tool the agent may call, provider-neutral: zod parameters, any return (sync or async, caught). */
export interface AgentTool<Parameters extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  parameters: Parameters;
  execute(args: z.infer<Parameters>): unknown;
}

/** A tool as a provider is told of it: JSON Schema parameters. */
export interface ToolDeclaration {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface AgentLinkEvents {
  /** Reply audio, PCM16 mono at `outputRate`; a reply's pieces share its id. */
  audio: [pcm: Buffer, replyId: string];
  /** A reply began (before its audio, where the provider says so). */
  'reply-started': [replyId: string];
  /** The reply's text so far (what the agent says), whole, each time it grows. */
  'reply-text': [replyId: string, text: string];
  /** The provider finished the reply (all its audio was sent). */
  'reply-done': [replyId: string];
  /**
   * A cascade's own stages of a reply, at wall time (performance.now()): the caller's words were
   * recognized, the first sentence went to synthesis. Turns split the latency by them.
   */
  'reply-stage': [replyId: string, stage: 'recognized' | 'synthesizing', wall: number];
  /** The provider's own voice detection heard the caller start: the agent must stop talking. */
  'caller-started': [];
  /** What the caller said, as the provider heard it. */
  'caller-text': [text: string];
  /**
   * The provider asks for a tool; the bridge answers with `toolResult`. `args`: parsed (strictly:
   * strict-json.ts), their JSON text (the bridge reads it strictly), or an Error saying why the
   * provider's message could not be read (the model is told).
   */
  'tool-call': [call: { id: string; name: string; args: unknown }];
  /** The provider reported an error; the call goes on. */
  error: [detail: string];
  /** The provider went away after connecting. */
  closed: [reason: string];
}

/** What a link is told about the agent and the call when it is made. */
export interface AgentLinkContext {
  instructions: string;
  tools: ToolDeclaration[];
  /** Said first, before the caller speaks: links whose protocol takes it at connect (a first message) do so. */
  greeting?: string;
  /** The call's rate: providers that take any rate use it and skip resampling. */
  callRate: number;
  /** The call itself, for a provider built on the call's own speech layer (the cascade). */
  call: CallSession;
  log: Logger;
  /**
   * Resolves when the reply audio emitted so far has been taken by the call's pacer and it has room
   * again. A link that can wait before reading more (a synthesizer's stream, an HTTP body) awaits it
   * between chunks: it then reads only as fast as the caller hears (reply-playback.ts).
   */
  replyRoom(): Promise<void>;
}

/** What interrupts the agent: the provider's voice detection, ours, or either. */
export type AgentBargeIn = 'model' | 'speech' | 'both';

/** What one interruption cut: for the dashboard and the tests. */
export interface Interruption {
  itemId: string;
  /** What the caller heard of the item, ms (OpenAI: the truncate's `audio_end_ms`). */
  heardMs: number;
  /** What the model had sent of it, ms. */
  sentMs: number;
  by: 'model' | 'speech';
}

/** What the caller heard of a reply they talked over, or of one cut at a bound (`by: 'limit'`: too long). */
export interface HeardCut {
  replyId: string;
  heardMs: number;
  sentMs: number;
  by?: 'caller' | 'limit';
}

export interface AgentLink extends EventEmitter<AgentLinkEvents> {
  /** `gemini`, `deepgram`, ... (the dashboard and the logs). */
  readonly provider: string;
  /** Caller audio the provider takes, and reply audio it sends, Hz (PCM16 mono). */
  readonly inputRate: number;
  readonly outputRate: number;
  /**
   * How the provider's memory of an interrupted reply is made to match what the caller heard:
   * `exact` (cut at the heard position), `note` (told the heard words in a message that does not
   * ask for a reply) or `none` (the provider keeps what it sent; voicesocket's turns show the truth).
   */
  readonly truncation: 'exact' | 'note' | 'none';
  /**
   * The caller is heard by the call's own speech layer (the cascade): its detector is the only barge-in
   * there is, and its words tell a backchannel from an interruption (docs/turn-taking.md).
   */
  readonly hearsWithOurSpeech?: boolean;
  /** Options of the call's detector this link wants (the cascade: a short end of speech; its end-of-turn policy waits longer where the words say so). */
  readonly listenOptions?: ListenOptions;
  /**
   * Resolves when the provider takes audio (and the greeting, if any, was asked for); rejects when it
   * cannot (refused, unreachable). Rates are final once it resolves.
   */
  connect(): Promise<void>;
  /** Caller audio at `inputRate`, 20 ms at a time, as it arrives (a buffer of its own: a link may keep it). */
  sendAudio(pcm: Buffer): void;
  /** The caller talked over the reply: stop making it, and amend the provider's memory (`truncation`). */
  interrupted(cut: HeardCut): void;
  toolResult(id: string, name: string, output: string): void;
  close(): void;
}

/** A provider written against the link: makes one link per call, and the bridge does the rest. */
export interface LinkProvider {
  readonly name: string;
  link(context: AgentLinkContext): AgentLink;
}

/** What any agent on a call shows, whatever its provider: the dashboard's turns, the cuts, readiness. */
export interface VoiceAgent {
  readonly provider: string;
  readonly turns: TurnLog;
  /** Interruptions so far, in order. */
  readonly interruptions: Interruption[];
  /** Resolves when the provider is connected; rejects when it cannot be (already handled on the call). */
  readonly ready: Promise<void>;
}

/**
 * A provider that runs the call through its own SDK's session (OpenAI's Agents SDK: its transport
 * is the SDK's extension point, vonage-realtime-transport.ts), given the same options.
 */
export interface SessionProvider<Options = unknown> {
  readonly name: string;
  start(call: CallSession, options: Options): VoiceAgent;
}

export type AgentProvider = LinkProvider | SessionProvider;
