/**
 * A local server speaking the Gemini Live API's WebSocket protocol as Google's SDK (`@google/genai`,
 * `ai.live.connect`) uses it, reached through the SDK's `httpOptions.baseUrl`. As documented in the
 * Live API reference (https://ai.google.dev/api/live) and guide
 * (https://ai.google.dev/gemini-api/docs/live-guide):
 *
 * - Endpoint: `/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=<key>`.
 * - Client messages: `setup` first (`model`, `generationConfig.responseModalities`, `systemInstruction`,
 *   `tools[].functionDeclarations`, `inputAudioTranscription`, `outputAudioTranscription`), answered by
 *   `setupComplete`; `realtimeInput.audio` (base64 PCM16, `audio/pcm;rate=16000`); `clientContent`
 *   (`turns`, `turnComplete`: content from the client interrupts any generation under way);
 *   `toolResponse.functionResponses[]` (`id`, `name`, `response`).
 * - Server messages: `serverContent` with `modelTurn.parts[].inlineData` (base64 PCM16,
 *   `audio/pcm;rate=24000`), `outputTranscription.text`, `inputTranscription.text`, `interrupted`
 *   (its voice detection heard the caller during a generation, which it cancels), `turnComplete`;
 *   `toolCall.functionCalls[]` (`id`, `name`, `args`).
 * - Errors close the socket with a code and a reason (1007 for a key that is not valid, 1011 for an
 *   internal error).
 *
 * The "model" is fake-voice-model.ts's. Behaviour by model name: `fake-drop` closes with 1011 once its
 * first reply has begun; `fake-silent` never answers; `fake-huge` starts its reply with one 2 MB chunk;
 * `fake-endless` never stops speaking, as fast as the socket takes it; `fake-garbage` sends a text frame that is not JSON, a binary
 * frame and a message of a shape the protocol does not have before each reply.
 */
import type { WebSocket } from 'ws';
import { startVendorServer } from './fake-vendor-server.js';
import { burst, flood, LevelTurns, spokenAudio } from './fake-voice-model.js';

export type GeminiTurn = { say?: string; call?: string; arguments?: Record<string, unknown>; then?: string; heard?: string } | null;

export interface GeminiSessionRecord {
  model: string;
  setup: Record<string, unknown> | undefined;
  /** `clientContent` messages, in order (the greeting, the notes of what was heard). */
  clientContents: Array<{ turns: Array<{ role: string; parts: Array<{ text?: string }> }>; turnComplete?: boolean }>;
  toolResponses: Array<Record<string, unknown>>;
  audioInMs: number;
  /** Server messages sent, with performance.now(). */
  sent: Array<{ at: number; message: Record<string, unknown> }>;
  spokenMs: number;
  closed: boolean;
}

export interface FakeGemini {
  baseUrl: string;
  apiKey: string;
  sessions: GeminiSessionRecord[];
  /** Sessions closed for a key that is not valid. */
  readonly refusedKeys: number;
  close(): Promise<void>;
}

const IN_RATE = 16000;
const OUT_RATE = 24000;

