/**
 * The connection to Redis for `--redis`: one client for commands and one for subscriptions (a
 * subscribed connection can do nothing else). Redis is a convenience, never a dependency of a call:
 * while it is away every command fails at once (no offline queue that would grow and replay stale
 * writes), the instance works on its own, one log line says so, and one says when it is back. The
 * client reconnects by itself and re-subscribes. docs/deploy.md "Many instances".
 */
import { createClient, type RedisClientType } from '@redis/client';
import { errorCode } from '../errors.js';
import type { Logger } from '../call/logger.js';

/** A command slower than this is treated as Redis being unwell: a dashboard view or a control must not hang. */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;
/** Reconnect back-off: quick at first (a restart takes a second), never slower than every 2 s. */
const reconnectDelay = (retries: number) => Math.min(100 * (retries + 1), 2000);

export type MessageHandler = (message: string) => void;

export class RedisLink {
  private readonly commands: RedisClientType;
  private readonly subscriber: RedisClientType;
  private ready = false;
  private subscriberReady = false;
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

  /** True while both connections are up: what is shared is then shared. */
  get up(): boolean {
    return this.ready && this.subscriberReady;
  }

  /** Starts connecting; never rejects: an unreachable Redis is logged and retried in the background. */
  start(): void {
    for (const client of [this.commands, this.subscriber]) {
      client.connect().catch((error: unknown) => {
        if (!this.closed) this.changed(error as Error);
      });
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
    if (!this.ready) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work(this.commands),
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

  /** Subscribes for the life of the link; re-subscribed by the client after every reconnect. */
  subscribe(channel: string, handler: MessageHandler): void {
    const subscribing = async () => {
      while (!this.closed) {
        try {
          await this.subscriber.subscribe(channel, handler);
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
    await Promise.allSettled([this.commands.close(), this.subscriber.close()]);
  }
}
