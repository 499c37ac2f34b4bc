/**
 * ElevenLabs Agents (Conversational AI): a signed conversation URL from ElevenLabs' official server
 * SDK (`@elevenlabs/elevenlabs-js`, `conversationalAi.conversations.getSignedUrl`, pointed elsewhere by
 * its `baseUrl`), then the documented conversation WebSocket (the SDK has no Node client for it; its
 * browser client needs a microphone). The protocol (docs/agents.md): `conversation_initiation_client_data`
 * first (the prompt and first message as overrides), `conversation_initiation_metadata` back with the
 * audio formats; caller audio as `user_audio_chunk`; the agent's `audio`, `agent_response`,
 * `user_transcript`, `interruption` (its barge-in), `ping` (answered by `pong`), `client_tool_call`
 * (answered by `client_tool_result`).
 *
 * Audio is PCM16 at the rates the agent is set to (`pcm_16000` by default); an agent set to μ-law is
 * refused at connect with a line that says so. Truncation: ElevenLabs cuts its reply at what it
 * estimates was played; the link also sends the heard words as a `contextual_update`, which informs
 * the agent without asking it to speak: `note`. The agent's own tools come from its configuration in
 * ElevenLabs: voicesocket answers those it has (hang_up, transfer_call) when the agent calls them.
 */
import { EventEmitter } from 'node:events';
import type { ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import WebSocket from 'ws';
import type { AgentLink, AgentLinkContext, AgentLinkEvents, HeardCut, LinkProvider } from '../agent-link.js';
import { ReplyTracker } from '../reply-tracker.js';
import { parseJsonStrict, RepeatedKeyError } from '../strict-json.js';
import { installedSdk, optionalSdk } from '../../vendor-sdk.js';

// The SDK, an optional dependency, loaded with this module when it is installed (src/vendor-sdk.ts).
const elevenlabs = await optionalSdk(() => import('@elevenlabs/elevenlabs-js'));

export interface ElevenLabsAgentOptions {
  apiKey: string;
  /** The agent's id in ElevenLabs. */
  agentId: string;
  /** The API base (a proxy, or a server speaking the protocol); ElevenLabs' own when unset. */
  baseUrl?: string;
  /** A voice id to use instead of the agent's (needs the override allowed on the agent). */
  voice?: string;
}

/** ElevenLabs sends no end of a reply: its audio stopped coming for this long ends it. */
const REPLY_QUIET_MS = 1000;

export function elevenLabsProvider(options: ElevenLabsAgentOptions): LinkProvider {
  const { ElevenLabsClient } = installedSdk(elevenlabs, '@elevenlabs/elevenlabs-js', 'the elevenlabs agent provider');
  const client = new ElevenLabsClient({ apiKey: options.apiKey, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) });
  return { name: 'elevenlabs', link: (context) => new ElevenLabsLink(client, options, context) };
}

/** `pcm_16000` → 16000; anything else (μ-law, mp3) is not PCM16 and is refused. */
function pcmRate(format: unknown): number {
  const match = /^pcm_(\d+)$/.exec(String(format ?? 'pcm_16000'));
  if (!match) throw new Error(`the ElevenLabs agent's audio format is ${String(format)}; set it to PCM (pcm_16000) for voicesocket`);
  return Number(match[1]);
}

class ElevenLabsLink extends EventEmitter<AgentLinkEvents> implements AgentLink {
  readonly provider = 'elevenlabs';
  readonly truncation = 'note' as const;
  inputRate = 16000;
  outputRate = 16000;
  #socket: WebSocket | undefined;
  #open = false;
  #closing = false;
  readonly #replies = new ReplyTracker('elevenlabs', (event, replyId) => this.emit(event, replyId));
  #quiet: NodeJS.Timeout | undefined;
  /** Audio events up to this id were cut by an interruption: any still in flight are dropped. */
  #cutThrough = -1;

  constructor(
    private readonly client: ElevenLabsClient,
    private readonly options: ElevenLabsAgentOptions,
    private readonly context: AgentLinkContext,
  ) {
    super();
  }

