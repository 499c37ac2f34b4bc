/**
 * The connection to Redis for `--redis`: one client for commands and one for subscriptions (a
 * subscribed connection can do nothing else). Redis is a convenience, never a dependency of a call:
 * while it is away every command fails at once (no offline queue that would grow and replay stale
 * writes), the instance works on its own, one log line says so, and one says when it is back. The
 * client reconnects by itself and re-subscribes. Whether Redis is up is proven, not assumed: every
 * second a PING must come back and a message published to our own channel must arrive (a stopped
 * Redis keeps its sockets open; a connection state alone says "up"). docs/deploy.md "Many instances".
 */
import { randomUUID } from 'node:crypto';
import { createClient, type RedisClientType } from '@redis/client';
import { errorCode } from '../errors.js';
import type { Logger } from '../call/logger.js';

/** A command slower than this is treated as Redis being unwell: a dashboard view or a control must not hang. */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;
/** How often the round trips that prove Redis answers are made. */
export const HEALTH_INTERVAL_MS = 1000;
/** How long closing may wait for Redis to take the QUIT: a shutdown never waits on an absent Redis. */
const CLOSE_GRACE_MS = 500;
/** Reconnect back-off: quick at first (a restart takes a second), never slower than every 2 s. */
const reconnectDelay = (retries: number) => Math.min(100 * (retries + 1), 2000);

export type MessageHandler = (message: string) => void;

export class RedisLink {
  private readonly commands: RedisClientType;
  private readonly subscriber: RedisClientType;
  private ready = false;
  private subscriberReady = false;
  /** The last round trips: a PING answered, and our previous heartbeat message heard back. */
  private commandsAnswer = false;
  private subscriptionAnswers = false;
  /** Our own pub/sub channel for heartbeats (unique per link). */
  private readonly healthChannel = `voicesocket:health:${randomUUID()}`;
  private lastHeartbeatSent = 0;
  /** Counts 'ready' events: a health round that spans a reconnection judges nothing. */
  private connections = 0;
  private lastHeartbeatHeard = 0;
  private healthTimer: NodeJS.Timeout | undefined;
  /** Whether the outage line has been written since Redis was last up. */
  private reportedDown = false;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {
    const options = { url, disableOfflineQueue: true, socket: { reconnectStrategy: reconnectDelay, connectTimeout: REDIS_COMMAND_TIMEOUT_MS } };
    this.commands = createClient(options) as RedisClientType;
    this.subscriber = this.commands.duplicate();
    for (const [client, set] of [
      [this.commands, (up: boolean) => (this.ready = up)],
      [this.subscriber, (up: boolean) => (this.subscriberReady = up)],
    ] as const) {
      client.on('ready', () => {
        set(true);
        // A fresh connection answered its handshake; the next health check confirms it. A heartbeat
        // published before it can never arrive: none is owed (owing one made a second outage line
        // right after every reconnection).
        this.commandsAnswer = true;
        this.subscriptionAnswers = true;
        this.lastHeartbeatSent = 0;
        this.connections++;
        this.changed();
      });
      client.on('end', () => set(false));
      // Every failed reconnect emits an error; the state change is logged once in changed().
      client.on('error', (error: Error) => {
        set(false);
        this.changed(error);
      });
    }
  }

  /** True while both connections are up and Redis answered the last round trips on both. */
  get up(): boolean {
    return this.ready && this.subscriberReady && this.commandsAnswer && this.subscriptionAnswers;
  }

  /** Starts connecting; never rejects: an unreachable Redis is logged and retried in the background. */
  start(): void {
    for (const client of [this.commands, this.subscriber]) {
      client.connect().catch((error: unknown) => {
        if (!this.closed) this.changed(error as Error);
      });
    }
    this.subscribe(this.healthChannel, (message) => {
      this.lastHeartbeatHeard = Math.max(this.lastHeartbeatHeard, Number(message) || 0);
    });
    this.healthTimer = setInterval(() => void this.checkHealth(), HEALTH_INTERVAL_MS);
    this.healthTimer.unref();
  }

  /** One round of proof: a PING, and whether the heartbeat published last round came back. */
  private async checkHealth(): Promise<void> {
    if (this.closed || !this.ready) return;
    const previous = this.lastHeartbeatSent;
    const connection = this.connections;
    const sent = Date.now();
    const [pong, published] = await Promise.all([this.timed(this.commands.ping()), this.timed(this.commands.publish(this.healthChannel, String(sent)))]);
    if (this.closed || connection !== this.connections) return;
    // Only a heartbeat Redis took is owed back next round.
    this.lastHeartbeatSent = published !== undefined ? sent : 0;
    const wasUp = this.up;
    this.commandsAnswer = pong === 'PONG' && published !== undefined;
    this.subscriptionAnswers = this.subscriberReady && (previous === 0 || this.lastHeartbeatHeard >= previous);
    if (wasUp !== this.up)
      this.changed(
        this.up
          ? undefined
          : new Error(this.commandsAnswer ? 'our heartbeat did not come back through pub/sub' : `no answer to PING within ${REDIS_COMMAND_TIMEOUT_MS} ms`),
      );
  }

  /** A command's answer, or undefined when it failed or took longer than the command timeout. */
  private async timed<T>(command: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), REDIS_COMMAND_TIMEOUT_MS);
        }),
      ]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private changed(error?: Error): void {
    if (this.closed) return;
    if (this.up && this.reportedDown) {
      this.reportedDown = false;
      this.log.info({ redis: this.safeUrl }, 'redis is back: calls and control are shared again');
    } else if (!this.up && !this.reportedDown && error) {
      this.reportedDown = true;
      this.log.warn(
        { code: errorCode('REDIS_UNAVAILABLE'), redis: this.safeUrl, detail: error.message },
        'redis unavailable: this instance works on its own until it returns; no call is affected',
      );
    }
  }

  /** The URL without its password, for logs. */
  private get safeUrl(): string {
    try {
      const url = new URL(this.url);
      if (url.password) url.password = '***';
      return url.toString();
    } catch {
      return '(unparsable)';
    }
  }

  /**
   * Runs commands if Redis is up; undefined if it is down, fails or is too slow. Callers treat
   * undefined as "only what this instance knows".
   */
  async run<T>(work: (client: RedisClientType) => Promise<T>): Promise<T | undefined> {
    // A Redis that stopped answering costs nothing per request until a round trip proves it back.
    if (!this.ready || !this.commandsAnswer) return undefined;
    try {
      return await this.timed(work(this.commands));
    } catch {
      return undefined;
    }
  }

  /** Subscribes for the life of the link; re-subscribed by the client after every reconnect. */
  subscribe(channel: string, handler: MessageHandler): void {
    const subscribing = async () => {
      while (!this.closed) {
        try {
          // A handler's fault is its own: thrown into the client it would count as a broken connection.
          await this.subscriber.subscribe(channel, (message: string) => {
            try {
              handler(message);
            } catch (error) {
              this.log.warn({ code: errorCode('REDIS_DATA_INVALID'), channel, err: error }, 'redis: a pub/sub message could not be handled');
            }
          });
          return;
        } catch {
          // Not connected yet: the client is retrying; try again once it is.
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    };
    void subscribing();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.healthTimer);
    // QUIT when Redis answers; a Redis away (or stopped) would hold close() until it came back.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.commands.close(), this.subscriber.close()]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    for (const client of [this.commands, this.subscriber]) {
      try {
        if (client.isOpen) client.destroy();
      } catch {
        // Already closed.
      }
    }
  }
}
