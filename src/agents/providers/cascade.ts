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
 *
 * Bounded whatever the model or the speech-to-text engine does: one chat request at a time per call;
 * each with `max_tokens`, its body capped in bytes, its text in characters, its time, and stopped
 * when it gives nothing to speak (chat-round.ts); tool calls per reply and tool rounds per turn; each
 * synthesis request a sentence of bounded length, its audio read as the pacer takes it.
 */
import { EventEmitter } from 'node:events';
import type OpenAI from 'openai';
import type { ChatCompletionMessageFunctionToolCall, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { Transcription } from '../../call/call-speech.js';
import { SampledLog } from '../../call/logger.js';
import { errorCode } from '../../errors.js';
import type { ListenOptions } from '../../speech/utterance-detector.js';
import type { EndOfTurnOptions } from '../../speech/end-of-turn-policy.js';
import { shortestHangover, TurnEnds } from '../../call/turn-ends.js';
import type { Synthesizer } from '../../speech/synthesizer.js';
import type { AgentLink, AgentLinkContext, AgentLinkEvents, HeardCut, LinkProvider } from '../agent-link.js';
import { heardOfSpans, type SpokenSpan } from '../heard-text.js';
import { cappedFetch } from './capped-fetch.js';
import { streamChatRound, type ChatRoundEnd } from './chat-round.js';
import { installedSdk, optionalSdk } from '../../vendor-sdk.js';

// The SDK, an optional dependency, loaded with this module when it is installed (src/vendor-sdk.ts).
const openai = await optionalSdk(() => import('openai'));
import { errorDetail } from '../../error-detail.js';

export interface CascadeOptions {
  /** The chat model: an OpenAI-compatible chat-completions endpoint. */
  llm: {
    model: string;
    apiKey?: string | undefined;
    /** `https://api.openai.com/v1` by default; `http://localhost:11434/v1` for Ollama, and so on. */
    baseUrl?: string | undefined;
    temperature?: number;
    /** `max_tokens` of each request: a reply longer than this is cut by the model's server (default 1024). */
    maxTokens?: number;
  };
  /** The speech-to-text engine, by the server's name for it (`pocketsphinx`, `deepgram`, a user's); the server's default when unset. */
  stt?: string | undefined;
  /** The text-to-speech engine, or its name on the server (`espeak-ng`, `deepgram`, a user's); the server's default when unset. */
  tts?: Synthesizer | string | undefined;
  voice?: string | undefined;
  /** A stream that gives nothing to speak (a sentence, or its end) for this long is a stalled model, ms (default 10 000). */
  streamIdleMs?: number;
  /** A stream that runs longer is cut there, what was said standing, ms (default 60 000). */
  streamMaxMs?: number;
  /**
   * The silence that ends the caller's turn, by what they said (docs/turn-taking.md): 300 ms after a
   * finished sentence, 1200 after "and" or "um", 1500 after a number, 500 otherwise.
   */
  endOfTurn?: EndOfTurnOptions;
}

const DEFAULT_STREAM_IDLE_MS = 10_000;
const DEFAULT_STREAM_MAX_MS = 60_000;
/**
 * A reply's text, at most: 8000 characters are eight minutes of speech, and twice what `max_tokens`
 * lets a well-behaved server send; more is a server that does not honour it.
 */
export const MAX_REPLY_CHARS = 8000;
/** Bytes of one chat response, at most (its events' framing included): the text's cap several times over. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
/** One synthesis request, at most (a run-on is spoken in pieces of this). */
export const MAX_SENTENCE_CHARS = 600;
/** A tool call's arguments, at most: phone tools take a few short fields. */
const MAX_ARGUMENT_CHARS = 8000;
/** What the caller said since the model last answered, at most (a transcriber flooding finals makes no bigger request). */
const MAX_CALLER_CHARS = 4000;
/** A spoken reply of 1024 tokens is several minutes of speech: more is a model that does not stop. */
export const DEFAULT_MAX_TOKENS = 1024;
/** Tool calls run from one reply; the rest are refused (a reply of 3000 calls ran 3000 REST requests). */
export const MAX_TOOL_CALLS_PER_REPLY = 8;
/**
 * Requests answered with tool calls in one turn of the caller. The round after the last is asked with
 * `tool_choice: none`: the model must speak. (A model answering every result with another call made
 * 2364 requests in 15 s.)
 */
export const MAX_TOOL_ROUNDS_PER_TURN = 4;
/** Replies remembered for a late cut (a reply whose text is done but whose audio still plays). */
const REPLIES_KEPT = 4;
/** Messages kept in the history besides the instructions: a long call cannot grow a request without bound. */
const HISTORY_KEPT = 60;
/** Characters of the history kept, at most (about 8000 tokens): a few long messages cannot either. */
const HISTORY_CHARS_KEPT = 32_000;

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
  const { default: OpenAI } = installedSdk(openai, 'openai', 'the cascade agent provider');
  const client = new OpenAI({
    apiKey: options.llm.apiKey ?? 'none',
    ...(options.llm.baseUrl ? { baseURL: options.llm.baseUrl } : {}),
    maxRetries: 0,
    fetch: cappedFetch(MAX_RESPONSE_BYTES),
  });
  return { name: 'cascade', link: (context) => new CascadeLink(client, options, context) };
}

