/**
 * A local server speaking Deepgram's Voice Agent protocol as its SDK (`@deepgram/sdk`,
 * `agent.v1.connect`) uses it, reached through the client's `baseUrl`. As documented
 * (https://developers.deepgram.com/docs/voice-agent and the API reference,
 * https://developers.deepgram.com/reference/voice-agent/voice-agent):
 *
 * - Endpoint `/v1/agent/converse`, `Authorization: Token <key>` (HTTP 401 otherwise); `Welcome` on open.
 * - Client: `Settings` (`audio.input` / `audio.output` encoding and sample rate, `agent.listen`,
 *   `agent.think` with `prompt` and `functions`, `agent.speak`, `agent.greeting`) answered by
 *   `SettingsApplied`; binary caller audio; `FunctionCallResponse` (`id`, `name`, `content`);
 *   `UpdatePrompt` answered by `PromptUpdated`; `KeepAlive`.
 * - Server: `UserStartedSpeaking` (whenever the caller starts; it stops its own speech), `ConversationText`
 *   (`role`, `content`), `AgentThinking`, `AgentStartedSpeaking` (latencies), binary reply audio at the
 *   output rate, `AgentAudioDone`, `FunctionCallRequest` (`functions[]`: `id`, `name`, `arguments`
 *   as a JSON string, `client_side`), `Error` (`description`, `code`).
 *
 * Behaviour by the think model's name: `fake-drop` closes with 1011 once its first reply has begun;
 * `fake-error` answers each turn with an `Error`; `fake-silent` never answers; `fake-garbage` sends text that is not
 * JSON and a message of a shape the protocol does not have before each reply; `fake-huge` starts its
 * reply with one 2 MB binary frame; `fake-endless` never stops speaking, as fast as the socket takes it.
 */
import type { WebSocket } from 'ws';
import { startVendorServer } from './fake-vendor-server.js';
import { burst, flood, LevelTurns, spokenAudio } from './fake-voice-model.js';

export type DeepgramAgentTurn = { say?: string; call?: string; arguments?: Record<string, unknown>; then?: string; heard?: string } | null;

/** The parts of `Settings` the fake reads. */
export interface AgentSettings {
  type: 'Settings';
  audio?: { input?: { encoding?: string; sample_rate?: number }; output?: { encoding?: string; sample_rate?: number; container?: string } };
  agent?: { think?: { provider?: { type?: string; model?: string }; prompt?: string; functions?: Array<{ name: string }> }; greeting?: string };
}

export interface DeepgramAgentRecord {
  settings: AgentSettings | undefined;
  prompts: string[];
  functionResponses: Array<Record<string, unknown>>;
  audioInMs: number;
  sent: Array<{ at: number; message: Record<string, unknown> | 'binary' }>;
  closed: boolean;
  /** `fake-endless`: bytes of audio sent. */
  floodBytes: number;
}

export interface FakeDeepgramAgent {
  baseUrl: string;
  apiKey: string;
  sessions: DeepgramAgentRecord[];
  readonly refused: number;
  close(): Promise<void>;
}

