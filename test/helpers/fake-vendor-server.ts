/**
 * What every local stand-in for a vendor's WebSocket API shares (fake-deepgram.ts,
 * fake-openai-realtime.ts): a loopback HTTP server whose upgrades are checked for the vendor's
 * `Authorization` header (HTTP 401 before the socket opens otherwise, as the vendors answer), then
 * handed to the fake; and a close that ends every socket at once, so a test never waits on one.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface VendorServer {
  port: number;
  /** Upgrades refused for a wrong key. */
  readonly refused: number;
  close(): Promise<void>;
}

export interface Upgrade {
  request: IncomingMessage;
  url: URL;
  /** Completes the handshake (now, or later for a slow start) and hands over the socket. */
  accept(onSocket: (ws: WebSocket) => void): void;
  /** Answers the upgrade with an HTTP error instead. */
  refuse(status: number, reason: string, headers?: string): void;
}

/**
 * The loopback certificate of this test run, signed by the authority the test processes trust
 * (scripts/test-authority.mjs, made by scripts/test.mjs): for the vendors whose SDKs speak only wss://.
 */
function testCertificate(): { key: Buffer; cert: Buffer } {
  const dir = process.env.VOICESOCKET_TEST_TLS;
  if (!dir) throw new Error('no test certificate authority: run the tests through npm test (scripts/test.mjs makes one)');
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

/** The vendor's credential check: the exact `Authorization` header, or a test of the request (a key in the query). */
export type Authorized = string | ((request: IncomingMessage, url: URL) => boolean);

export async function startVendorServer(
  authorization: Authorized,
  onUpgrade: (upgrade: Upgrade) => void,
  /** The vendor's REST side, where it has one (a signed URL to fetch first); 404 otherwise. */
  onRequest?: (request: IncomingMessage, response: ServerResponse) => void,
  /** Serve TLS (https:, wss:) with the test run's certificate. */
  tls = false,
): Promise<VendorServer> {
  const authorized = (request: IncomingMessage, url: URL) =>
    typeof authorization === 'string' ? request.headers.authorization === authorization : authorization(request, url);
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<Socket>();
  let refused = 0;
  const handle = (request: IncomingMessage, response: ServerResponse) => (onRequest ? onRequest(request, response) : response.writeHead(404).end());
  const server = tls ? createTlsServer(testCertificate(), handle) : createServer(handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const refuse = (status: number, reason: string, headers = '') =>
      socket.end(`HTTP/1.1 ${status} ${reason}\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    const url = new URL(request.url ?? '/', 'http://fake');
    if (!authorized(request, url)) {
      refused++;
      refuse(401, 'Unauthorized');
      return;
    }
    onUpgrade({
      request,
      url,
      accept: (onSocket) => wss.handleUpgrade(request, socket, head, onSocket),
      refuse,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get refused() {
      return refused;
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
