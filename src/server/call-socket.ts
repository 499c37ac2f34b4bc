/**
 * The `/socket` endpoint: upgrades HTTP to WebSocket with `ws`, adapts each socket to a
 * `CallTransport`, and runs one `CallSession` and the app per connection. Refusals happen before the
 * upgrade, as plain HTTP with a coded JSON body.
 */
import type { SpeechEngines } from '../speech/engines.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorCode, ERRORS, type ErrorName } from '../errors.js';
import { SampledLog } from '../call/logger.js';
import type { RequestAuth } from './request-auth.js';
import { TokenBucket, inboundAudioAllowance, type Limits } from './limits.js';
import { LoopStall } from './loop-stall.js';
import { AudioBudget } from '../audio/pacer.js';
import { DEFAULT_SAMPLE_RATE, FRAME_MS, frameBytes } from '../protocol/audio-format.js';
import { CallSession, CLOSE_CODES, type CallTransport } from '../call/call-session.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { Logger } from '../call/logger.js';
import type { FrameClock } from '../audio/frame-clock.js';
import { SOCKET_PATH } from './socket-url.js';
import type { PromisedSockets } from './promised-sockets.js';
import { SOCKET_EVENTS, parseAppCommand, parseVonageMessage } from '../protocol/socket-messages.js';

const BINARY = { binary: true } as const;

export interface CallSocketOptions {
  registry: CallRegistry;
  /** The app, already given its context: called once per call socket, with the upgrade's path and query. */
  app: (session: CallSession, url: string) => unknown;
  log: Logger;
  clock: FrameClock;
  leadMs: number;
  auth: RequestAuth;
  limits: Limits;
  maxCalls: number;
  idleTimeoutS: number;
  onAppTiming?: (seconds: number) => void;
  /** Speech engines for every call's listen/transcribe/say. */
  speech?: SpeechEngines;
  /** Each new call's session, once registered (a `--workers` worker reports it to the primary). */
  onSession?: (session: CallSession, url: string) => void;
  /** Sockets promised by answers: a draining server still takes them, and each is kept when its call connects. */
  promised?: PromisedSockets;
}

/** Per-socket bookkeeping for the limits; per audio frame only `messages` and the audio bucket are touched. */
interface SocketState {
  session: CallSession;
  messages: number;
  messagesAtLastSweep: number;
  quietSince: number;
  alive: boolean;
  closing: boolean;
  text: TokenBucket;
  /** Pings, each answered with a pong while within the rate. */
  pings: TokenBucket;
  /** Inbound audio bytes: a real call sends 50 frames a second, a flood sends as fast as it can. */
  audio: TokenBucket;
  /**
   * Acknowledgements Vonage owes us: one websocket:notify per notify we sent (a marker) and one
   * websocket:cleared per clear. They answer our own messages, so they are not charged to the
   * caller's text rate (an app placing 3 000 markers got its call closed with TEXT_RATE); never more
   * go free than we asked for, so a peer cannot flood under their name.
   */
  owed: { notify: number; cleared: number };
}

export class CallSocketServer {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Map<WebSocket, SocketState>();
  /** Why new sockets are refused, once they are: draining (with a load balancer to retry elsewhere) or shutting down. */
  private refusing: 'DRAINING' | 'SHUTTING_DOWN' | undefined;
  /** While draining: whether the sockets answers promised are still taken (no balancer to send them elsewhere). */
  private takingPromised = false;
  private pending = 0;
  private readonly sweepTimer: NodeJS.Timeout;
  /** Refused upgrades, logged by sample: a flood of them is not a flood of lines. */
  private readonly refusals: SampledLog;
  /** Paced audio queued by every call together (the process-wide byte budget). */
  readonly audioBudget: AudioBudget;
  /** This process's event-loop stalls: a backlog read after one is ours, not a peer's flood. */
  private readonly loopStall = new LoopStall().start();

