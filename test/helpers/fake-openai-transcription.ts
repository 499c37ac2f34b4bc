/**
 * A local server speaking OpenAI's documented Realtime transcription protocol, over TLS because the
 * official SDK (`openai`, `OpenAIRealtimeWS`, pointed here by its `baseURL`) opens only wss://:
 * https://platform.openai.com/docs/guides/realtime-transcription and the client and server events
 * of https://platform.openai.com/docs/api-reference/realtime-client-events.
 *
 * - `GET /v1/realtime?intent=transcription` with `Authorization: Bearer <key>` (a wrong key: HTTP 401
 *   before the socket opens). `session.created` once open; `session.update` (a `transcription`
 *   session: `audio.input.format`, `audio.input.transcription.model`, `turn_detection`) answered by
 *   `session.updated`.
 * - `input_audio_buffer.append` (base64 PCM at the session's rate) adds to the buffer;
 *   `input_audio_buffer.commit` makes an item of it: `input_audio_buffer.committed` (`item_id`,
 *   `previous_item_id`), then `conversation.item.input_audio_transcription.delta` events and
 *   `...completed` (`transcript`). Committing an empty buffer is an `error` event
 *   (`input_audio_buffer_commit_empty`), as documented.
 *
 * What it "hears" is not speech recognition: each commit is transcribed as the next scripted text.
 */
import type { WebSocket } from 'ws';
import { startVendorServer } from './fake-vendor-server.js';

export interface FakeOpenAITranscriptionOptions {
  apiKey?: string;
  /** What each committed utterance is heard as, in turn (the last repeats). */
  transcripts?: string[];
  /** Close the socket without a close frame once this much audio has come, ms of audio. */
  dropAfterAudioMs?: number;
  /** Confirm the session, then answer nothing more. */
  stall?: boolean;
}

export interface TranscriptionSession {
  query: URLSearchParams;
  /** The `session` of each `session.update`. */
  updates: Array<Record<string, unknown>>;
  /** Bytes of PCM in each committed item. */
  committedBytes: number[];
  appended: number;
}

export interface FakeOpenAITranscription {
  /** The API base to give the SDK (`https://127.0.0.1:port/v1`). */
  baseUrl: string;
  apiKey: string;
  sessions: TranscriptionSession[];
  readonly refused: number;
  close(): Promise<void>;
}

function serve(socket: WebSocket, session: TranscriptionSession, options: FakeOpenAITranscriptionOptions): void {
  const transcripts = options.transcripts ?? ['hello'];
  let buffered = 0;
  let rate = 24000;
  let items = 0;
  let lastItem: string | null = null;
  let eventId = 0;
  const send = (event: Record<string, unknown>) => socket.send(JSON.stringify({ event_id: `event_${++eventId}`, ...event }));
  send({ type: 'session.created', session: { type: 'transcription', id: 'sess_fake' } });
  socket.on('message', (data: Buffer) => {
    const event = JSON.parse(data.toString()) as { type: string; session?: Record<string, unknown>; audio?: string };
    if (event.type === 'session.update') {
      session.updates.push(event.session ?? {});
      const format = (event.session as { audio?: { input?: { format?: { rate?: number } } } }).audio?.input?.format;
      rate = format?.rate ?? rate;
      send({ type: 'session.updated', session: { ...event.session, id: 'sess_fake' } });
      return;
    }
    if (options.stall) return;
    if (event.type === 'input_audio_buffer.append') {
      const bytes = Buffer.from(event.audio ?? '', 'base64').length;
      buffered += bytes;
      session.appended += bytes;
      if (options.dropAfterAudioMs !== undefined && (session.appended / 2 / rate) * 1000 >= options.dropAfterAudioMs) socket.terminate();
      return;
    }
    if (event.type === 'input_audio_buffer.commit') {
      if (buffered === 0) {
        send({ type: 'error', error: { type: 'invalid_request_error', code: 'input_audio_buffer_commit_empty', message: 'buffer too small' } });
        return;
      }
      const itemId = `item_${++items}`;
      session.committedBytes.push(buffered);
      buffered = 0;
      send({ type: 'input_audio_buffer.committed', previous_item_id: lastItem, item_id: itemId });
      lastItem = itemId;
      const text = transcripts[Math.min(items - 1, transcripts.length - 1)] ?? '';
      const words = text.split(' ');
      words.forEach((word, i) =>
        send({ type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta: i === 0 ? word : ` ${word}` }),
      );
      send({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript: text });
    }
  });
}

export async function startFakeOpenAITranscription(options: FakeOpenAITranscriptionOptions = {}): Promise<FakeOpenAITranscription> {
  const apiKey = options.apiKey ?? 'test-openai-transcription-key';
  const sessions: TranscriptionSession[] = [];
  const server = await startVendorServer(
    `Bearer ${apiKey}`,
    ({ url, accept, refuse }) => {
      if (url.pathname !== '/v1/realtime' || url.searchParams.get('intent') !== 'transcription') return refuse(404, 'Not Found');
      accept((ws) => {
        const session: TranscriptionSession = { query: url.searchParams, updates: [], committedBytes: [], appended: 0 };
        sessions.push(session);
        serve(ws, session, options);
      });
    },
    undefined,
    true,
  );
  return {
    baseUrl: `https://127.0.0.1:${server.port}/v1`,
    apiKey,
    sessions,
    get refused() {
      return server.refused;
    },
    close: () => server.close(),
  };
}
