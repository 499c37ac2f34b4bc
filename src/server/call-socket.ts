/**
 * The `/socket` endpoint: upgrades HTTP to WebSocket with `ws`, adapts each socket to a
 * `CallTransport`, and runs one `CallSession` and the app per connection. Refusals happen before the
 * upgrade, as plain HTTP with a coded JSON body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorCode, ERRORS, type ErrorName } from '../errors.js';
import { CallSession, CLOSE_CODES, type CallTransport } from '../call/call-session.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { Logger } from '../call/logger.js';
import type { CallApp } from '../apps/app.js';
import type { FrameClock } from '../audio/frame-clock.js';
import { SOCKET_PATH } from './socket-url.js';

/**
 * Largest message accepted. Audio frames are at most 960 bytes and Vonage's text messages are small
 * (headers ≤ 512 B); 64 KiB is far above both and far below what could hurt memory.
 */
export const MAX_SOCKET_MESSAGE_BYTES = 64 * 1024;

const BINARY = { binary: true } as const;

export interface CallSocketOptions {
  registry: CallRegistry;
  app: CallApp;
  log: Logger;
  clock: FrameClock;
  leadMs: number;
}

export class CallSocketServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    // Audio is incompressible, and deflate costs CPU and memory per socket (§1.3).
    perMessageDeflate: false,
    maxPayload: MAX_SOCKET_MESSAGE_BYTES,
    // Vonage offers no subprotocol (§1.3); we select none.
    handleProtocols: () => false,
  });
  private readonly sockets = new Set<WebSocket>();
  private accepting = true;

  constructor(private readonly options: CallSocketOptions) {}

  /** Handles an HTTP upgrade request; anything but `/socket` is refused. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== SOCKET_PATH) return refuse(socket, 404, 'SOCKET_PATH', this.options.log, { path });
    if (!this.accepting) return refuse(socket, 503, 'SHUTTING_DOWN', this.options.log);
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request));
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /** Stops new calls and closes every open call with 1001; resolves when all are closed or `graceMs` passed. */
  async close(graceMs: number): Promise<void> {
    this.accepting = false;
    for (const session of this.options.registry.activeSessions()) session.hangup(CLOSE_CODES.goingAway, 'server shutting down');
    // Sockets without a session yet (none today) get the same close.
    for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.close(CLOSE_CODES.goingAway, 'server shutting down');
    const deadline = Date.now() + graceMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }

  private accept(ws: WebSocket, request: IncomingMessage): void {
    this.sockets.add(ws);
    const id = randomUUID();
    const log = this.options.log.child({ call: id });
    const transport: CallTransport = {
      sendBinary: (frame) => ws.send(frame, BINARY),
      sendText: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
    };
    const session = new CallSession({ id, transport, log, clock: this.options.clock, leadMs: this.options.leadMs });
    this.options.registry.addSession(session);

    session.once('connected', (identity) => {
      log.info({ uuid: identity.uuid, conversationUuid: identity.conversationUuid, from: identity.from, to: identity.to, rate: session.sampleRate, remote: request.socket.remoteAddress }, 'call started');
    });
    session.once('end', (end) => {
      const { stats } = session;
      log.info({ uuid: session.identity.uuid, rate: session.sampleRate, framesIn: stats.framesIn, framesOut: stats.framesOut, dtmf: stats.dtmfIn, textRejected: stats.textRejected, durationMs: Math.round(end.durationMs), closeCode: end.code, closeReason: end.reason }, 'call ended');
    });

    ws.on('message', (data, isBinary) => {
      if (isBinary) session.receiveBinary(data as Buffer);
      else session.receiveText((data as Buffer).toString('utf8'));
    });
    ws.on('error', (error) => log.warn({ err: error }, 'call socket error'));
    ws.on('close', (code, reason) => {
      this.sockets.delete(ws);
      session.transportClosed(code, reason.toString('utf8'));
    });

    try {
      const started = this.options.app(session);
      if (started && typeof (started as Promise<void>).catch === 'function') (started as Promise<void>).catch((error) => session.fail(error));
    } catch (error) {
      session.fail(error);
    }
  }
}

function refuse(socket: Duplex, status: number, name: ErrorName, log: Logger, detail: Record<string, unknown> = {}): void {
  const code = errorCode(name);
  log.warn({ code, status, ...detail }, 'socket upgrade refused');
  const body = JSON.stringify({ error: code, message: ERRORS[name] });
  const reason = status === 404 ? 'Not Found' : status === 503 ? 'Service Unavailable' : 'Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