  constructor(private readonly options: CallSocketOptions) {
    this.refusals = new SampledLog(options.log);
    this.audioBudget = new AudioBudget(options.limits.maxProcessQueueBytes);
    this.wss = new WebSocketServer({
      noServer: true,
      // Audio is incompressible, and deflate costs CPU and memory per socket (docs/protocol.md §1.3).
      perMessageDeflate: false,
      maxPayload: options.limits.maxMessageBytes,
      // Vonage offers no subprotocol (docs/protocol.md §1.3); we select none.
      handleProtocols: () => false,
      // Pings are answered by us, within a rate: ws's own answer cuts a flood without a word (1006).
      autoPong: false,
    });
    // One timer for every socket: pings, dead peers, idle calls.
    const sweepMs = Math.min(options.limits.pingIntervalMs, (options.idleTimeoutS * 1000) / 2);
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
    this.sweepTimer.unref();
  }

  /** Handles an HTTP upgrade request: path, shutdown, call limit and credentials are checked before upgrading. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '/').split('?')[0];
    const log = this.refusals;
    socket.on('error', (error) => this.options.log.debug({ err: error }, 'upgrade socket error'));
    if (path !== SOCKET_PATH) return refuse(socket, 404, 'SOCKET_PATH', log, { path });
    // A draining server still takes the sockets its answers promised (a call in its greeting).
    if (this.refusing === 'SHUTTING_DOWN' || (this.refusing === 'DRAINING' && !(this.takingPromised && this.options.promised?.outstanding)))
      return refuse(socket, 503, this.refusing, log);
    if (this.sockets.size + this.pending >= this.options.maxCalls) return refuse(socket, 503, 'TOO_MANY_CALLS', log, { limit: this.options.maxCalls });
    this.pending++;
    void this.options.auth.verifyUpgrade(request).then((verdict) => {
      this.pending--;
      if (!verdict.ok) return refuse(socket, 401, verdict.problem, log, { detail: verdict.detail, remote: request.socket.remoteAddress });
      if (socket.destroyed) return;
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request));
    });
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /**
   * New sockets get 503 from now on; calls in progress go on (the drain). With `takePromised` a socket
   * still comes in while answers have promised one: with no balancer in front, a promised socket can
   * come nowhere else. (Behind one, a socket it sends here after the delay is refused and retried on
   * another instance; a promise whose socket went to another instance must not keep this one open.)
   */
  stopAccepting(takePromised = false): void {
    this.refusing ??= 'DRAINING';
    this.takingPromised = takePromised;
  }

