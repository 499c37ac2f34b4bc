/**
 * A local server speaking ElevenLabs Agents' protocol: the REST call the official SDK
 * (`@elevenlabs/elevenlabs-js`) makes for a signed URL, and the conversation WebSocket that URL opens.
 * As documented (https://elevenlabs.io/docs/agents-platform/api-reference/conversations/get-signed-url
 * and https://elevenlabs.io/docs/agents-platform/api-reference/agents-platform/websocket):
 *
 * - `GET /v1/convai/conversation/get-signed-url?agent_id=…` with `xi-api-key` → `{ "signed_url": "wss://…" }`;
 *   a wrong key → 401 `{ "detail": { "status": "invalid_api_key", "message": … } }`.
 * - WebSocket, client: `conversation_initiation_client_data` (`conversation_config_override.agent.prompt`,
 *   `first_message`), `{ user_audio_chunk: <base64 PCM16> }`, `pong` (`event_id`), `client_tool_result`
 *   (`tool_call_id`, `result`, `is_error`), `contextual_update` (`text`: informs, asks for no reply).
 * - WebSocket, server: `conversation_initiation_metadata` (`conversation_id`,
 *   `agent_output_audio_format`, `user_input_audio_format`, e.g. `pcm_16000`), `audio`
 *   (`audio_event.audio_base_64`, `event_id`), `agent_response`, `user_transcript`, `interruption`
 *   (`interruption_event.event_id`: when its detection hears the caller over its speech), `ping`
 *   (`ping_event.event_id`, `ping_ms`), `client_tool_call` (`tool_name`, `tool_call_id`, `parameters`).
 *
 * The "model" is fake-voice-model.ts's. Behaviour by agent id: `fake-drop` closes with 1011 once its
 * first reply has begun; `fake-silent` never answers; `fake-ulaw` is set to `ulaw_8000` audio;
 * `fake-garbage` sends text that is not JSON and messages of shapes the protocol does not have before
 * each reply; `fake-huge` starts its reply with one 2 MB audio event; `fake-endless` never stops
 * speaking, as fast as the socket takes it.
 */
import type { WebSocket } from 'ws';
import { startVendorServer } from './fake-vendor-server.js';
import { burst, flood, LevelTurns, spokenAudio } from './fake-voice-model.js';

export type ElevenLabsTurn = { say?: string; call?: string; arguments?: Record<string, unknown>; then?: string; heard?: string } | null;

export interface ElevenLabsRecord {
  agentId: string;
  initiation: Record<string, unknown> | undefined;
  contextualUpdates: string[];
  toolResults: Array<Record<string, unknown>>;
  pongs: number;
  /** `fake-endless`: bytes of audio sent. */
  floodBytes: number;
  audioInMs: number;
  closed: boolean;
}

export interface FakeElevenLabs {
  baseUrl: string;
  apiKey: string;
  sessions: ElevenLabsRecord[];
  /** Signed-URL requests refused for a wrong key. */
  readonly refusedKeys: number;
  close(): Promise<void>;
}

const RATE = 16000;

