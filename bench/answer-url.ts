/**
 * The emulator's load generator needs an answer URL; the bare baselines have no webhooks. This tiny
 * HTTP server answers with an NCCO pointing at any socket URL, so every target is driven identically.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function staticAnswer(socketUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const ncco = JSON.stringify([{ action: 'connect', endpoint: [{ type: 'websocket', uri: socketUrl, 'content-type': 'audio/l16;rate=16000', headers: {} }] }]);
  const server = http.createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(ncco);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/answer`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