  /** Stops new calls and closes every open call with 1001; resolves when all are closed or `graceMs` passed. */
  async close(graceMs: number): Promise<void> {
    this.refusing = 'SHUTTING_DOWN';
    for (const session of this.options.registry.activeSessions()) session.hangup(CLOSE_CODES.goingAway, 'server shutting down');
    // Sockets without a session yet (none today) get the same close.
    for (const ws of this.sockets.keys()) if (ws.readyState === ws.OPEN) ws.close(CLOSE_CODES.goingAway, 'server shutting down');
    const deadline = Date.now() + graceMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const ws of this.sockets.keys()) ws.terminate();
    clearInterval(this.sweepTimer);
    this.loopStall.stop();
    this.wss.close();
  }

  /** The inbound audio bucket's allowance in bytes, at a call's sample rate (limits.ts). */
  private audioAllowance(rate: number): ReturnType<typeof inboundAudioAllowance> {
    return inboundAudioAllowance(this.options.limits, frameBytes(rate) * (1000 / FRAME_MS));
  }

  private sweep(): void {
    const now = Date.now();
    const idleMs = this.options.idleTimeoutS * 1000;
    for (const [ws, state] of this.sockets) {
      if (state.closing) continue;
      if (!state.alive) {
        this.options.log.warn({ code: errorCode('PEER_DEAD'), call: state.session.id }, 'no pong since the last ping; cutting the socket');
        ws.terminate();
        continue;
      }
      state.alive = false;
      ws.ping();
      if (state.messages !== state.messagesAtLastSweep) {
        state.messagesAtLastSweep = state.messages;
        state.quietSince = now;
      } else if (now - state.quietSince >= idleMs) {
        this.options.log.warn({ code: errorCode('IDLE_TIMEOUT'), call: state.session.id, idleS: this.options.idleTimeoutS }, 'call socket idle; closing');
        this.closeFor(ws, state, 'IDLE_TIMEOUT');
      }
    }
  }

  private closeFor(ws: WebSocket, state: SocketState, name: ErrorName, code: number = CLOSE_CODES.policyViolation): void {
    if (state.closing) return;
    state.closing = true;
    ws.close(code, errorCode(name));
    // A peer that does not read will not read our close frame either.
    setTimeout(() => ws.terminate(), 1000).unref();
  }

  private accept(ws: WebSocket, request: IncomingMessage): void {
    const id = randomUUID();
    const log = this.options.log.child({ call: id });
    const { limits } = this.options;
    let dropped = 0;
    const transport: CallTransport = {
      sendBinary: (frame) => {
        // Backpressure is one number: what the socket has not written yet. Past the limit, drop.
        if (ws.bufferedAmount > limits.maxBufferedBytes) {
          dropped++;
          if (dropped === 1 || dropped % 50 === 0)
            log.warn({ code: errorCode('SLOW_CONSUMER'), dropped, buffered: ws.bufferedAmount }, 'peer is not reading; dropping outbound audio');
          if (dropped >= limits.slowConsumerDropClose) this.closeFor(ws, state, 'SLOW_CONSUMER');
          return false;
        }
        ws.send(frame, BINARY);
        return true;
      },
      sendText: (text) => {
        owe(state, text);
        ws.send(text);
      },
      close: (code, reason) => ws.close(code, reason),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
    };
    const session = new CallSession({
      id,
      transport,
      log,
      clock: this.options.clock,
      leadMs: this.options.leadMs,
      hardQueueMs: limits.maxCallQueueMs,
      audioBudget: this.audioBudget,
      ...(this.options.onAppTiming ? { onAppTiming: this.options.onAppTiming } : {}),
      ...(this.options.speech ? { speech: this.options.speech } : {}),
    });
    const stalledMs = () => this.loopStall.stalledMs();
    const audio = this.audioAllowance(DEFAULT_SAMPLE_RATE);
    const state: SocketState = {
      session,
      messages: 0,
      messagesAtLastSweep: 0,
      quietSince: Date.now(),
      alive: true,
      closing: false,
      text: new TokenBucket(limits.textRatePerS, limits.textBurst, { stalledMs }),
      pings: new TokenBucket(limits.pingRatePerS, limits.pingBurst, { stalledMs }),
      audio: new TokenBucket(audio.ratePerS, audio.burst, { stalledMs, creditPerS: audio.creditPerS, initial: audio.initial }),
      owed: { notify: 0, cleared: 0 },
    };
    this.sockets.set(ws, state);
    this.options.registry.addSession(session);
    // The path and query only, not the request: it would stay in memory for the whole call.
    const url = request.url ?? '';
    this.options.onSession?.(session, url);

    // Keep the address, not the request: the request would stay in memory for the whole call.
    const remote = request.socket.remoteAddress;
    session.once('connected', (identity) => {
      this.options.promised?.settle(identity.uuid);
      const { ratePerS, burst, creditPerS } = this.audioAllowance(session.sampleRate);
      state.audio.setRate(ratePerS, burst, creditPerS);
      log.info(
        { uuid: identity.uuid, conversationUuid: identity.conversationUuid, from: identity.from, to: identity.to, rate: session.sampleRate, remote },
        'call started',
      );
    });
    session.once('end', (end) => {
      const { stats } = session;
      log.info(
        {
          uuid: session.identity.uuid,
          rate: session.sampleRate,
          framesIn: stats.framesIn,
          framesOut: stats.framesOut,
          dtmf: stats.dtmfIn,
          textRejected: stats.textRejected,
          durationMs: Math.round(end.durationMs),
          closeCode: end.code,
          closeReason: end.reason,
        },
        'call ended',
      );
    });

    const sampled = new SampledLog(log);
    ws.on('message', (data, isBinary) => {
      // A socket we are closing for abuse gets no more processing (nor log lines).
      if (state.closing) return;
      state.messages++;
      if (isBinary) {
        const frame = data as Buffer;
        if (state.audio.take(frame.length)) return session.receiveBinary(frame);
        sampled.warn(errorCode('AUDIO_RATE'), { dropped: state.audio.dropped }, 'audio message dropped: faster than a call sends');
        if (state.audio.dropped >= limits.inboundAudioDropClose) this.closeFor(ws, state, 'AUDIO_RATE');
        return;
      }
      const text = data as Buffer;
      if (text.length > limits.maxTextBytes) {
        log.warn({ code: errorCode('MESSAGE_TOO_BIG'), bytes: text.length, limit: limits.maxTextBytes }, 'text message too big; closing');
        return this.closeFor(ws, state, 'MESSAGE_TOO_BIG', CLOSE_CODES.tooBig);
      }
      if (!acknowledges(state, text) && !state.text.take()) {
        sampled.warn(errorCode('TEXT_RATE'), { dropped: state.text.dropped }, 'text message dropped: rate limit');
        if (state.text.dropped >= limits.textDropClose) this.closeFor(ws, state, 'TEXT_RATE');
        return;
      }
      session.receiveText(text.toString('utf8'));
    });
    ws.on('ping', (data) => {
      if (state.closing) return;
      if (state.pings.take()) return ws.pong(data);
      sampled.warn(errorCode('PING_RATE'), { dropped: state.pings.dropped }, 'ping left unanswered: faster than a keepalive');
      if (state.pings.dropped >= limits.pingDropClose) this.closeFor(ws, state, 'PING_RATE');
    });
    ws.on('pong', () => {
      state.alive = true;
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        log.warn({ code: errorCode('MESSAGE_TOO_BIG'), limit: limits.maxMessageBytes }, 'message over the size limit; closed with 1009');
      else log.warn({ err: error }, 'call socket error');
    });
    ws.on('close', (code, reason) => {
      this.sockets.delete(ws);
      if (dropped > 0) log.warn({ code: errorCode('SLOW_CONSUMER'), dropped }, 'outbound frames dropped for a slow reader');
      session.transportClosed(code, reason.toString('utf8'));
    });

    try {
      const started = this.options.app(session, url);
      if (started && typeof (started as Promise<void>).catch === 'function') (started as Promise<void>).catch((error) => session.fail(error));
    } catch (error) {
      session.fail(error);
    }
  }
}

