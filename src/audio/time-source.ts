/**
 * Time, injected. Real time is `performance.now()` (monotonic: wall-clock steps never move audio);
 * tests use `ManualTime` to run an hour of audio in milliseconds.
 */
export interface TimeSource {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTime: TimeSource = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A clock that moves only when told to; due timers run in time order as it advances. */
export class ManualTime implements TimeSource {
  private current = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Advances time by `ms`, running each timer at its due time; `lateMs` delays every timer (a slow event loop). */
  advance(ms: number, lateMs = 0): void {
    const end = this.current + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, timer] of this.timers) {
        if (timer.at < nextAt) {
          nextAt = timer.at;
          nextId = id;
        }
      }
      if (nextId === undefined || nextAt + lateMs > end) break;
      const timer = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.current = Math.max(this.current, nextAt + lateMs);
      timer.callback();
    }
    this.current = end;
  }

  /** Moves time without running timers, as a blocked event loop does. */
  stall(ms: number): void {
    this.current += ms;
  }
}
