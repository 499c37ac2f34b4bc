/**
 * Vonage as an HTTP client of the app (docs/protocol.md §7, §8): GET with a query string or POST with a
 * JSON body, separate connect and read timeouts, an optional signed JWT.
 */
import http from 'node:http';
import https from 'node:https';
import { queryHashInput, signWebhook } from '../protocol/signed-webhook.js';

export interface Signing {
  secret: string;
  apiKey?: string;
  applicationId?: string;
}

export interface WebhookRequest {
  url: string;
  method: 'GET' | 'POST';
  fields: Record<string, unknown>;
  connectTimeoutMs: number;
  socketTimeoutMs: number;
  signing?: Signing;
}

export type WebhookResponse =
  | { ok: true; status: number; contentType: string; body: string; ms: number }
  | { ok: false; error: 'connect-timeout' | 'socket-timeout' | 'connection-failed' | 'invalid-url'; detail: string; ms: number };

/**
 * Connections are reused, as an HTTP client making many requests to one host does; a load test of
 * hundreds of calls would otherwise measure TCP set-up, not the app.
 */
const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };

/** Most webhook answers are an NCCO of a few KB; a bound stops a broken app from exhausting memory. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export async function sendWebhook(request: WebhookRequest): Promise<WebhookResponse> {
  const started = performance.now();
  let url: URL;
  try {
    url = new URL(request.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported scheme ${url.protocol}`);
  } catch (error) {
    return { ok: false, error: 'invalid-url', detail: (error as Error).message, ms: 0 };
  }
  let body: string | undefined;
  if (request.method === 'GET') {
    for (const [key, value] of Object.entries(request.fields)) {
      if (value !== undefined) url.searchParams.append(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
  } else {
    body = JSON.stringify(request.fields);
  }
  const headers: Record<string, string> = { 'user-agent': 'voicesocket-emulator', accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (request.signing) {
    const payload = body ?? queryHashInput(url.search);
    headers.authorization = `Bearer ${await signWebhook({ ...request.signing, payload })}`;
  }
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (response: WebhookResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(socketTimer);
      resolve(response);
    };
    const elapsed = () => performance.now() - started;
    const req = client.request(url, { method: request.method, headers, agent: url.protocol === 'https:' ? agents.https : agents.http });
    const connectTimer = setTimeout(() => {
      done({ ok: false, error: 'connect-timeout', detail: `no connection within ${request.connectTimeoutMs} ms`, ms: elapsed() });
      req.destroy();
    }, request.connectTimeoutMs);
    let socketTimer: NodeJS.Timeout | undefined;
    req.on('socket', (socket) => {
      const connected = () => {
        clearTimeout(connectTimer);
        socketTimer = setTimeout(() => {
          done({ ok: false, error: 'socket-timeout', detail: `no answer within ${request.socketTimeoutMs} ms`, ms: elapsed() });
          req.destroy();
        }, request.socketTimeoutMs);
      };
      // A reused keep-alive socket is already connected.
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    req.on('error', (error) => done({ ok: false, error: 'connection-failed', detail: error.message, ms: elapsed() }));
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          done({ ok: false, error: 'connection-failed', detail: `response over ${MAX_RESPONSE_BYTES} bytes`, ms: elapsed() });
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () =>
        done({
          ok: true,
          status: response.statusCode ?? 0,
          contentType: String(response.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
          ms: elapsed(),
        }),
      );
      response.on('error', (error) => done({ ok: false, error: 'connection-failed', detail: error.message, ms: elapsed() }));
    });
    req.end(body);
  });
}
