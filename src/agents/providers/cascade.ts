/**
 * The cascaded agent: the call's own speech-to-text (any engine of ours: PocketSphinx, Deepgram, a
 * user's) → any chat model behind an OpenAI-compatible chat-completions endpoint (OpenAI, Groq, a local
 * Ollama or vLLM: a base URL), streamed → text-to-speech sentence by sentence as the tokens arrive
 * (espeak-ng, Deepgram Aura, a user's) → the bridge's pacer. The official `openai` SDK is the client.
 *
 * The history is ours, so barge-in is exact in what it keeps: the LLM stream and the synthesis stop,
 * and the assistant message kept is only the words the caller heard — whole sentences by their own
 * synthesized length, the sentence that was cut by the proportional estimate of heard-text.ts.
 * Audio is made at the call's rate: nothing is resampled on the way.
 */
import { EventEmitter } from 'node:events';
import OpenAI from 'openai';
import type { ChatCompletionMessageFunctionToolCall, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { Transcription } from '../../call/call-speech.js';
import type { TranscriptEvent } from '../../speech/speech-events.js';
import type { Synthesizer } from '../../speech/synthesizer.js';
import type { AgentLink, AgentLinkContext, AgentLinkEvents, HeardCut, LinkProvider } from '../agent-link.js';
import { heardOfSpans, type SpokenSpan } from '../heard-text.js';
import { errorDetail } from '../../error-detail.js';

export interface CascadeOptions {
  /** The chat model: an OpenAI-compatible chat-completions endpoint. */
  llm: {
    model: string;
    apiKey?: string | undefined;
    /** `https://api.openai.com/v1` by default; `http://localhost:11434/v1` for Ollama, and so on. */
    baseUrl?: string | undefined;
    temperature?: number;
  };
  /** The speech-to-text engine, by the server's name for it (`pocketsphinx`, `deepgram`, a user's); the server's default when unset. */
  stt?: string | undefined;
  /** The text-to-speech engine, or its name on the server (`espeak-ng`, `deepgram`, a user's); the server's default when unset. */
  tts?: Synthesizer | string | undefined;
  voice?: string | undefined;
  /** A stream that sends nothing for this long is a stalled model, ms (default 10 000). */
  streamIdleMs?: number;
}

const DEFAULT_STREAM_IDLE_MS = 10_000;
/** Replies remembered for a late cut (a reply whose text is done but whose audio still plays). */
const REPLIES_KEPT = 4;
/** Messages kept in the history besides the instructions: a long call cannot grow a request without bound. */
const HISTORY_KEPT = 60;

/** One reply as it is made and heard. */
interface Reply {
  id: string;
  abort: AbortController;
  spans: SpokenSpan[];
  audioMs: number;
  /** Everything the model said (whole sentences are spoken as they complete). */
  text: string;
  /** The assistant message in the history, once the reply is done: a cut rewrites it. */
  message?: { role: 'assistant'; content: string };
  /** The sentences, synthesized one after another in order. */
  speaking: Promise<void>;
}

export function cascadeProvider(options: CascadeOptions): LinkProvider {
  // No retries: a caller waiting in silence is better served by the apology than by a retry's backoff.
  const client = new OpenAI({ apiKey: options.llm.apiKey ?? 'none', ...(options.llm.baseUrl ? { baseURL: options.llm.baseUrl } : {}), maxRetries: 0 });
  return { name: 'cascade', link: (context) => new CascadeLink(client, options, context) };
}

/** Where a sentence ends: . ! ? (or a line break) and the space after it. */
const SENTENCE_END = /[.!?]+["')\]]*\s+|\n+/;

class CascadeLink extends EventEmitter<AgentLinkEvents> implements AgentLink {
  readonly provider = 'cascade';
  readonly truncation = 'exact' as const;
  readonly inputRate: number;
  readonly outputRate: number;
  readonly #history: ChatCompletionMessageParam[] = [];
  readonly #replies: Reply[] = [];
  readonly #tools: ChatCompletionTool[];
  readonly #tts: Synthesizer;
  #replyCount = 0;
  #transcription: Transcription | undefined;
  #closed = false;
  /** Tool calls of the current round awaiting their results. */
  #awaitingTools = new Set<string>();

  constructor(
    private readonly client: OpenAI,
    private readonly options: CascadeOptions,
    private readonly context: AgentLinkContext,
  ) {
    super();
    this.inputRate = context.callRate;
    this.outputRate = context.callRate;
    // An engine this server lacks throws here: the bridge ends the call with the failure line.
    this.#tts = typeof options.tts === 'object' ? options.tts : context.call.speech.synthesizer(options.tts);
    this.#tools = context.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }

  async connect(): Promise<void> {
    const call = this.context.call;
    call.on('speech-start', () => {
      if (!this.#closed) this.emit('caller-started');
    });
    call.on('transcript', (event) => this.#heard(event));
    this.#transcription = call.transcribe({ ...(this.options.stt ? { engine: this.options.stt } : {}), interim: false });
    // The greeting does not wait for the speech-to-text engine to start (PocketSphinx's process takes
    // a second or more on a busy machine): the caller hears it at once.
    if (this.context.greeting) {
      const reply = this.#newReply();
      this.#speak(reply, this.context.greeting);
      void reply.speaking.then(() => this.#done(reply, { role: 'assistant', content: reply.text }));
    }
    await this.#transcription.ready;
  }

  /** The call's own speech layer hears the caller; nothing to send. */
  sendAudio(): void {}

  interrupted(cut: HeardCut): void {
    const reply = this.#replies.find((r) => r.id === cut.replyId);
    if (!reply) return;
    reply.abort.abort();
    const heard = heardOfSpans(reply.spans, cut.heardMs);
    if (reply.message) reply.message.content = heard;
    else this.#remember({ role: 'assistant', content: heard });
    // A reply nobody heard a word of leaves no message behind.
    const emptied = this.#history.findIndex((m) => m.role === 'assistant' && m.content === '' && !('tool_calls' in m && m.tool_calls));
    if (emptied >= 0) this.#history.splice(emptied, 1);
  }

  toolResult(id: string, _name: string, output: string): void {
    this.#remember({ role: 'tool', tool_call_id: id, content: output });
    this.#awaitingTools.delete(id);
    const reply = this.#replies.at(-1);
    // Every result is in: the model goes on (unless the caller talked over it meanwhile).
    if (this.#awaitingTools.size === 0 && reply && !reply.abort.signal.aborted && !this.#closed) void this.#think(this.#newReply());
  }

  close(): void {
    this.#closed = true;
    for (const reply of this.#replies) reply.abort.abort();
    void this.#transcription?.stop().catch(() => undefined);
  }

  /** A final result of the caller's speech: the model answers it. */
  #heard(event: TranscriptEvent): void {
    if (this.#closed || event.kind !== 'final' || !event.text.trim()) return;
    const recognized = performance.now();
    this.emit('caller-text', event.text);
    this.#remember({ role: 'user', content: event.text });
    for (const reply of this.#replies) reply.abort.abort();
    this.#awaitingTools.clear();
    const reply = this.#newReply();
    this.emit('reply-stage', reply.id, 'recognized', recognized);
    void this.#think(reply);
  }

  #newReply(): Reply {
    const reply: Reply = { id: `cascade-${++this.#replyCount}`, abort: new AbortController(), spans: [], audioMs: 0, text: '', speaking: Promise.resolve() };
    this.#replies.push(reply);
    if (this.#replies.length > REPLIES_KEPT) this.#replies.shift();
    this.emit('reply-started', reply.id);
    return reply;
  }

  /** One round of the chat model, its sentences spoken as they complete. */
  async #think(reply: Reply): Promise<void> {
    const { signal } = reply.abort;
    let idle: NodeJS.Timeout | undefined;
    let stall: Error | undefined;
    const stalled = () => {
      stall = new Error(`the chat model sent nothing for ${(this.options.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS) / 1000} s`);
      reply.abort.abort(stall);
    };
    const alive = () => {
      clearTimeout(idle);
      idle = setTimeout(stalled, this.options.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS);
    };
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    let pending = '';
    try {
      alive();
      const stream = await this.client.chat.completions.create(
        {
          model: this.options.llm.model,
          stream: true,
          messages: [{ role: 'system', content: this.context.instructions }, ...this.#history],
          ...(this.#tools.length > 0 ? { tools: this.#tools } : {}),
          ...(this.options.llm.temperature !== undefined ? { temperature: this.options.llm.temperature } : {}),
        },
        { signal },
      );
      for await (const chunk of stream) {
        alive();
        const delta = chunk.choices[0]?.delta;
        if (delta?.content) {
          pending += delta.content;
          for (let end = SENTENCE_END.exec(pending); end; end = SENTENCE_END.exec(pending)) {
            this.#speak(reply, pending.slice(0, end.index + end[0].length));
            pending = pending.slice(end.index + end[0].length);
          }
        }
        for (const call of delta?.tool_calls ?? []) {
          const known = calls.get(call.index) ?? { id: '', name: '', arguments: '' };
          calls.set(call.index, {
            id: call.id ?? known.id,
            name: known.name + (call.function?.name ?? ''),
            arguments: known.arguments + (call.function?.arguments ?? ''),
          });
        }
      }
    } catch (error) {
      // Aborted by a barge-in or the call's end: nothing failed.
      if (!signal.aborted || stall) this.#failed(reply, stall ?? error, this.client.baseURL);
      return;
    } finally {
      clearTimeout(idle);
    }
    // The SDK ends an aborted stream's iteration without throwing: a stall is told apart here too.
    if (signal.aborted) {
      if (stall) this.#failed(reply, stall, this.client.baseURL);
      return;
    }
    if (pending.trim()) this.#speak(reply, pending);
    const toolCalls: ChatCompletionMessageFunctionToolCall[] = [...calls.values()].map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
    if (toolCalls.length > 0) {
      this.#remember({ role: 'assistant', content: reply.text || null, tool_calls: toolCalls });
      for (const call of toolCalls) this.#awaitingTools.add(call.id);
    }
    await reply.speaking;
    if (signal.aborted) return;
    if (toolCalls.length === 0) this.#done(reply, { role: 'assistant', content: reply.text });
    else this.emit('reply-done', reply.id);
    for (const call of toolCalls) {
      let args: unknown;
      try {
        args = JSON.parse(call.function.arguments || '{}');
      } catch {
        args = {};
      }
      this.emit('tool-call', { id: call.id, name: call.function.name, args });
    }
  }

  /** Synthesizes `sentence` after the reply's earlier ones, reporting its audio as it comes. */
  #speak(reply: Reply, sentence: string): void {
    const text = sentence.trim();
    if (!text) return;
    reply.text = reply.text ? `${reply.text} ${text}` : text;
    this.emit('reply-text', reply.id, reply.text);
    const { signal } = reply.abort;
    reply.speaking = reply.speaking.then(async () => {
      if (signal.aborted) return;
      const span: SpokenSpan = { text, startMs: reply.audioMs, durationMs: 0 };
      if (reply.spans.length === 0) this.emit('reply-stage', reply.id, 'synthesizing', performance.now());
      reply.spans.push(span);
      try {
        for await (const pcm of this.#tts.synthesize(text, {
          sampleRate: this.outputRate,
          signal,
          ...(this.options.voice ? { voice: this.options.voice } : {}),
        })) {
          if (signal.aborted) return;
          const ms = (pcm.length / 2 / this.outputRate) * 1000;
          span.durationMs += ms;
          reply.audioMs += ms;
          this.emit('audio', pcm, reply.id);
        }
      } catch (error) {
        if (!signal.aborted) this.#failed(reply, error);
      }
    });
  }

  #done(reply: Reply, message: { role: 'assistant'; content: string }): void {
    if (reply.abort.signal.aborted) return;
    reply.message = message;
    if (message.content) this.#remember(message);
    this.emit('reply-done', reply.id);
  }

  /** `url`: the chat model's, when it is what failed ("Connection error." alone names neither where nor why). */
  #failed(reply: Reply, error: unknown, url?: string): void {
    reply.abort.abort();
    if (this.#closed) return;
    this.emit('reply-done', reply.id);
    this.emit('error', errorDetail(error, url));
  }

  #remember(message: ChatCompletionMessageParam): void {
    this.#history.push(message);
    // Forget the oldest, but never start the history with a tool's answer cut from its call.
    while (this.#history.length > HISTORY_KEPT || this.#history[0]?.role === 'tool') this.#history.shift();
  }
}
