/**
 * A local server speaking Deepgram's documented WebSocket protocols, so our integration code runs
 * through the official SDK (`@deepgram/sdk`, pointed here by its `baseUrl` option) with no account:
 *
 * - Live transcription, `GET /v1/listen` — https://developers.deepgram.com/reference/speech-to-text/listen-streaming
 *   Query `model`, `encoding=linear16`, `sample_rate`, `interim_results`, `keyterm`; binary audio in;
 *   `Results` JSON out (`is_final`, `speech_final`, `start`/`duration` in seconds of the stream,
 *   `channel.alternatives[0]` with `transcript`, `confidence`, `words`); `{"type":"Finalize"}`
 *   (https://developers.deepgram.com/docs/finalize) answers with `from_finalize: true`;
 *   `{"type":"CloseStream"}` (https://developers.deepgram.com/docs/close-stream) flushes, sends
 *   `Metadata` and closes 1000.
 * - Streaming speech, `GET /v1/speak` — https://developers.deepgram.com/reference/text-to-speech/speak-streaming
 *   Query `model`, `encoding=linear16`, `sample_rate`; `{"type":"Speak","text"}` buffers text,
 *   `{"type":"Flush"}` (https://developers.deepgram.com/docs/tts-ws-flush) makes the audio (binary
 *   frames) then `{"type":"Flushed","sequence_id"}`, `{"type":"Clear"}`
 *   (https://developers.deepgram.com/docs/tts-ws-clear) drops what is pending and answers `Cleared`,
 *   `{"type":"Close"}` closes.
 * - Authentication: `Authorization: Token <key>` on the upgrade; a wrong key is refused with HTTP 401
 *   before the socket opens.
 *
 * What the fake "hears" is not speech recognition: it finds voiced stretches by level and reports
 * the next scripted transcript for each, with word times spread over the stretch in stream seconds.
 * That is enough to check what our code sends (the rate it declares, every frame, Finalize at speech
 * end) and what it does with each kind of answer. Its "speech" is a tone, 70 ms per character.
 */
import type { WebSocket } from 'ws';
import { startVendorServer } from './fake-vendor-server.js';
import { levelDb } from '../../src/speech/voice-activity.js';

export interface FakeDeepgramOptions {
  /** The key that is accepted (default `test-key`). */
  apiKey?: string;
  /** Listen: what each voiced stretch is heard as, in turn (the last repeats). */
  transcripts?: string[];
  /** Listen: close the socket without a close frame once this much audio has come, ms of audio. */
  dropAfterAudioMs?: number;
  /** Listen and speak: take the socket, then answer nothing. */
  stall?: boolean;
  /** Speak: close the socket without a close frame after this many audio frames. */
  dropSpeakAfterFrames?: number;
}

export interface ListenSession {
  query: URLSearchParams;
  authorization: string | undefined;
  audioBytes: number;
  /** `Finalize` messages received. */
  finalizes: number;
  messages: Array<Record<string, unknown>>;
  /** Closed after `CloseStream`. */
  closed: boolean;
}

export interface SpeakSession {
  query: URLSearchParams;
  texts: string[];
  messages: Array<Record<string, unknown>>;
  audioBytes: number;
}

export interface FakeDeepgram {
  /** The base URL to give the SDK (`http://127.0.0.1:port`). */
  url: string;
  apiKey: string;
  listens: ListenSession[];
  speaks: SpeakSession[];
  /** Upgrades refused for a wrong key. */
  readonly refused: number;
  close(): Promise<void>;
}

const VOICED_DB = -35;
const INTERIM_AFTER_MS = 300;
const ENDPOINT_SILENCE_MS = 400;
const SPEAK_MS_PER_CHAR = 70;
const SPEAK_FRAME_MS = 100;

function results(transcript: string, startS: number, endS: number, final: boolean, extra: Record<string, unknown> = {}) {
  const words = transcript.split(/\s+/).filter(Boolean);
  const step = words.length > 0 ? (endS - startS) / words.length : 0;
  return {
    type: 'Results',
    channel_index: [0, 1],
    start: startS,
    duration: endS - startS,
    is_final: final,
    speech_final: final,
    channel: {
      alternatives: [
        {
          transcript,
          confidence: 0.93,
          words: words.map((word, i) => ({
            word: word.toLowerCase(),
            punctuated_word: word,
            start: startS + i * step,
            end: startS + (i + 1) * step,
            confidence: 0.93,
          })),
        },
      ],
    },
    metadata: { request_id: 'fake', model_info: { name: 'fake', version: '0', arch: 'fake' }, model_uuid: 'fake' },
    ...extra,
  };
}

