/**
 * Call sockets an answer has promised: an NCCO that connects the call to our `/socket` is a call in
 * progress from the moment it is served, though its socket comes only once the actions before the
 * connect (the greeting) have run. A drain counts these as calls, and keeps taking their sockets:
 * with the default drain delay of 0, a call answered a moment before SIGTERM met a closed port
 * (docs/deploy.md "Drain"). A promise is kept when a socket says it carries that call (its
 * websocket:connected names the leg uuid, as our NCCO's headers do), released when the leg's event
 * says it is over (the caller hung up during the greeting), and forgotten after a time.
 */

/**
 * How long a promise holds. The socket comes after the actions before the connect: the default
 * greeting takes about 3 s, and the longest greeting the settings allow (1 500 characters) about
 * 100 s read aloud at 15 characters a second. A promise this old was broken (the leg's final event
 * lost); in a drain the drain timeout bounds the wait anyway.
 */
export const PROMISE_TTL_MS = 120_000;
/**
 * Promises held at most: far above the answers a server serves in two minutes (2 000 calls at once is
 * the default limit). A flood of answer requests evicts the oldest, and costs no more than this.
 */
export const MAX_PROMISES = 10_000;

let keyless = 0;

export type PromiseChange = 'promise' | 'settle';

export class PromisedSockets {
  /** Leg uuid (or a key of its own when the answer had none) → when the promise expires, oldest first. */
  private readonly due = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    /**
     * Tells the other processes of the instance (`--workers`: a call's answer and its socket may land
     * on different workers, each of which must know the socket is promised, and that it came).
     */
    private readonly share?: (change: PromiseChange, key: string) => void,
  ) {}

  /** An answer that connects the call `uuid` to our socket was served. */
  promise(uuid: string | undefined): void {
    const key = uuid ?? `keyless:${process.pid}:${++keyless}`;
    this.apply('promise', key);
    this.share?.('promise', key);
  }

  /** A socket carrying `uuid` arrived (kept), or the leg ended before it could (released). */
  settle(uuid: string | undefined): void {
    if (uuid === undefined) return;
    this.apply('settle', uuid);
    this.share?.('settle', uuid);
  }

  /** A change made here, or heard from another process of the instance. */
  apply(change: PromiseChange, key: string): void {
    if (change === 'settle') {
      this.due.delete(key);
      return;
    }
    // Re-inserted: the map stays in expiry order (every promise lives the same time).
    this.due.delete(key);
    this.due.set(key, this.now() + PROMISE_TTL_MS);
    if (this.due.size > MAX_PROMISES) this.due.delete(this.due.keys().next().value!);
  }

  /** Promises still open. */
  get outstanding(): number {
    const now = this.now();
    for (const [key, expires] of this.due) {
      if (expires > now) break;
      this.due.delete(key);
    }
    return this.due.size;
  }
}