function serve(socket: WebSocket, record: GeminiSessionRecord, turns: GeminiTurn[]): void {
  let turnIndex = 0;
  let generating: { cancelled: boolean } | undefined;
  let pendingThen: string | undefined;
  const send = (message: Record<string, unknown>) => {
    if (socket.readyState !== socket.OPEN) return;
    record.sent.push({ at: performance.now(), message });
    socket.send(JSON.stringify(message));
  };
  const speak = async (text: string) => {
    const generation = { cancelled: false };
    generating = generation;
    if (record.model === 'fake-endless') {
      await flood(
        socket,
        OUT_RATE,
        (chunk) => {
          record.spokenMs += (chunk.length / 2 / OUT_RATE) * 1000;
          // Not kept in `sent`: an endless reply would fill the test's own memory.
          socket.send(
            JSON.stringify({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: chunk.toString('base64') } }] } } }),
          );
        },
        () => socket.readyState !== socket.OPEN,
      );
      return;
    }
    const pcm = await spokenAudio(text, OUT_RATE);
    if (record.model === 'fake-huge')
      send({
        serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: Buffer.alloc(2 * 1024 * 1024).toString('base64') } }] } },
      });
    send({ serverContent: { outputTranscription: { text } } });
    const whole = await burst(
      pcm,
      OUT_RATE,
      (chunk, index) => {
        if (record.model === 'fake-drop' && index === 5) return socket.close(1011, 'Internal error encountered.');
        record.spokenMs += (chunk.length / 2 / OUT_RATE) * 1000;
        send({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: chunk.toString('base64') } }] } } });
      },
      () => generation.cancelled || socket.readyState !== socket.OPEN,
    );
    if (generating === generation) generating = undefined;
    if (whole) send({ serverContent: { turnComplete: true } });
  };
  const respond = (turn: GeminiTurn) => {
    if (!turn || record.model === 'fake-silent') return;
    if (record.model === 'fake-garbage') {
      socket.send('this is not JSON {');
      socket.send(Buffer.from([0xff, 0x00, 0x13]));
      send({ serverContent: { modelTurn: { parts: 5 } } });
    }
    if (turn.call) {
      pendingThen = turn.then;
      send({ toolCall: { functionCalls: [{ id: `call-${turnIndex}`, name: turn.call, args: turn.arguments ?? {} }] } });
      return;
    }
    if (turn.say) void speak(turn.say);
  };
  const caller = new LevelTurns(IN_RATE, {
    started: () => {
      // Its voice detection heard the caller while it was generating: the generation is cancelled.
      if (!generating) return;
      generating.cancelled = true;
      generating = undefined;
      send({ serverContent: { interrupted: true } });
    },
    ended: () => {
      const turn = turns[Math.min(turnIndex++, turns.length - 1)] ?? null;
      if (turn?.heard) send({ serverContent: { inputTranscription: { text: turn.heard } } });
      respond(turn);
    },
  });
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as Record<string, Record<string, unknown> | undefined>;
    if (message.setup) {
      record.setup = message.setup;
      send({ setupComplete: {} });
    } else if (message.realtimeInput?.audio) {
      const pcm = Buffer.from(String((message.realtimeInput.audio as { data: string }).data), 'base64');
      record.audioInMs += (pcm.length / 2 / IN_RATE) * 1000;
      caller.push(pcm);
    } else if (message.clientContent) {
      record.clientContents.push(message.clientContent as GeminiSessionRecord['clientContents'][number]);
      if (generating) generating.cancelled = true; // client content interrupts the generation under way
      generating = undefined;
      const text = (message.clientContent as GeminiSessionRecord['clientContents'][number]).turns[0]?.parts[0]?.text ?? '';
      const greeting = /exactly these words: (.*)$/.exec(text);
      if (greeting && message.clientContent.turnComplete) void speak(greeting[1]!);
    } else if (message.toolResponse) {
      record.toolResponses.push(message.toolResponse);
      if (pendingThen) void speak(pendingThen);
      pendingThen = undefined;
    }
  });
}

export async function startFakeGemini(options: { apiKey?: string; turns?: GeminiTurn[] } = {}): Promise<FakeGemini> {
  const apiKey = options.apiKey ?? 'gemini-test-key';
  const sessions: GeminiSessionRecord[] = [];
  let refusedKeys = 0;
  const server = await startVendorServer(
    (_request, url) => url.pathname.endsWith('BidiGenerateContent'),
    ({ url, accept }) =>
      accept((ws) => {
        if (url.searchParams.get('key') !== apiKey) {
          refusedKeys++;
          ws.close(1007, 'API key not valid. Please pass a valid API key.');
          return;
        }
        const record: GeminiSessionRecord = {
          model: '',
          setup: undefined,
          clientContents: [],
          toolResponses: [],
          audioInMs: 0,
          sent: [],
          spokenMs: 0,
          closed: false,
        };
        ws.once('message', (data: Buffer) => {
          const setup = (JSON.parse(data.toString()) as { setup?: { model?: string } }).setup;
          record.model = String(setup?.model ?? '').replace(/^models\//, '');
        });
        ws.on('close', () => (record.closed = true));
        sessions.push(record);
        serve(ws, record, options.turns ?? [{ say: 'Hello.' }]);
      }),
  );
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
