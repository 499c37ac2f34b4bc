/**
 * A local server speaking the two HTTP text-to-speech protocols the vendors' SDKs use, so the real
 * SDKs, pointed here by their base-URL options, stream speech with no account:
 *
 * - ElevenLabs (`@elevenlabs/elevenlabs-js`, `textToSpeech.stream`):
 *   `POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_16000` with `xi-api-key` and a JSON
 *   body (`text`, `model_id`); the answer is raw PCM16 at the asked rate, chunked as it is made; a wrong
 *   key is 401 `{ "detail": { "status": "invalid_api_key", ... } }`
 *   (https://elevenlabs.io/docs/api-reference/text-to-speech/stream).
 * - OpenAI (`openai`, `audio.speech.create`): `POST /v1/audio/speech` with `Authorization: Bearer` and a
 *   JSON body (`model`, `voice`, `input`, `response_format: "pcm"`); the answer is raw PCM16 at 24 kHz,
 *   chunked; a wrong key is 401 `{ "error": { "message", "type", "code" } }`
 *   (https://platform.openai.com/docs/api-reference/audio/createSpeech).
 *
 * The speech is espeak-ng's at the asked rate, sent in 100 ms chunks four times faster than real
 * time. Behaviour by voice: `fake-stall` sends one chunk and then nothing (the connection stays open);
 * `fake-error` answers 500.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { burst, spokenAudio } from './fake-voice-model.js';

export interface SpeechRequest {
  vendor: 'elevenlabs' | 'openai';
  voice: string;
  text: string;
  model: string;
  /** The PCM rate asked for (ElevenLabs' output_format; OpenAI's pcm is always 24 kHz). */
  rate: number;
  /** The client went away before the end (a barge-in). */
  aborted: boolean;
}

export interface FakeSpeechHttp {
  baseUrl: string;
  apiKey: string;
  requests: SpeechRequest[];
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return JSON.parse(Buffer.concat(parts).toString() || '{}') as Record<string, unknown>;
}

async function speak(response: ServerResponse, record: SpeechRequest): Promise<void> {
  if (record.voice === 'fake-error') {
    response.writeHead(500, { 'content-type': 'application/json' });
    return void response.end(JSON.stringify({ error: { message: 'The server had an error.', type: 'server_error' } }));
  }
  const pcm = await spokenAudio(record.text, record.rate);
  response.writeHead(200, { 'content-type': 'application/octet-stream' });
  response.on('close', () => {
    if (!response.writableFinished) record.aborted = true;
  });
  let chunks = 0;
  await burst(
    pcm,
    record.rate,
    (chunk) => {
      chunks++;
      response.write(chunk);
    },
    () => response.destroyed || (record.voice === 'fake-stall' && chunks >= 1),
  );
  if (record.voice === 'fake-stall') return; // one chunk out, then nothing: the connection stays open
  response.end();
}

export async function startFakeSpeechHttp(options: { apiKey?: string } = {}): Promise<FakeSpeechHttp> {
  const apiKey = options.apiKey ?? 'tts-test-key';
  const requests: SpeechRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://fake');
      const eleven = /^\/v1\/text-to-speech\/([^/]+)\/stream$/.exec(url.pathname);
      if (request.method === 'POST' && eleven) {
        if (request.headers['xi-api-key'] !== apiKey) {
          response.writeHead(401, { 'content-type': 'application/json' });
          return void response.end(JSON.stringify({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } }));
        }
        const json = await body(request);
        const rate = Number(/^pcm_(\d+)$/.exec(url.searchParams.get('output_format') ?? '')?.[1] ?? 0);
        if (!rate) return void response.writeHead(422).end();
        const record: SpeechRequest = {
          vendor: 'elevenlabs',
          voice: decodeURIComponent(eleven[1]!),
          text: String(json.text),
          model: String(json.model_id),
          rate,
          aborted: false,
        };
        requests.push(record);
        return speak(response, record);
      }
      if (request.method === 'POST' && url.pathname === '/v1/audio/speech') {
        if (request.headers.authorization !== `Bearer ${apiKey}`) {
          response.writeHead(401, { 'content-type': 'application/json' });
          return void response.end(
            JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } }),
          );
        }
        const json = await body(request);
        if (json.response_format !== 'pcm') return void response.writeHead(400).end();
        const record: SpeechRequest = {
          vendor: 'openai',
          voice: String(json.voice),
          text: String(json.input),
          model: String(json.model),
          rate: 24000,
          aborted: false,
        };
        requests.push(record);
        return speak(response, record);
      }
      response.writeHead(404).end();
    })();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