class CascadeLink extends EventEmitter<AgentLinkEvents> implements AgentLink {
  readonly provider = 'cascade';
  readonly truncation = 'exact' as const;
  readonly hearsWithOurSpeech = true;
  readonly listenOptions: ListenOptions;
  readonly inputRate: number;
  readonly outputRate: number;
  readonly #history: ChatCompletionMessageParam[] = [];
  readonly #replies: Reply[] = [];
  readonly #tools: ChatCompletionTool[];
  readonly #tts: Synthesizer;
  #replyCount = 0;
  readonly #log: SampledLog;
  /** Said with the round's last tool answer: calls of the reply that were dropped. */
  #droppedNote: string | undefined;
  #transcription: Transcription | undefined;
  #turns: TurnEnds | undefined;
  #closed = false;
  /** Tool calls of the current round awaiting their results. */
  #awaitingTools = new Set<string>();
  /** Requests of the caller's current turn that ended in tool calls. */
  #toolRounds = 0;
  /** The chat request under way (one at a time per call), and whether another is owed after it. */
  #thinking: Promise<void> | undefined;
  #owed = false;
  /** When the latest final result came, for the next reply's 'recognized' stage. */
  #heardAt: number | undefined;
  /** What the caller said while a request was under way: into the history after that request's reply. */
  #saidMeanwhile: string | undefined;