/** Counts what Vonage will acknowledge of a text message we send (docs/protocol.md §5.2). */
function owe(state: SocketState, text: string): void {
  const command = parseAppCommand(text);
  if (!command.ok) return;
  if (command.message.type === 'notify') state.owed.notify++;
  else state.owed.cleared++;
}

/**
 * True, and settled, when an inbound text message is an acknowledgement we are owed. Only parsed
 * while one is owed and the bytes name it: every other message costs one substring search.
 */
function acknowledges(state: SocketState, text: Buffer): boolean {
  const { owed } = state;
  const notify = owed.notify > 0 && text.includes(SOCKET_EVENTS.notify);
  const cleared = owed.cleared > 0 && text.includes(SOCKET_EVENTS.cleared);
  if (!notify && !cleared) return false;
  const parsed = parseVonageMessage(text.toString('utf8'));
  if (!parsed.ok) return false;
  if (parsed.message.type === 'notify' && owed.notify > 0) {
    owed.notify--;
    return true;
  }
  if (parsed.message.type === 'cleared' && owed.cleared > 0) {
    owed.cleared--;
    return true;
  }
  return false;
}

function refuse(socket: Duplex, status: number, name: ErrorName, log: SampledLog, detail: Record<string, unknown> = {}): void {
  const code = errorCode(name);
  log.warn(code, { status, ...detail }, 'socket upgrade refused');
  const body = JSON.stringify({ error: code, message: ERRORS[name] });
  const reason = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : status === 503 ? 'Service Unavailable' : 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
