/**
 * How long this process's event loop has been unable to run, in total: a timer that should fire
 * every `intervalMs` notes how late it fired. A socket's backlog read after a stall is the server's
 * lateness, not the peer's flood; the inbound limiters ask this before they call it one.
 */
import { performance } from 'node:perf_hooks';

/** Lateness below this is ordinary timer jitter on a busy machine, not a stall. */
const JITTER_MS = 50;

export class LoopStall {
  private lastTick: number;
  private accumulated = 0;
  private reported = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastTick = now();
  }

  start(): this {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Called by the timer; tests call it on injected time. */
  tick(): void {
    const now = this.now();
    const late = now - this.lastTick - this.intervalMs;
    if (late > JITTER_MS) this.accumulated += late;
    this.lastTick = now;
  }

  /**
   * Milliseconds the loop has been stalled since it started, counting a stall still under way (the
   * socket's backlog may be read before the timer's late tick). Never goes back.
   */
  stalledMs(): number {
    const current = this.now() - this.lastTick - this.intervalMs;
    const total = this.accumulated + (current > JITTER_MS ? current : 0);
    this.reported = Math.max(this.reported, total);
    return this.reported;
  }
}