function serveListen(socket: WebSocket, session: ListenSession, options: FakeDeepgramOptions): void {
  const rate = Number(session.query.get('sample_rate') ?? 16000);
  const transcripts = options.transcripts ?? ['hello'];
  let heard = 0;
  let streamMs = 0;
  let voicedFrom: number | undefined;
  let lastVoicedMs = 0;
  let interimSent = false;
  let carry = Buffer.alloc(0);
  const send = (message: Record<string, unknown>) => {
    session.messages.push(message);
    socket.send(JSON.stringify(message));
  };
  const finish = (extra: Record<string, unknown> = {}) => {
    if (voicedFrom === undefined) return;
    const text = transcripts[Math.min(heard++, transcripts.length - 1)] ?? '';
    send(results(text, voicedFrom / 1000, lastVoicedMs / 1000, true, extra));
    voicedFrom = undefined;
    interimSent = false;
  };
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (options.stall) return;
    if (!isBinary) {
      const message = JSON.parse(data.toString()) as { type?: string };
      if (message.type === 'Finalize') {
        session.finalizes++;
        // Finalize is always answered, with an empty final when nothing was pending.
        if (voicedFrom === undefined) send(results('', streamMs / 1000, streamMs / 1000, true, { from_finalize: true }));
        else finish({ from_finalize: true });
      }
      if (message.type === 'CloseStream') {
        finish();
        send({ type: 'Metadata', request_id: 'fake', duration: streamMs / 1000, channels: 1 });
        session.closed = true;
        socket.close(1000);
      }
      return;
    }
    session.audioBytes += data.length;
    if (options.dropAfterAudioMs !== undefined && (session.audioBytes / 2 / rate) * 1000 >= options.dropAfterAudioMs) {
      socket.terminate();
      return;
    }
    carry = Buffer.concat([carry, data]);
    const frameBytes = (rate / 50) * 2;
    while (carry.length >= frameBytes) {
      const frame = carry.subarray(0, frameBytes);
      carry = carry.subarray(frameBytes);
      const voiced = levelDb(frame) > VOICED_DB;
      if (voiced) {
        voicedFrom ??= streamMs;
        lastVoicedMs = streamMs + 20;
      }
      streamMs += 20;
      if (voicedFrom !== undefined && !interimSent && lastVoicedMs - voicedFrom >= INTERIM_AFTER_MS) {
        const text = transcripts[Math.min(heard, transcripts.length - 1)] ?? '';
        send(results(text.split(' ')[0] ?? '', voicedFrom / 1000, lastVoicedMs / 1000, false));
        interimSent = true;
      }
      if (voicedFrom !== undefined && streamMs - lastVoicedMs >= ENDPOINT_SILENCE_MS) finish();
    }
  });
}

function serveSpeak(socket: WebSocket, session: SpeakSession, options: FakeDeepgramOptions): void {
  const rate = Number(session.query.get('sample_rate') ?? 24000);
  let pending = '';
  let sequence = 0;
  let frames = 0;
  let generation = 0;
  const send = (message: Record<string, unknown>) => {
    session.messages.push(message);
    socket.send(JSON.stringify(message));
  };
  send({ type: 'Metadata', request_id: 'fake', model_name: session.query.get('model') ?? 'aura-2-thalia-en', model_version: '0', model_uuid: 'fake' });
  socket.on('message', (data: Buffer) => {
    if (options.stall) return;
    const message = JSON.parse(data.toString()) as { type?: string; text?: string };
    if (message.type === 'Speak') {
      pending += message.text ?? '';
      session.texts.push(message.text ?? '');
    } else if (message.type === 'Flush') {
      const text = pending;
      pending = '';
      const mine = generation;
      const samplesPerFrame = (rate * SPEAK_FRAME_MS) / 1000;
      const total = Math.ceil((text.length * SPEAK_MS_PER_CHAR) / SPEAK_FRAME_MS);
      // Frames go out a little faster than real time, as a streaming synthesizer's do.
      let index = 0;
      const next = () => {
        if (mine !== generation || socket.readyState !== socket.OPEN) return;
        if (index >= total) {
          send({ type: 'Flushed', sequence_id: sequence++ });
          return;
        }
        if (options.dropSpeakAfterFrames !== undefined && frames >= options.dropSpeakAfterFrames) {
          socket.terminate();
          return;
        }
        const frame = Buffer.alloc(samplesPerFrame * 2);
        for (let i = 0; i < samplesPerFrame; i++) {
          const t = (index * samplesPerFrame + i) / rate;
          frame.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * 440 * t)), i * 2);
        }
        session.audioBytes += frame.length;
        frames++;
        index++;
        socket.send(frame);
        setTimeout(next, SPEAK_FRAME_MS / 4);
      };
      next();
    } else if (message.type === 'Clear') {
      pending = '';
      generation++;
      send({ type: 'Cleared', sequence_id: sequence });
    } else if (message.type === 'Close') {
      socket.close(1000);
    }
  });
}

export async function startFakeDeepgram(options: FakeDeepgramOptions = {}): Promise<FakeDeepgram> {
  const apiKey = options.apiKey ?? 'test-key';
  const listens: ListenSession[] = [];
  const speaks: SpeakSession[] = [];
  const server = await startVendorServer(`Token ${apiKey}`, ({ request, url, accept, refuse }) => {
    if (url.pathname === '/v1/listen') {
      accept((ws) => {
        const session: ListenSession = {
          query: url.searchParams,
          authorization: request.headers.authorization,
          audioBytes: 0,
          finalizes: 0,
          messages: [],
          closed: false,
        };
        listens.push(session);
        serveListen(ws, session, options);
      });
    } else if (url.pathname === '/v1/speak') {
      accept((ws) => {
        const session: SpeakSession = { query: url.searchParams, texts: [], messages: [], audioBytes: 0 };
        speaks.push(session);
        serveSpeak(ws, session, options);
      });
    } else refuse(404, 'Not Found');
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    apiKey,
    listens,
    speaks,
    get refused() {
      return server.refused;
    },
    close: () => server.close(),
  };
}
