/**
 * Deepgram's Voice Agent through its official SDK (`@deepgram/sdk`, `agent.v1.connect`), pointed
 * elsewhere by the client's `baseUrl`. The protocol (docs/agents.md): a `Settings` message first
 * (audio formats, listen/think/speak providers, the prompt, functions, the greeting), answered by
 * `SettingsApplied`; caller audio as binary linear16; reply audio as binary; `UserStartedSpeaking`
 * (its barge-in), `ConversationText` of both sides, `AgentStartedSpeaking`, `AgentAudioDone`,
 * `FunctionCallRequest` / `FunctionCallResponse`, `Error`.
 *
 * Deepgram takes linear16 at any rate and speaks at the rate asked for: both are the call's, so
 * nothing is resampled. Truncation: the agent keeps the reply it sent and has no message to cut it;
 * the link appends the heard words to the prompt (`UpdatePrompt`, the instructions plus one line
 * about the last interruption): `note`.
 */
import { EventEmitter } from 'node:events';
import type { DeepgramClient } from '@deepgram/sdk';
import type { AgentLink, AgentLinkContext, AgentLinkEvents, HeardCut, LinkProvider } from '../agent-link.js';
import { ReplyTracker } from '../reply-tracker.js';
import { installedSdk, optionalSdk } from '../../vendor-sdk.js';

// The SDK, an optional dependency, loaded with this module when it is installed (src/vendor-sdk.ts).
const deepgram = await optionalSdk(() => import('@deepgram/sdk'));

type AgentSocket = Awaited<ReturnType<DeepgramClient['agent']['v1']['connect']>>;

export interface DeepgramAgentOptions {
  apiKey: string;
  /** The API base (a proxy, or a server speaking the protocol); Deepgram's own when unset. */
  baseUrl?: string;
  /** Speech to text (default `nova-3`). */
  listenModel?: string;
  /** The chat model Deepgram runs: provider type and model (default `open_ai`, `gpt-4o-mini`). */
  think?: { provider: string; model: string };
  /** Voice (default `aura-2-thalia-en`). */
  voice?: string;
}

/** Audio waiting to be read from the SDK's socket, at most: 2 MB is 43 s of it at 24 kHz, far more than a read's delay. */
const MAX_INBOX_BYTES = 2 * 1024 * 1024;

export function deepgramAgentProvider(options: DeepgramAgentOptions): LinkProvider {
  const { DeepgramClient } = installedSdk(deepgram, '@deepgram/sdk', 'the deepgram agent provider');
  const client = new DeepgramClient({ apiKey: options.apiKey, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) });
  return { name: 'deepgram', link: (context) => new DeepgramAgentLink(client, options, context) };
}

class DeepgramAgentLink extends EventEmitter<AgentLinkEvents> implements AgentLink {
  readonly provider = 'deepgram';
  readonly truncation = 'note' as const;
  readonly inputRate: number;
  readonly outputRate: number;
  #socket: AgentSocket | undefined;
  #open = false;
  #closing = false;
  readonly #replies = new ReplyTracker('deepgram', (event, replyId) => this.emit(event, replyId));
  /** Binary and JSON messages, handled in arrival order (a Blob is read asynchronously). */
  #inbox: Promise<void> = Promise.resolve();
  /** Bytes of audio waiting in the inbox: the SDK pushes and cannot be paused, so what waits is bounded. */
  #inboxBytes = 0;

  constructor(
    private readonly client: DeepgramClient,
    private readonly options: DeepgramAgentOptions,
    private readonly context: AgentLinkContext,
  ) {
    super();
    this.inputRate = context.callRate;
    this.outputRate = context.callRate;
  }

