/**
 * A local server speaking the subset of OpenAI's Realtime WebSocket protocol that the Agents SDK
 * (`@openai/agents-realtime`) uses, so the real SDK — pointed here by its `url` option — drives our
 * transport with no account. Events, as documented:
 *
 * - Client events (https://platform.openai.com/docs/api-reference/realtime-client-events):
 *   `session.update`, `input_audio_buffer.append` (base64 PCM16, 24 kHz here), `response.create`,
 *   `response.cancel`, `conversation.item.create` (a tool's `function_call_output`),
 *   `conversation.item.truncate` (`item_id`, `content_index`, `audio_end_ms`).
 * - Server events (https://platform.openai.com/docs/api-reference/realtime-server-events):
 *   `session.created` on connect, `session.updated`, server VAD's `input_audio_buffer.speech_started` /
 *   `speech_stopped` (`audio_start_ms` / `audio_end_ms` in ms of audio appended) then
 *   `input_audio_buffer.committed` and the user item (`conversation.item.added`,
 *   `conversation.item.input_audio_transcription.completed`), a response (`response.created`,
 *   `response.output_item.added`, `response.content_part.added`, `response.output_audio.delta`,
 *   `response.output_audio_transcript.delta`, `response.output_audio.done`,
 *   `response.output_audio_transcript.done`, `response.output_item.done`, `response.done`), a function
 *   call (`response.output_item.added` / `.done` with `type: function_call`), `conversation.item.truncated`,
 *   and `error`. Authentication: `Authorization: Bearer <key>` on the upgrade, 401 otherwise.
 *
 * The "model" follows a script: each user turn (speech that stopped) plays the next scripted turn —
 * speech (espeak-ng at 24 kHz, leading silence trimmed, sent in 100 ms deltas four times faster than
 * real time, as the real model bursts), or a tool call and then speech. Its VAD is a level gate.
 * Failures by model name: `fake-drop` closes the socket without a close frame once its first reply
 * has begun; `fake-error` answers the first turn with an `error` event; `fake-slow` completes the
 * WebSocket handshake only after 10 s; `fake-silent` takes the socket and the caller's audio and never
 * answers; `fake-errorloop` answers each turn with 300 `error` events; `fake-endless` never stops
 * speaking, as fast as the socket takes it; `fake-huge` starts its reply
 * with one 2 MB audio delta (42 s of audio in one event, as no real model sends).
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { startVendorServer } from './fake-vendor-server.js';
import { levelDb } from '../../src/speech/voice-activity.js';
import { flood, spokenAudio } from './fake-voice-model.js';

/**
 * A scripted turn: speech; a tool call (then `then`, said once the tool's output comes back); or both
 * in one response (speech, then the call: "Goodbye!" and hang_up). `heard`: the caller's transcript.
 * `then` may be a function of the tool's output: what a model makes of what the tool told it.
 */
export type FakeTurn = {
  say?: string;
  call?: string;
  arguments?: Record<string, unknown>;
  then?: string | ((output: string) => string);
  heard?: string;
} | null;

export interface FakeRealtimeOptions {
  apiKey?: string;
  /** What the model does for each user turn, in order (the last repeats); null: nothing. */
  turns?: FakeTurn[];
  /** What a `response.create` the client asks for by itself says (the greeting). */
  greeting?: string;
}

export interface RealtimeSessionRecord {
  model: string;
  authorization: string | undefined;
  /** Client events by type, in order. */
  received: Array<Record<string, unknown>>;
  /** Server events sent, with the time they were sent (performance.now()). */
  sent: Array<{ at: number; event: Record<string, unknown> }>;
  truncations: Array<{ item_id: string; content_index: number; audio_end_ms: number }>;
  appendedMs: number;
  /** Items the model spoke: id → ms of audio sent. */
  spoken: Map<string, number>;
  /** The client closed or lost the socket. */
  closed: boolean;
}

export interface FakeRealtime {
  /** The WebSocket URL to give the SDK (`ws://127.0.0.1:port/v1/realtime`). */
  url: string;
  apiKey: string;
  sessions: RealtimeSessionRecord[];
  /** Upgrades refused for a wrong key (401). */
  readonly refused: number;
  close(): Promise<void>;
}

const RATE = 24000;
const VOICED_DB = -35;
const SILENCE_TO_STOP_MS = 500;
const DELTA_MS = 100;

const id = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