function serve(socket: WebSocket, record: ElevenLabsRecord, turns: ElevenLabsTurn[]): void {
  let turnIndex = 0;
  let eventId = 0;
  let speaking: { cancelled: boolean } | undefined;
  let pendingThen: string | undefined;
  const send = (message: Record<string, unknown>) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const speak = async (text: string) => {
    const turn = { cancelled: false };
    speaking = turn;
    send({ type: 'agent_response', agent_response_event: { agent_response: text } });
    if (record.agentId === 'fake-endless') {
      await flood(
        socket,
        RATE,
        (chunk) => {
          record.floodBytes += chunk.length;
          send({ type: 'audio', audio_event: { audio_base_64: chunk.toString('base64'), event_id: ++eventId } });
        },
        () => socket.readyState !== socket.OPEN,
      );
      return;
    }
    const pcm = await spokenAudio(text, RATE);
    await burst(
      pcm,
      RATE,
      (chunk, index) => {
        if (record.agentId === 'fake-drop' && index === 5) return socket.close(1011, 'internal error');
        send({ type: 'audio', audio_event: { audio_base_64: chunk.toString('base64'), event_id: ++eventId } });
      },
      () => turn.cancelled || socket.readyState !== socket.OPEN,
    );
    if (speaking === turn) speaking = undefined;
  };
  const caller = new LevelTurns(RATE, {
    started: () => {
      if (!speaking) return;
      speaking.cancelled = true;
      speaking = undefined;
      send({ type: 'interruption', interruption_event: { event_id: eventId } });
    },
    ended: () => {
      const turn = turns[Math.min(turnIndex++, turns.length - 1)] ?? null;
      if (turn?.heard) send({ type: 'user_transcript', user_transcription_event: { user_transcript: turn.heard } });
      if (!turn || record.agentId === 'fake-silent') return;
      if (record.agentId === 'fake-garbage') {
        socket.send('this is not JSON {');
        send({ type: 'audio', audio_event: 'not an object' });
        send({ type: 'ping', ping_event: null });
      }
      if (record.agentId === 'fake-huge')
        send({ type: 'audio', audio_event: { audio_base_64: Buffer.alloc(2 * 1024 * 1024).toString('base64'), event_id: ++eventId } });
      if (turn.call) {
        pendingThen = turn.then;
        send({ type: 'client_tool_call', client_tool_call: { tool_name: turn.call, tool_call_id: `tool-${turnIndex}`, parameters: turn.arguments ?? {} } });
      } else if (turn.say) void speak(turn.say);
    },
  });
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    if (typeof message.user_audio_chunk === 'string') {
      const pcm = Buffer.from(message.user_audio_chunk, 'base64');
      record.audioInMs += (pcm.length / 2 / RATE) * 1000;
      return caller.push(pcm);
    }
    switch (message.type) {
      case 'conversation_initiation_client_data': {
        record.initiation = message;
        const format = record.agentId === 'fake-ulaw' ? 'ulaw_8000' : `pcm_${RATE}`;
        send({
          type: 'conversation_initiation_metadata',
          conversation_initiation_metadata_event: { conversation_id: `conv_${Date.now()}`, agent_output_audio_format: format, user_input_audio_format: format },
        });
        send({ type: 'ping', ping_event: { event_id: 1, ping_ms: 20 } });
        const first = (message.conversation_config_override as { agent?: { first_message?: string } } | undefined)?.agent?.first_message;
        if (first) void speak(first);
        return;
      }
      case 'pong':
        record.pongs++;
        return;
      case 'contextual_update':
        record.contextualUpdates.push(String(message.text));
        return;
      case 'client_tool_result':
        record.toolResults.push(message);
        if (pendingThen) void speak(pendingThen);
        pendingThen = undefined;
        return;
      default:
        return;
    }
  });
}

export async function startFakeElevenLabs(options: { apiKey?: string; turns?: ElevenLabsTurn[] } = {}): Promise<FakeElevenLabs> {
  const apiKey = options.apiKey ?? 'xi-test-key';
  const sessions: ElevenLabsRecord[] = [];
  const signatures = new Map<string, string>();
  let refusedKeys = 0;
  let port = 0;
  const server = await startVendorServer(
    (_request, url) => signatures.get(url.searchParams.get('conversation_signature') ?? '') === url.searchParams.get('agent_id'),
    ({ url, accept }) =>
      accept((ws) => {
        const record: ElevenLabsRecord = {
          agentId: url.searchParams.get('agent_id') ?? '',
          initiation: undefined,
          contextualUpdates: [],
          toolResults: [],
          pongs: 0,
          floodBytes: 0,
          audioInMs: 0,
          closed: false,
        };
        ws.on('close', () => (record.closed = true));
        sessions.push(record);
        serve(ws, record, options.turns ?? [{ say: 'Hello.' }]);
      }),
    (request, response) => {
      const url = new URL(request.url ?? '/', 'http://fake');
      if (url.pathname !== '/v1/convai/conversation/get-signed-url') return void response.writeHead(404).end();
      if (request.headers['xi-api-key'] !== apiKey) {
        refusedKeys++;
        response.writeHead(401, { 'content-type': 'application/json' });
        return void response.end(JSON.stringify({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } }));
      }
      const agentId = url.searchParams.get('agent_id') ?? '';
      const signature = `sig_${signatures.size + 1}`;
      signatures.set(signature, agentId);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          signed_url: `ws://127.0.0.1:${port}/v1/convai/conversation?agent_id=${encodeURIComponent(agentId)}&conversation_signature=${signature}`,
        }),
      );
    },
  );
  port = server.port;
  return {
    baseUrl: `http://127.0.0.1:${server.port}`,
    apiKey,
    sessions,
    get refusedKeys() {
      return refusedKeys;
    },
    close: () => server.close(),
  };
}