  async connect(): Promise<void> {
    const socket = await this.client.agent.v1.connect({ Authorization: `Token ${this.options.apiKey}`, reconnectAttempts: 0 });
    this.#socket = socket;
    let settled = false;
    const applied = new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      socket.on('message', (message) => {
        if (!settled && typeof message === 'object' && !(message instanceof Blob)) {
          if (message.type === 'SettingsApplied') settle();
          if (message.type === 'Error') settle(new Error(`Deepgram refused the settings: ${message.description}`));
        }
        // Audio read slower than Deepgram sends it would wait here without end (it was seen at 40 MB/s):
        // past a few seconds' worth, it is dropped, and the bridge's bounds cut the reply.
        const bytes = message instanceof Blob ? message.size : 0;
        if (bytes > 0 && this.#inboxBytes + bytes > MAX_INBOX_BYTES)
          return void this.emit('error', 'Deepgram sent audio faster than it could be read; dropped');
        this.#inboxBytes += bytes;
        this.#inbox = this.#inbox
          .then(() => this.#message(message))
          .catch(() => undefined)
          .finally(() => (this.#inboxBytes -= bytes));
      });
      socket.on('close', (event) => {
        const wasOpen = this.#open;
        this.#open = false;
        const why = `${event.code}${event.reason ? `: ${event.reason}` : ''}`;
        if (!settled) settle(new Error(`Deepgram closed the connection (${why})`));
        else if (wasOpen && !this.#closing) this.emit('closed', `Deepgram closed the agent session (${why})`);
      });
      socket.on('error', (error) => settle(error));
    });
    // A handshake that fails rejects waitForOpen; this one's rejection is then nobody's.
    applied.catch(() => undefined);
    socket.connect();
    await socket.waitForOpen();
    socket.sendSettings(this.#settings());
    await applied;
    this.#open = true;
  }

  #settings(): Parameters<AgentSocket['sendSettings']>[0] {
    const { instructions, tools, greeting, callRate } = this.context;
    return {
      type: 'Settings',
      audio: { input: { encoding: 'linear16', sample_rate: callRate }, output: { encoding: 'linear16', sample_rate: callRate, container: 'none' } },
      agent: {
        listen: { provider: { type: 'deepgram', model: this.options.listenModel ?? 'nova-3' } },
        think: {
          provider: { type: this.options.think?.provider ?? 'open_ai', model: this.options.think?.model ?? 'gpt-4o-mini' },
          prompt: instructions,
          ...(tools.length > 0 ? { functions: tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })) } : {}),
        },
        speak: { provider: { type: 'deepgram', model: this.options.voice ?? 'aura-2-thalia-en' } },
        ...(greeting ? { greeting } : {}),
      },
    } as Parameters<AgentSocket['sendSettings']>[0];
  }

  sendAudio(pcm: Buffer): void {
    // readyState too: the socket is closing before its close event says so, and the SDK throws then.
    if (this.#open && this.#socket?.readyState === 1) this.#socket.sendMedia(pcm);
  }

  interrupted(cut: HeardCut): void {
    const note = this.#replies.heardNote(cut);
    if (note === undefined || !this.#open) return;
    this.#socket?.sendUpdatePrompt({ type: 'UpdatePrompt', prompt: `${this.context.instructions}\n\n${note}` });
  }

  toolResult(id: string, name: string, output: string): void {
    if (this.#open) this.#socket?.sendFunctionCallResponse({ type: 'FunctionCallResponse', id, name, content: output });
  }

  close(): void {
    this.#closing = true;
    this.#open = false;
    this.#socket?.close();
  }

  async #message(message: unknown): Promise<void> {
    if (message instanceof Blob) {
      const pcm = Buffer.from(await message.arrayBuffer());
      const reply = this.#replies.open();
      reply.sentMs += (pcm.length / 2 / this.outputRate) * 1000;
      this.emit('audio', pcm, reply.id);
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const event = message as {
      type?: string;
      role?: string;
      content?: string;
      description?: string;
      functions?: Array<{ id: string; name: string; arguments: string; client_side: boolean }>;
    };
    switch (event.type) {
      case 'UserStartedSpeaking':
        // Deepgram's barge-in: the reply under way is over (it sends no AgentAudioDone for it).
        this.emit('caller-started');
        return this.#replies.finish();
      case 'AgentStartedSpeaking':
        // A reply that already has audio is an old one cut short: this is the next.
        if ((this.#replies.current?.sentMs ?? 0) > 0) this.#replies.finish();
        this.#replies.open();
        return;
      case 'ConversationText':
        if (event.role === 'user') this.emit('caller-text', event.content ?? '');
        else if (event.role === 'assistant') {
          const reply = this.#replies.open();
          reply.text = reply.text ? `${reply.text} ${event.content ?? ''}` : (event.content ?? '');
          this.emit('reply-text', reply.id, reply.text);
        }
        return;
      case 'AgentAudioDone':
        return this.#replies.finish();
      case 'FunctionCallRequest':
        for (const call of event.functions ?? []) {
          if (!call.client_side) continue;
          // The arguments' text: the bridge reads it strictly (a repeated key, or text that is not JSON, is refused).
          this.emit('tool-call', { id: call.id, name: call.name, args: typeof call.arguments === 'string' ? call.arguments : '' });
        }
        return;
      case 'Error':
        this.emit('error', event.description ?? 'Deepgram reported an error');
        return;
      default:
        return;
    }
  }
}