  constructor(
    private readonly client: OpenAI,
    private readonly options: CascadeOptions,
    private readonly context: AgentLinkContext,
  ) {
    super();
    this.inputRate = context.callRate;
    this.outputRate = context.callRate;
    // The detector ends speech at the shortest hangover; the policy waits longer where the words say so.
    this.listenOptions = { endSilenceMs: shortestHangover(options.endOfTurn) };
    this.#log = new SampledLog(context.log);
    // An engine this server lacks throws here: the bridge ends the call with the failure line.
    this.#tts = typeof options.tts === 'object' ? options.tts : context.call.speech.synthesizer(options.tts);
    this.#tools = context.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }

  connect(): Promise<void> {
    const call = this.context.call;
    // The caller's turn ends where the end-of-turn policy says; the bridge's barge-in gate decides
    // what of their speech during a reply interrupts it (no 'caller-started': our detector is the bridge's).
    this.#turns = new TurnEnds(call, this.options.endOfTurn ?? {}, (text) => this.#heard(text));
    this.#transcription = call.transcribe({ ...(this.options.stt ? { engine: this.options.stt } : {}), interim: false });
    // Nothing waits for the speech-to-text engine to start (PocketSphinx's process takes a second or
    // more on a busy machine, several with calls starting side by side): not the greeting, which the
    // caller hears at once, and not the connection, whose timeout is the chat model's (three calls
    // starting together on a loaded machine were hung up as 'the model did not connect within 3 s').
    // The caller's audio waits in the engine's input meanwhile. An engine that does not start at all
    // (its own start timeout, a missing program) loses the call as a model that dropped does.
    this.#transcription.ready.catch((error: unknown) => {
      if (!this.#closed) this.emit('closed', `the speech-to-text engine did not start: ${errorDetail(error)}`);
    });
    if (this.context.greeting) {
      const reply = this.#newReply();
      this.#speak(reply, this.context.greeting);
      void reply.speaking.then(() => this.#done(reply, { role: 'assistant', content: reply.text }));
    }
    return Promise.resolve();
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
    if (!this.#awaitingTools.has(id)) return;
    this.#awaitingTools.delete(id);
    const note = this.#awaitingTools.size === 0 ? this.#droppedNote : undefined;
    this.#droppedNote = undefined;
    if (this.#toolRounds >= MAX_TOOL_ROUNDS_PER_TURN && this.#awaitingTools.size === 0) {
      output = `${output}\n(That was the last tool call of this turn: answer the caller in words now.)`;
    }
    this.#remember({ role: 'tool', tool_call_id: id, content: note ? `${output}\n${note}` : output });
    const reply = this.#replies.at(-1);
    // Every result is in: the model goes on (unless the caller talked over it meanwhile).
    if (this.#awaitingTools.size === 0 && reply && !reply.abort.signal.aborted) this.#ask();
  }

  close(): void {
    this.#closed = true;
    this.#owed = false;
    this.#turns?.stop();
    for (const reply of this.#replies) reply.abort.abort();
    void this.#transcription?.stop().catch(() => undefined);
  }

  /**
   * The caller's turn ended (turn-ends.ts: their final results since the last, once the silence after
   * them is as long as their words call for): the model answers it. One request at a time per call: a
   * request under way goes on (the caller's speech, heard by the voice detector, is what interrupts a
   * reply), and the next one asks about everything said since. A transcriber flooding results makes
   * one request after another, not one per result (10 000 a second made 401 requests in 10 s).
   */
  #heard(text: string): void {
    if (this.#closed || !text.trim()) return;
    this.#heardAt = performance.now();
    this.emit('caller-text', text);
    if (this.#thinking) {
      // The request under way was made without these words: merged into the caller's message they
      // would stand before the reply that never heard them (and the next request end with that reply).
      this.#saidMeanwhile = (this.#saidMeanwhile === undefined ? text : `${this.#saidMeanwhile}\n${text}`).slice(-MAX_CALLER_CHARS);
      this.#owed = true;
      return;
    }
    this.#callerSaid(text);
    this.#ask();
  }

  /** The caller's words into the history, after whatever they followed. */
  #callerSaid(text: string): void {
    // A round of tools not yet answered is closed first: each call keeps its answer right after it.
    for (const id of this.#awaitingTools) this.#remember({ role: 'tool', tool_call_id: id, content: 'The caller spoke again before this result came.' });
    this.#awaitingTools.clear();
    this.#droppedNote = undefined;
    this.#toolRounds = 0;
    // A caller's message the model did not answer (its reply cut, failed or unheard) is asked again with these.
    const last = this.#history.at(-1);
    if (last?.role === 'user' && typeof last.content === 'string') last.content = `${last.content}\n${text}`.slice(-MAX_CALLER_CHARS);
    else this.#remember({ role: 'user', content: text.slice(-MAX_CALLER_CHARS) });
  }

  /** A request is owed: made now, or when the one under way ends. */
  #ask(): void {
    this.#owed = true;
    if (this.#thinking || this.#closed) return;
    this.#owed = false;
    const reply = this.#newReply();
    // The cascade's own stages of a turn: the caller's words recognized (turn-log.ts splits the latency).
    if (this.#heardAt !== undefined) this.emit('reply-stage', reply.id, 'recognized', this.#heardAt);
    this.#heardAt = undefined;
    this.#thinking = this.#think(reply).finally(() => {
      this.#thinking = undefined;
      const said = this.#saidMeanwhile;
      this.#saidMeanwhile = undefined;
      if (said !== undefined && !this.#closed) this.#callerSaid(said);
      if (this.#owed) this.#ask();
    });
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
    const lastRound = this.#toolRounds >= MAX_TOOL_ROUNDS_PER_TURN;
    let end: ChatRoundEnd;
    try {
      end = await streamChatRound(
        this.client,
        {
          model: this.options.llm.model,
          messages: [{ role: 'system', content: this.context.instructions }, ...this.#history],
          ...(this.#tools.length > 0 ? { tools: this.#tools } : {}),
          // The turn's tool rounds are spent: this answer must be words.
          ...(this.#tools.length > 0 && lastRound ? { tool_choice: 'none' as const } : {}),
          max_tokens: this.options.llm.maxTokens ?? DEFAULT_MAX_TOKENS,
          ...(this.options.llm.temperature !== undefined ? { temperature: this.options.llm.temperature } : {}),
        },
        signal,
        {
          idleMs: this.options.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS,
          maxMs: this.options.streamMaxMs ?? DEFAULT_STREAM_MAX_MS,
          maxChars: MAX_REPLY_CHARS,
          sentenceChars: MAX_SENTENCE_CHARS,
          toolCalls: MAX_TOOL_CALLS_PER_REPLY,
          argumentChars: MAX_ARGUMENT_CHARS,
        },
        (sentence) => this.#speak(reply, sentence),
      );
    } catch (error) {
      return this.#failed(reply, error, this.client.baseURL);
    }
    if (end.kind === 'aborted') return;
    if (end.kind === 'cut') {
      this.#log.warn(errorCode('AGENT_REPLY_TOO_LONG'), { reason: end.reason, provider: 'cascade' }, 'voice agent reply cut at its bound; the call goes on');
      // Nothing of it was fit to say: the caller hears the apology rather than silence.
      if (!reply.text) return this.#failed(reply, new Error(end.reason));
    }
    const dropped = end.droppedCalls;
    const toolCalls: ChatCompletionMessageFunctionToolCall[] = end.toolCalls.map((c, index) => ({
      id: c.id || `call_${reply.id}_${index}`,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
    const overlong = new Set(end.toolCalls.flatMap((c, index) => (c.overlong ? [toolCalls[index]!.id] : [])));
    if (dropped > 0) this.#refused(`${dropped} tool calls past ${MAX_TOOL_CALLS_PER_REPLY} in one reply were dropped`);
    if (toolCalls.length > 0 && lastRound) {
      // Asked for words and answered with calls again: none runs, and nothing more is asked until the caller speaks.
      this.#refused(`tool calls after the turn's ${MAX_TOOL_ROUNDS_PER_TURN} tool rounds were not run`);
      toolCalls.length = 0;
    }
    if (toolCalls.length > 0) {
      this.#toolRounds++;
      this.#remember({ role: 'assistant', content: reply.text || null, tool_calls: toolCalls });
      for (const call of toolCalls) this.#awaitingTools.add(call.id);
      if (dropped > 0) {
        // Told in the last call's answer, so the history stays one answer per call.
        this.#droppedNote = `(Only ${MAX_TOOL_CALLS_PER_REPLY} tool calls run per reply; ${dropped} more were not run.)`;
      }
    }
    await reply.speaking;
    if (signal.aborted) return;
    if (toolCalls.length === 0) this.#done(reply, { role: 'assistant', content: reply.text });
    else this.emit('reply-done', reply.id);
    // The arguments' text as the model wrote it: the bridge reads it strictly (a repeated key is refused).
    for (const call of toolCalls) {
      // The caller spoke meanwhile, and the round was closed: it does not run.
      if (!this.#awaitingTools.has(call.id)) continue;
      const args = overlong.has(call.id) ? new Error(`arguments longer than ${MAX_ARGUMENT_CHARS} characters`) : call.function.arguments;
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
          // The call's end stops its playback (and so frees its room) before its 'end' event closes this link.
          if (signal.aborted || this.#closed || this.context.call.state === 'ended') return;
          const ms = (pcm.length / 2 / this.outputRate) * 1000;
          span.durationMs += ms;
          reply.audioMs += ms;
          this.emit('audio', pcm, reply.id);
          // The next chunk is read only when the pacer has room: a synthesizer is pulled as fast as
          // the caller hears, however fast (or endlessly) it could make audio.
          await this.context.replyRoom();
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

  /** A bound was reached: one coded line, sampled (a model in a loop reaches it every turn). */
  #refused(reason: string): void {
    this.#log.warn(errorCode('AGENT_TOOL_REFUSED'), { reason }, 'voice agent tool call refused; the model was told');
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
    const chars = () => this.#history.reduce((sum, m) => sum + (typeof m.content === 'string' ? m.content.length : 0), 0);
    while (this.#history.length > 1 && (this.#history.length > HISTORY_KEPT || chars() > HISTORY_CHARS_KEPT)) this.#history.shift();
    while (this.#history[0]?.role === 'tool') this.#history.shift();
  }
}
