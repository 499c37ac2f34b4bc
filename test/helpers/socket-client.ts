import WebSocket from 'ws';
import { connectedMessage } from '../../src/protocol/socket-messages.js';

export interface Received {
  binary: Buffer[];
  text: string[];
}

/** A bare client of the call socket, playing Vonage's side by hand. */
export class SocketClient {
  readonly received: Received = { binary: [], text: [] };
  closed: { code: number; reason: string } | undefined;
  /** A socket error after it opened (a reset when the server runs out of descriptors): kept, not thrown. */
  error: Error | undefined;
  private constructor(readonly ws: WebSocket) {
    // Without a listener an 'error' after the open would be thrown from the emitter and end the test
    // run, whatever the test was checking (seen: ECONNRESET under descriptor exhaustion on a busy machine).
    ws.on('error', (error) => (this.error = error));
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.received.binary.push(data as Buffer);
      else this.received.text.push((data as Buffer).toString('utf8'));
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString('utf8') };
    });
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
      const client = new SocketClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) => reject(new Error(`unexpected response ${response.statusCode}`)));
    });
  }

  /** Opens and sends websocket:connected, as Vonage does. */
  static async call(url: string, contentType: string | undefined = 'audio/l16;rate=16000', headers: Record<string, unknown> = {}): Promise<SocketClient> {
    const client = await SocketClient.open(url);
    client.ws.send(connectedMessage(contentType, headers));
    return client;
  }

  sendBinary(data: Buffer): void {
    this.ws.send(data, { binary: true });
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  close(code = 1000): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close(code);
    });
  }
}

/** A frame whose bytes are all derived from `seed`, so frames can be told apart. */
export function patternFrame(bytes: number, seed: number): Buffer {
  const frame = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) frame[i] = (seed * 31 + i * 7) & 0xff;
  return frame;
}
