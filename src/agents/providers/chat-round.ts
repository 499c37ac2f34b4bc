/**
 * One streamed request to the cascade's chat model, read within bounds: the reply's sentences handed
 * out as they complete (sentence-splitter.ts: linear, each at most a bounded piece), its tool calls
 * gathered (at most so many per reply, each with bounded arguments), and the stream stopped when it
 *
 * - makes no progress: no sentence to speak (nor the end) for `idleMs`. A token every 5 s kept a
 *   plain idle timer from ever firing while the caller heard nothing until they hung up;
 * - runs longer than `maxMs`, or says more than `maxChars` (its body's bytes are capped below the SDK,
 *   capped-fetch.ts: one endless line reached 3.3 GB).
 *
 * No progress is a failure of the model (the caller hears the apology); a cap is a cut: what was
 * said stands, the rest is not asked for.
 */
import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { SentenceSplitter } from '../sentence-splitter.js';
import { ReplyTooLarge } from './capped-fetch.js';

export interface ChatRoundLimits {
  /** No sentence (nor the end) for this long is a stalled model, ms. */
  idleMs: number;
  /** The whole stream, at most, ms. */
  maxMs: number;
  /** Text of the reply, at most, characters. */
  maxChars: number;
  /** Text of one sentence (one synthesis request), at most, characters. */
  sentenceChars: number;
  /** Tool calls kept of one reply; the rest are counted and dropped. */
  toolCalls: number;
  /** Arguments' text of one tool call, at most, characters. */
  argumentChars: number;
}

export interface GatheredToolCall {
  id: string;
  name: string;
  arguments: string;
  /** Arguments cut at their limit: the call is refused rather than run with a part of them. */
  overlong: boolean;
}

export type ChatRoundEnd =
  | { kind: 'done' | 'cut'; reason?: string; toolCalls: GatheredToolCall[]; droppedCalls: number }
  /** Stopped from outside (a barge-in, the call's end): nothing failed. */
  | { kind: 'aborted' };

/**
 * Streams `body`, calling `speak` with each sentence (and, at the end, what is left); resolves with
 * how it ended, or rejects with the model's failure (an HTTP error, junk, no progress).
 */
export async function streamChatRound(
  client: OpenAI,
  body: Omit<ChatCompletionCreateParamsStreaming, 'stream'>,
  signal: AbortSignal,
  limits: ChatRoundLimits,
  speak: (sentence: string) => void,
): Promise<ChatRoundEnd> {
  // The request's own controller: a cap stops the stream without stopping the reply's speech.
  const request = new AbortController();
  const stop = () => request.abort();
  signal.addEventListener('abort', stop, { once: true });
  let failure: Error | undefined;
  let cut: string | undefined;
  let idle: NodeJS.Timeout | undefined;
  const progressed = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      failure = new Error(`the chat model said nothing to speak for ${limits.idleMs / 1000} s`);
      request.abort();
    }, limits.idleMs);
  };
  const overall = setTimeout(() => {
    cut = `the chat model's reply ran past ${limits.maxMs / 1000} s`;
    request.abort();
  }, limits.maxMs);
  const splitter = new SentenceSplitter(limits.sentenceChars);
  const calls = new Map<number, GatheredToolCall>();
  let droppedCalls = 0;
  // A call comes in several chunks of one index (its name, then pieces of its arguments), in order.
  let lastDropped: number | undefined;
  let said = 0;
  const say = (sentence: string) => {
    said += sentence.length;
    speak(sentence);
    progressed();
  };
  try {
    progressed();
    const stream = await client.chat.completions.create({ ...body, stream: true }, { signal: request.signal });
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      if (delta?.content) {
        if (said + splitter.pending.length + delta.content.length > limits.maxChars) {
          cut = `the chat model's reply passed ${limits.maxChars} characters`;
          request.abort();
          break;
        }
        for (const sentence of splitter.push(delta.content)) say(sentence);
      }
      for (const call of delta?.tool_calls ?? []) {
        let known = calls.get(call.index);
        if (!known) {
          if (calls.size >= limits.toolCalls) {
            if (call.index !== lastDropped) droppedCalls++;
            lastDropped = call.index;
            continue;
          }
          known = { id: '', name: '', arguments: '', overlong: false };
          calls.set(call.index, known);
        }
        if (call.id) known.id = call.id;
        known.name = (known.name + (call.function?.name ?? '')).slice(0, 64);
        const more = call.function?.arguments ?? '';
        if (known.arguments.length + more.length > limits.argumentChars) known.overlong = true;
        else known.arguments += more;
      }
    }
  } catch (error) {
    if (error instanceof ReplyTooLarge) cut = error.message;
    else if (!request.signal.aborted) throw error;
  } finally {
    clearTimeout(idle);
    clearTimeout(overall);
    signal.removeEventListener('abort', stop);
  }
  if (failure) throw failure;
  // Stopped from outside; the SDK also ends an aborted stream's iteration without throwing.
  if (signal.aborted) return { kind: 'aborted' };
  if (cut) return { kind: 'cut', reason: cut, toolCalls: [], droppedCalls };
  const rest = splitter.flush();
  if (rest.trim()) speak(rest);
  return { kind: 'done', toolCalls: [...calls.values()], droppedCalls };
}
