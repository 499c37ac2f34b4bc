/**
 * A local server speaking AssemblyAI's documented Universal-Streaming protocol (v3), over TLS because
 * the official SDK (`assemblyai`, pointed here by its `websocketBaseUrl` option) accepts only wss://:
 * https://www.assemblyai.com/docs/api-reference/streaming-api/streaming-api
 *
 * - `GET /v3/ws` with the API key as the `Authorization` header (a wrong one: HTTP 401 before the
 *   socket opens); query `sample_rate`, `encoding` (`pcm_s16le`), `format_turns`, `keyterms`.
 * - Server messages: `Begin` (`id`, `expires_at`) once open; `Turn` (`turn_order`, `end_of_turn`,
 *   `turn_is_formatted`, `transcript`, `end_of_turn_confidence`, `words` with `start`/`end` in ms of
 *   the stream, `text`, `confidence`, `word_is_final`); with `format_turns` a turn's end comes twice,
 *   unformatted then formatted; `Termination` (`audio_duration_seconds`) before the close.
 * - Client messages: binary audio, each 50 to 1000 ms long (otherwise the socket is closed with 3007,
 *   "Input duration violation", as the docs list); `{"type":"ForceEndpoint"}` ends the turn at once;
 *   `{"type":"Terminate"}` ends the session: `Termination`, then close 1000.
 *
 * What it "hears" is not speech recognition: voiced stretches by level, each reported as the next
 * scripted transcript with its words spread over the stretch (as fake-deepgram.ts does).
 */
import type { WebSocket } from 'ws';
import { startVendorServer } from './fake-vendor-server.js';
import { levelDb } from '../../src/speech/voice-activity.js';

export interface FakeAssemblyAIOptions {
  apiKey?: string;
  /** What each voiced stretch is heard as, in turn (the last repeats). */
  transcripts?: string[];
  /** Close the socket without a close frame once this much audio has come, ms of audio. */
  dropAfterAudioMs?: number;
  /** Take the socket and send Begin, then answer nothing. */
  stall?: boolean;
}

export interface AssemblyAISession {
  query: URLSearchParams;
  /** Length of each audio message, ms. */
  messageMs: number[];
  forceEndpoints: number;
  sent: Array<Record<string, unknown>>;
  terminated: boolean;
}

export interface FakeAssemblyAI {
  /** The streaming endpoint to give the SDK (`wss://127.0.0.1:port/v3/ws`). */
  url: string;
  apiKey: string;
  sessions: AssemblyAISession[];
  readonly refused: number;
  close(): Promise<void>;
}

const VOICED_DB = -35;
/** AssemblyAI's documented default `max_turn_silence`: its own end of a turn, later than our detector's 500 ms. */
const ENDPOINT_SILENCE_MS = 1280;
const INTERIM_EVERY_MS = 300;

function serve(socket: WebSocket, session: AssemblyAISession, options: FakeAssemblyAIOptions): void {
  const rate = Number(session.query.get('sample_rate'));
  const formatted = session.query.get('format_turns') === 'true';
  const transcripts = options.transcripts ?? ['hello'];
  let turnOrder = 0;
  let streamMs = 0;
  let voicedFrom: number | undefined;
  let lastVoicedMs = 0;
  let lastInterimAt = 0;
  const send = (message: Record<string, unknown>) => {
    session.sent.push(message);
    socket.send(JSON.stringify(message));
  };
  const turn = (endOfTurn: boolean, isFormatted: boolean) => {
    const full = transcripts[Math.min(turnOrder, transcripts.length - 1)] ?? '';
    const all = full.split(/\s+/).filter(Boolean);
    // An interim turn has the words "heard so far": a share of the text by the share of the stretch.
    const words = endOfTurn ? all : all.slice(0, Math.max(1, Math.floor(all.length / 2)));
    const startMs = voicedFrom!;
    const step = all.length > 0 ? (lastVoicedMs - startMs) / all.length : 0;
    const text = (word: string) => (isFormatted ? word : word.toLowerCase().replace(/[^a-z0-9']/g, ''));
    send({
      type: 'Turn',
      turn_order: turnOrder,
      turn_is_formatted: isFormatted,
      end_of_turn: endOfTurn,
      transcript: words.map(text).join(' '),
      end_of_turn_confidence: endOfTurn ? 0.9 : 0.1,
      words: words.map((word, i) => ({
        start: Math.round(startMs + i * step),
        end: Math.round(startMs + (i + 1) * step),
        text: text(word),
        confidence: 0.9,
        word_is_final: true,
      })),
    });
  };
  const endTurn = () => {
    if (voicedFrom === undefined) return;
    turn(true, false);
    if (formatted) turn(true, true);
    turnOrder++;
    voicedFrom = undefined;
  };
  send({ type: 'Begin', id: `fake-${Date.now()}`, expires_at: Math.floor(Date.now() / 1000) + 3600 });
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (options.stall) return;
    if (!isBinary) {
      const message = JSON.parse(data.toString()) as { type?: string };
      if (message.type === 'ForceEndpoint') {
        session.forceEndpoints++;
        endTurn();
      } else if (message.type === 'Terminate') {
        endTurn();
        session.terminated = true;
        send({ type: 'Termination', audio_duration_seconds: streamMs / 1000, session_duration_seconds: streamMs / 1000 });
        socket.close(1000);
      }
      return;
    }
    const ms = (data.length / 2 / rate) * 1000;
    session.messageMs.push(ms);
    if (ms < 50 || ms > 1000) {
      socket.close(3007, 'Input duration violation');
      return;
    }
    if (options.dropAfterAudioMs !== undefined && streamMs + ms >= options.dropAfterAudioMs) {
      socket.terminate();
      return;
    }
    const frameBytes = (rate / 50) * 2;
    for (let offset = 0; offset + frameBytes <= data.length; offset += frameBytes) {
      if (levelDb(data.subarray(offset, offset + frameBytes)) > VOICED_DB) {
        voicedFrom ??= streamMs;
        lastVoicedMs = streamMs + 20;
      }
      streamMs += 20;
      if (voicedFrom !== undefined && streamMs - lastInterimAt >= INTERIM_EVERY_MS && lastVoicedMs > streamMs - ENDPOINT_SILENCE_MS) {
        lastInterimAt = streamMs;
        turn(false, false);
      }
      if (voicedFrom !== undefined && streamMs - lastVoicedMs >= ENDPOINT_SILENCE_MS) endTurn();
    }
  });
}

export async function startFakeAssemblyAI(options: FakeAssemblyAIOptions = {}): Promise<FakeAssemblyAI> {
  const apiKey = options.apiKey ?? 'test-assemblyai-key';
  const sessions: AssemblyAISession[] = [];
  const server = await startVendorServer(
    apiKey,
    ({ url, accept, refuse }) => {
      if (url.pathname !== '/v3/ws') return refuse(404, 'Not Found');
      accept((ws) => {
        const session: AssemblyAISession = { query: url.searchParams, messageMs: [], forceEndpoints: 0, sent: [], terminated: false };
        sessions.push(session);
        serve(ws, session, options);
      });
    },
    undefined,
    true,
  );
  return {
    url: `wss://127.0.0.1:${server.port}/v3/ws`,
    apiKey,
    sessions,
    get refused() {
      return server.refused;
    },
    close: () => server.close(),
  };
}