  async connect(): Promise<void> {
    const { signedUrl } = await this.client.conversationalAi.conversations.getSignedUrl({ agentId: this.options.agentId });
    const socket = new WebSocket(signedUrl);
    this.#socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => {
        const { instructions, greeting } = this.context;
        socket.send(
          JSON.stringify({
            type: 'conversation_initiation_client_data',
            conversation_config_override: {
              agent: { prompt: { prompt: instructions }, ...(greeting ? { first_message: greeting } : {}) },
              ...(this.options.voice ? { tts: { voice_id: this.options.voice } } : {}),
            },
          }),
        );
      });
      socket.on('message', (data: Buffer) => {
        let message: Record<string, unknown>;
        const text = data.toString();
        try {
          message = parseJsonStrict(text) as Record<string, unknown>;
        } catch (error) {
          if (!(error instanceof RepeatedKeyError)) return void this.emit('error', 'ElevenLabs sent a message that is not JSON');
          // Read as JSON.parse would (the last of a repeated key), only to answer a tool call with the refusal.
          this.emit('error', `ElevenLabs sent a message that repeats a key; dropped (${error.message})`);
          const call = (JSON.parse(text) as { type?: unknown; client_tool_call?: Record<string, unknown> }).client_tool_call;
          if (call) this.emit('tool-call', { id: String(call.tool_call_id ?? ''), name: String(call.tool_name ?? ''), args: error });
          return;
        }
        if (!this.#open && message.type === 'conversation_initiation_metadata') {
          const metadata = (message.conversation_initiation_metadata_event ?? {}) as Record<string, unknown>;
          try {
            this.inputRate = pcmRate(metadata.user_input_audio_format);
            this.outputRate = pcmRate(metadata.agent_output_audio_format);
          } catch (error) {
            return reject(error as Error);
          }
          this.#open = true;
          return resolve();
        }
        try {
          this.#message(message);
        } catch (error) {
          // JSON of a shape the protocol does not have: dropped; a throw here would end the process.
          this.emit('error', `ElevenLabs sent a message this link cannot read: ${(error as Error).message}`);
        }
      });
      socket.on('close', (code, reason) => {
        const why = `${code}${reason.length ? `: ${reason.toString()}` : ''}`;
        if (!this.#open) return reject(new Error(`ElevenLabs closed the conversation before it began (${why})`));
        this.#open = false;
        if (!this.#closing) this.emit('closed', `ElevenLabs closed the conversation (${why})`);
      });
      socket.on('error', (error) => {
        if (!this.#open) reject(error);
      });
    });
  }

  sendAudio(pcm: Buffer): void {
    if (this.#open) this.#socket?.send(JSON.stringify({ user_audio_chunk: pcm.toString('base64') }));
  }

  interrupted(cut: HeardCut): void {
    const note = this.#replies.heardNote(cut);
    if (note !== undefined) this.#send({ type: 'contextual_update', text: note });
  }

  toolResult(id: string, _name: string, output: string): void {
    this.#send({ type: 'client_tool_result', tool_call_id: id, result: output, is_error: false });
  }

  close(): void {
    this.#closing = true;
    this.#open = false;
    clearTimeout(this.#quiet);
    this.#socket?.close();
  }

  #send(message: Record<string, unknown>): void {
    if (this.#open && this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #message(message: Record<string, unknown>): void {
    const body = (key: string) => (message[key] ?? {}) as Record<string, unknown>;
    switch (message.type) {
      case 'audio': {
        const event = body('audio_event');
        if (typeof event.audio_base_64 !== 'string' || Number(event.event_id) <= this.#cutThrough) return;
        const pcm = Buffer.from(event.audio_base_64, 'base64');
        const reply = this.#replies.open();
        reply.sentMs += (pcm.length / 2 / this.outputRate) * 1000;
        this.emit('audio', pcm, reply.id);
        clearTimeout(this.#quiet);
        this.#quiet = setTimeout(() => this.#endReply(), REPLY_QUIET_MS);
        return;
      }
      case 'agent_response': {
        // A new response: the one before it is done.
        if ((this.#replies.current?.sentMs ?? 0) > 0) this.#endReply();
        const reply = this.#replies.open();
        reply.text = String(body('agent_response_event').agent_response ?? '');
        this.emit('reply-text', reply.id, reply.text);
        return;
      }
      case 'user_transcript':
        this.emit('caller-text', String(body('user_transcription_event').user_transcript ?? ''));
        return;
      case 'interruption':
        this.#cutThrough = Math.max(this.#cutThrough, Number(body('interruption_event').event_id ?? -1));
        this.emit('caller-started');
        return this.#endReply();
      case 'ping':
        return this.#send({ type: 'pong', event_id: body('ping_event').event_id });
      case 'client_tool_call': {
        const call = body('client_tool_call');
        this.emit('tool-call', { id: String(call.tool_call_id ?? ''), name: String(call.tool_name ?? ''), args: call.parameters ?? {} });
        return;
      }
      case 'error':
        this.emit('error', String(message.message ?? body('error_event').message ?? 'ElevenLabs reported an error'));
        return;
      default:
        return;
    }
  }

  /** The reply under way ended; its quiet timer, if still running, must not end the next one. */
  #endReply(): void {
    clearTimeout(this.#quiet);
    this.#replies.finish();
  }
}