function serve(socket: WebSocket, record: RealtimeSessionRecord, options: FakeRealtimeOptions): void {
  const turns = options.turns ?? [{ say: 'Hello.' }];
  let turnIndex = 0;
  let speaking = false;
  let voicedFrom = 0;
  let lastVoiced = 0;
  let userItem = '';
  let previousItem: string | null = null;
  let carry = Buffer.alloc(0);
  let activeResponse: { id: string; cancelled: boolean } | undefined;
  /** A tool call is out: the client's next response.create follows its output, and says `then` (or nothing). */
  let awaitingToolOutput = false;
  let pendingThen: NonNullable<FakeTurn>['then'];
  let toolOutput = '';
  let dropped = false;
  const send = (event: Record<string, unknown>) => {
    if (socket.readyState !== socket.OPEN) return;
    const full = { event_id: id('event'), ...event };
    record.sent.push({ at: performance.now(), event: full });
    socket.send(JSON.stringify(full));
  };

  const respond = async (turn: FakeTurn, spoken?: string) => {
    const text = spoken ?? turn?.say;
    const call = spoken === undefined ? turn?.call : undefined;
    if (text === undefined && call === undefined) return;
    const response = { id: id('resp'), cancelled: false };
    activeResponse = response;
    const output: Array<Record<string, unknown>> = [];
    send({ type: 'response.created', response: { id: response.id, object: 'realtime.response', status: 'in_progress', output: [] } });
    if (text !== undefined) {
      const item = id('item');
      const base = { response_id: response.id, output_index: 0 };
      send({ type: 'response.output_item.added', ...base, item: { id: item, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
      send({
        type: 'conversation.item.added',
        previous_item_id: previousItem,
        item: { id: item, type: 'message', role: 'assistant', status: 'in_progress', content: [] },
      });
      previousItem = item;
      send({ type: 'response.content_part.added', ...base, item_id: item, content_index: 0, part: { type: 'audio', transcript: '' } });
      send({ type: 'response.output_audio_transcript.delta', ...base, item_id: item, content_index: 0, delta: text });
      if (record.model === 'fake-endless') {
        await flood(
          socket,
          RATE,
          (chunk) => {
            record.spoken.set(item, (record.spoken.get(item) ?? 0) + (chunk.length / 2 / RATE) * 1000);
            // Not kept in `sent`: an endless reply would fill the test's own memory.
            socket.send(
              JSON.stringify({
                type: 'response.output_audio.delta',
                event_id: id('event'),
                ...base,
                item_id: item,
                content_index: 0,
                delta: chunk.toString('base64'),
              }),
            );
          },
          () => response.cancelled || socket.readyState !== socket.OPEN,
        );
        return;
      }
      const pcm = await spokenAudio(text, RATE);
      if (record.model === 'fake-huge')
        send({ type: 'response.output_audio.delta', ...base, item_id: item, content_index: 0, delta: Buffer.alloc(2 * 1024 * 1024).toString('base64') });
      const step = (RATE * 2 * DELTA_MS) / 1000;
      // Paced by the clock, not by a sum of timers: each timer of a loaded event loop runs late, and
      // 86 of them (an 8.5 s reply) added up to a second, so a reply meant to be all sent before the
      // caller spoke again was still being sent.
      const began = performance.now();
      for (let offset = 0, sent = 1; offset < pcm.length; offset += step, sent++) {
        if (response.cancelled || socket.readyState !== socket.OPEN) return;
        if (record.model === 'fake-drop' && offset >= step * 5) {
          dropped = true;
          socket.terminate();
          return;
        }
        const chunk = pcm.subarray(offset, offset + step);
        record.spoken.set(item, (record.spoken.get(item) ?? 0) + (chunk.length / 2 / RATE) * 1000);
        send({ type: 'response.output_audio.delta', ...base, item_id: item, content_index: 0, delta: chunk.toString('base64') });
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, began + (sent * DELTA_MS) / 4 - performance.now())));
      }
      if (response.cancelled) return;
      const done = { id: item, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_audio', transcript: text }] };
      send({ type: 'response.output_audio.done', ...base, item_id: item, content_index: 0 });
      send({ type: 'response.output_audio_transcript.done', ...base, item_id: item, content_index: 0, transcript: text });
      send({ type: 'response.content_part.done', ...base, item_id: item, content_index: 0, part: { type: 'audio', transcript: text } });
      send({ type: 'response.output_item.done', ...base, item: done });
      output.push(done);
    }
    if (call !== undefined) {
      const outputIndex = output.length;
      const item = { id: id('item'), type: 'function_call', call_id: id('call'), name: call, arguments: JSON.stringify(turn?.arguments ?? {}) };
      send({
        type: 'response.output_item.added',
        response_id: response.id,
        output_index: outputIndex,
        item: { ...item, arguments: '', status: 'in_progress' },
      });
      send({
        type: 'response.function_call_arguments.done',
        response_id: response.id,
        output_index: outputIndex,
        item_id: item.id,
        call_id: item.call_id,
        arguments: item.arguments,
      });
      send({ type: 'response.output_item.done', response_id: response.id, output_index: outputIndex, item: { ...item, status: 'completed' } });
      output.push({ ...item, status: 'completed' });
      awaitingToolOutput = true;
      pendingThen = turn?.then;
    }
    send({ type: 'response.done', response: { id: response.id, object: 'realtime.response', status: 'completed', output } });
    activeResponse = undefined;
  };

  const userTurnEnded = () => {
    const turn = turns[Math.min(turnIndex++, turns.length - 1)] ?? null;
    send({ type: 'input_audio_buffer.speech_stopped', item_id: userItem, audio_end_ms: Math.round(lastVoiced) });
    send({ type: 'input_audio_buffer.committed', item_id: userItem, previous_item_id: previousItem });
    send({
      type: 'conversation.item.added',
      previous_item_id: previousItem,
      item: { id: userItem, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_audio', transcript: null }] },
    });
    previousItem = userItem;
    if (turn?.heard) send({ type: 'conversation.item.input_audio_transcription.completed', item_id: userItem, content_index: 0, transcript: turn.heard });
    if (record.model === 'fake-silent') return;
    if (record.model === 'fake-errorloop') {
      for (let i = 0; i < 300; i++) send({ type: 'error', error: { type: 'server_error', code: 'server_error', message: `error ${i} of a model in a loop` } });
      return;
    }
    if (record.model === 'fake-error') {
      send({ type: 'error', error: { type: 'server_error', code: 'server_error', message: 'The server had an error while processing your request.' } });
      return;
    }
    void respond(turn);
  };

  const onAudio = (pcm: Buffer) => {
    carry = Buffer.concat([carry, pcm]);
    const frameBytes = (RATE / 50) * 2;
    while (carry.length >= frameBytes) {
      const frame = carry.subarray(0, frameBytes);
      carry = carry.subarray(frameBytes);
      const voiced = levelDb(frame) > VOICED_DB;
      if (voiced && !speaking) {
        speaking = true;
        voicedFrom = record.appendedMs;
        userItem = id('item');
        send({ type: 'input_audio_buffer.speech_started', item_id: userItem, audio_start_ms: Math.round(voicedFrom) });
      }
      record.appendedMs += 20;
      if (voiced) lastVoiced = record.appendedMs;
      if (speaking && record.appendedMs - lastVoiced >= SILENCE_TO_STOP_MS) {
        speaking = false;
        userTurnEnded();
      }
    }
  };

  socket.on('message', (data: Buffer) => {
    if (dropped) return;
    const event = JSON.parse(data.toString()) as Record<string, unknown> & { type: string };
    record.received.push(event);
    switch (event.type) {
      case 'session.update':
        send({
          type: 'session.updated',
          session: { type: 'realtime', object: 'realtime.session', id: 'sess_fake', model: record.model, ...(event.session as object) },
        });
        return;
      case 'input_audio_buffer.append':
        onAudio(Buffer.from(String(event.audio), 'base64'));
        return;
      case 'conversation.item.truncate': {
        const { item_id, content_index, audio_end_ms } = event as unknown as RealtimeSessionRecord['truncations'][number];
        record.truncations.push({ item_id, content_index, audio_end_ms });
        send({ type: 'conversation.item.truncated', item_id, content_index, audio_end_ms });
        return;
      }
      case 'response.cancel':
        if (activeResponse) {
          activeResponse.cancelled = true;
          send({ type: 'response.done', response: { id: activeResponse.id, object: 'realtime.response', status: 'cancelled', output: [] } });
          activeResponse = undefined;
        }
        return;
      case 'conversation.item.create': {
        const item = event.item as { type?: string; output?: unknown } | undefined;
        if (item?.type === 'function_call_output') toolOutput = String(item.output);
        return;
      }
      case 'response.create': {
        const text = awaitingToolOutput ? (typeof pendingThen === 'function' ? pendingThen(toolOutput) : pendingThen) : options.greeting;
        awaitingToolOutput = false;
        pendingThen = undefined;
        if (text !== undefined) void respond(null, text);
        return;
      }
      default:
        return;
    }
  });
}

export async function startFakeRealtime(options: FakeRealtimeOptions = {}): Promise<FakeRealtime> {
  const apiKey = options.apiKey ?? 'sk-test-fake';
  const sessions: RealtimeSessionRecord[] = [];
  // The script's speech is made before any call: espeak-ng started mid-call on a loaded machine
  // delays a reply by however long the machine makes it wait.
  await Promise.all((options.turns ?? []).flatMap((turn) => (turn?.say ? [spokenAudio(turn.say, RATE)] : [])));
  const server = await startVendorServer(`Bearer ${apiKey}`, ({ request, url, accept }) => {
    const model = url.searchParams.get('model') ?? 'gpt-realtime';
    const start = () =>
      accept((ws) => {
        const record: RealtimeSessionRecord = {
          model,
          authorization: request.headers.authorization,
          received: [],
          sent: [],
          truncations: [],
          appendedMs: 0,
          spoken: new Map(),
          closed: false,
        };
        ws.on('close', () => (record.closed = true));
        sessions.push(record);
        const created = { event_id: id('event'), type: 'session.created', session: { type: 'realtime', object: 'realtime.session', id: 'sess_fake', model } };
        record.sent.push({ at: performance.now(), event: created });
        ws.send(JSON.stringify(created));
        serve(ws, record, options);
      });
    // A slow start: the handshake itself waits.
    if (model === 'fake-slow') setTimeout(start, 10_000).unref();
    else start();
  });
  return {
    url: `ws://127.0.0.1:${server.port}/v1/realtime`,
    apiKey,
    sessions,
    get refused() {
      return server.refused;
    },
    close: () => server.close(),
  };
}
