/**
 * Gemini Live through Google's official SDK (`@google/genai`, `ai.live.connect`), pointed elsewhere by
 * its `httpOptions.baseUrl` (the SDK makes the WebSocket address from it). The wire protocol is in
 * docs/agents.md; in short: caller audio in as `realtimeInput.audio` (PCM16 at 16 kHz), the model's
 * audio out in `serverContent.modelTurn` parts (PCM16 at 24 kHz), transcripts of both sides,
 * `serverContent.interrupted` when its own voice detection hears the caller (its barge-in), and
 * `toolCall` / `toolResponse` for tools.
 *
 * Truncation: Gemini keeps in its history what it had sent when it was interrupted, not what was
 * heard, and has no message to cut it. The link tells it the heard words in a `clientContent` turn
 * that does not complete the turn (so it asks for no reply): `note`.
 */
import { EventEmitter } from 'node:events';
import type { FunctionCall, GoogleGenAI, LiveServerMessage, Session } from '@google/genai';
import type { AgentLink, AgentLinkContext, AgentLinkEvents, HeardCut, LinkProvider } from '../agent-link.js';
import { ReplyTracker } from '../reply-tracker.js';
import { installedSdk, optionalSdk } from '../../vendor-sdk.js';

// The SDK, an optional dependency, loaded with this module when it is installed (src/vendor-sdk.ts).
const genai = await optionalSdk(() => import('@google/genai'));
import { parseJsonStrict, RepeatedKeyError } from '../strict-json.js';

export interface GeminiOptions {
  apiKey: string;
  /** A Live model (default `gemini-2.5-flash-native-audio-preview-09-2025`). */
  model?: string;
  /** A prebuilt voice (`Puck`, `Kore`, ...). */
  voice?: string;
  /** The API base (a proxy, or a server speaking the protocol); Google's own when unset. */
  baseUrl?: string;
}

export const DEFAULT_GEMINI_MODEL = 'gemini-2.5-flash-native-audio-preview-09-2025';
const INPUT_RATE = 16000;
const OUTPUT_RATE = 24000;

export function geminiProvider(options: GeminiOptions): LinkProvider {
  return { name: 'gemini', link: (context) => new GeminiLink(options, context) };
}

interface SocketCallbacks {
  onmessage(event: { data: unknown }): void;
  [other: string]: unknown;
}

/**
 * The SDK parses each frame in a promise nobody awaits: a frame that is not JSON (or a callback that
 * throws) would be an unhandled rejection, which ends the whole process, every call with it. Frames
 * are checked here first, and junk is reported as this call's error.
 */
function guardFrames(ai: GoogleGenAI, junk: (detail: string) => void, refused: (calls: FunctionCall[], why: Error) => void): void {
  const live = ai.live as unknown as { webSocketFactory: { create(url: string, headers: unknown, callbacks: SocketCallbacks): unknown } };
  const factory = live.webSocketFactory;
  live.webSocketFactory = {
    create: (url, headers, callbacks) =>
      factory.create(url, headers, {
        ...callbacks,
        onmessage: (event) => {
          const text = typeof event.data === 'string' ? event.data : Buffer.isBuffer(event.data) ? event.data.toString() : '';
          try {
            parseJsonStrict(text);
          } catch (error) {
            if (!(error instanceof RepeatedKeyError)) return junk('Gemini sent a frame that is not JSON; dropped');
            // The SDK would read the last of a repeated key: the frame is dropped, and its tool calls
            // answered with the refusal so that the model is not left waiting.
            const calls = (JSON.parse(text) as LiveServerMessage).toolCall?.functionCalls ?? [];
            junk(`Gemini sent a frame that repeats a key; dropped (${error.message})`);
            return refused(calls, error);
          }
          callbacks.onmessage(event);
        },
      }),
  };
}

class GeminiLink extends EventEmitter<AgentLinkEvents> implements AgentLink {
  readonly provider = 'gemini';
  readonly truncation = 'note' as const;
  readonly inputRate = INPUT_RATE;
  readonly outputRate = OUTPUT_RATE;
  #session: Session | undefined;
  #open = false;
  #callerText = '';
  readonly #replies = new ReplyTracker('gemini', (event, replyId) => this.emit(event, replyId));
  readonly #ai: GoogleGenAI;