function serve(socket: WebSocket, record: DeepgramAgentRecord, turns: DeepgramAgentTurn[]): void {
  let turnIndex = 0;
  let speaking: { cancelled: boolean } | undefined;
  let pendingThen: string | undefined;
  let caller: LevelTurns | undefined;
  const model = () => String(record.settings?.agent?.think?.provider?.model ?? '');
  const outRate = () => Number(record.settings?.audio?.output?.sample_rate ?? 24000);
  const send = (message: Record<string, unknown>) => {
    if (socket.readyState !== socket.OPEN) return;
    record.sent.push({ at: performance.now(), message });
    socket.send(JSON.stringify(message));
  };
  const speak = async (text: string) => {
    const turn = { cancelled: false };
    speaking = turn;
    send({ type: 'ConversationText', role: 'assistant', content: text });
    send({ type: 'AgentStartedSpeaking', total_latency: 0.4, tts_latency: 0.1, ttt_latency: 0.3 });
    if (model() === 'fake-endless') {
      await flood(
        socket,
        outRate(),
        (chunk) => {
          record.floodBytes += chunk.length;
          socket.send(chunk);
        },
        () => socket.readyState !== socket.OPEN,
      );
      return;
    }
    const pcm = await spokenAudio(text, outRate());
    const whole = await burst(
      pcm,
      outRate(),
      (chunk, index) => {
        if (model() === 'fake-drop' && index === 5) return socket.close(1011, 'internal error');
        record.sent.push({ at: performance.now(), message: 'binary' });
        socket.send(chunk);
      },
      () => turn.cancelled || socket.readyState !== socket.OPEN,
    );
    if (speaking === turn) speaking = undefined;
    if (whole) send({ type: 'AgentAudioDone' });
  };
  const respond = (turn: DeepgramAgentTurn) => {
    if (!turn || model() === 'fake-silent') return;
    if (model() === 'fake-error') return send({ type: 'Error', description: 'The think provider failed to respond.', code: 'THINK_REQUEST_FAILED' });
    if (model() === 'fake-garbage') {
      socket.send('this is not JSON {');
      send({ type: 'ConversationText', role: 5, content: { nested: true } });
    }
    if (model() === 'fake-huge') socket.send(Buffer.alloc(2 * 1024 * 1024));
    send({ type: 'AgentThinking', content: '' });
    if (turn.call) {
      pendingThen = turn.then;
      send({
        type: 'FunctionCallRequest',
        functions: [{ id: `fn-${turnIndex}`, name: turn.call, arguments: JSON.stringify(turn.arguments ?? {}), client_side: true }],
      });
    } else if (turn.say) void speak(turn.say);
  };
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      record.audioInMs += (data.length / 2 / Number(record.settings?.audio?.input?.sample_rate ?? 24000)) * 1000;
      caller?.push(data);
      return;
    }
    const message = JSON.parse(data.toString()) as AgentSettings & { type: string; prompt?: string };
    if (message.type === 'Settings') {
      record.settings = message;
      caller = new LevelTurns(Number(message.audio?.input?.sample_rate ?? 24000), {
        started: () => {
          // Sent whenever the caller starts speaking; the agent stops its own speech.
          send({ type: 'UserStartedSpeaking' });
          if (speaking) speaking.cancelled = true;
          speaking = undefined;
        },
        ended: () => {
          const turn = turns[Math.min(turnIndex++, turns.length - 1)] ?? null;
          if (turn?.heard) send({ type: 'ConversationText', role: 'user', content: turn.heard });
          respond(turn);
        },
      });
      send({ type: 'SettingsApplied' });
      if (message.agent?.greeting) void speak(String(message.agent.greeting));
    } else if (message.type === 'FunctionCallResponse') {
      record.functionResponses.push(message as unknown as Record<string, unknown>);
      if (pendingThen) void speak(pendingThen);
      pendingThen = undefined;
    } else if (message.type === 'UpdatePrompt') {
      record.prompts.push(String(message.prompt));
      send({ type: 'PromptUpdated' });
    }
  });
}

export async function startFakeDeepgramAgent(options: { apiKey?: string; turns?: DeepgramAgentTurn[] } = {}): Promise<FakeDeepgramAgent> {
  const apiKey = options.apiKey ?? 'dg-agent-test-key';
  const sessions: DeepgramAgentRecord[] = [];
  const server = await startVendorServer(`Token ${apiKey}`, ({ url, accept, refuse }) => {
    if (url.pathname !== '/v1/agent/converse') return refuse(404, 'Not Found');
    accept((ws) => {
      const record: DeepgramAgentRecord = { settings: undefined, prompts: [], functionResponses: [], audioInMs: 0, sent: [], closed: false, floodBytes: 0 };
      ws.on('close', () => (record.closed = true));
      sessions.push(record);
      ws.send(JSON.stringify({ type: 'Welcome', request_id: `req-${sessions.length}` }));
      serve(ws, record, options.turns ?? [{ say: 'Hello.' }]);
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${server.port}`,
    apiKey,
    sessions,
    get refused() {
      return server.refused;
    },
    close: () => server.close(),
  };
}