  constructor(
    private readonly options: GeminiOptions,
    private readonly context: AgentLinkContext,
  ) {
    super();
    // One client per call: the frame guard reports to this call.
    const { GoogleGenAI } = installedSdk(genai, '@google/genai', 'the gemini agent provider');
    this.#ai = new GoogleGenAI({ apiKey: options.apiKey, ...(options.baseUrl ? { httpOptions: { baseUrl: options.baseUrl } } : {}) });
    guardFrames(
      this.#ai,
      (detail) => this.emit('error', detail),
      (calls, why) => {
        for (const call of calls) this.emit('tool-call', { id: call.id ?? call.name ?? 'call', name: call.name ?? '', args: why });
      },
    );
  }

  async connect(): Promise<void> {
    const { instructions, tools, greeting } = this.context;
    this.#session = await this.#ai.live.connect({
      model: this.options.model ?? DEFAULT_GEMINI_MODEL,
      config: {
        responseModalities: [genai!.Modality.AUDIO],
        systemInstruction: instructions,
        inputAudioTranscription: {},
        outputAudioTranscription: {},
        ...(tools.length > 0
          ? { tools: [{ functionDeclarations: tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: t.parameters })) }] }
          : {}),
        ...(this.options.voice ? { speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: this.options.voice } } } } : {}),
      },
      callbacks: {
        onmessage: (message) => {
          try {
            this.#message(message);
          } catch (error) {
            // JSON of a shape the protocol does not have: this message is dropped, the call goes on.
            this.emit('error', `Gemini sent a message this link cannot read: ${(error as Error).message}`);
          }
        },
        onerror: (event) => this.emit('error', String((event as { message?: unknown }).message ?? 'WebSocket error')),
        onclose: (event) => {
          const wasOpen = this.#open;
          this.#open = false;
          if (wasOpen) this.emit('closed', `the model closed the session (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
        },
      },
    });
    this.#open = true;
    if (greeting)
      this.#session.sendClientContent({
        turns: [{ role: 'user', parts: [{ text: `Greet the caller with exactly these words: ${greeting}` }] }],
        turnComplete: true,
      });
  }

  sendAudio(pcm: Buffer): void {
    if (!this.#open) return;
    this.#session?.sendRealtimeInput({ audio: { data: pcm.toString('base64'), mimeType: `audio/pcm;rate=${INPUT_RATE}` } });
  }

  /**
   * Gemini's own barge-in has already stopped the reply; ours has not, but any client content stops
   * the generation under way (the protocol's rule), so the note does both. The reply stays current
   * until Gemini ends its turn: audio still in flight keeps the cut reply's id and is dropped.
   */
  interrupted(cut: HeardCut): void {
    const note = this.#replies.heardNote(cut);
    if (note === undefined || !this.#open) return;
    this.#session?.sendClientContent({ turns: [{ role: 'user', parts: [{ text: `[${note}]` }] }], turnComplete: false });
  }

  toolResult(id: string, name: string, output: string): void {
    if (this.#open) this.#session?.sendToolResponse({ functionResponses: [{ id, name, response: { output } }] });
  }

  close(): void {
    this.#open = false;
    this.#session?.close();
  }

  #message(message: LiveServerMessage): void {
    const content = message.serverContent;
    if (content?.interrupted) {
      // Gemini heard the caller over its reply and stopped generating it.
      this.emit('caller-started');
    }
    if (content?.inputTranscription?.text) {
      this.#callerText += content.inputTranscription.text;
      this.emit('caller-text', this.#callerText.trim());
    }
    for (const part of content?.modelTurn?.parts ?? []) {
      const data = part.inlineData?.data;
      if (!data || !part.inlineData?.mimeType?.startsWith('audio/pcm')) continue;
      const reply = this.#currentReply();
      const pcm = Buffer.from(data, 'base64');
      reply.sentMs += (pcm.length / 2 / OUTPUT_RATE) * 1000;
      this.emit('audio', pcm, reply.id);
    }
    if (content?.outputTranscription?.text) {
      const reply = this.#currentReply();
      reply.text += content.outputTranscription.text;
      this.emit('reply-text', reply.id, reply.text.trim());
    }
    if (content?.turnComplete || content?.interrupted) this.#replies.finish();
    for (const call of message.toolCall?.functionCalls ?? []) {
      this.emit('tool-call', { id: call.id ?? call.name ?? 'call', name: call.name ?? '', args: call.args ?? {} });
    }
  }

  /** The reply under way; a new one starts the caller's next words afresh. */
  #currentReply() {
    if (!this.#replies.current) this.#callerText = '';
    return this.#replies.open();
  }
}
