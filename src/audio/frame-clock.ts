/**
 * The one clock for audio timing. Every paced stream (the server's outbound pacer, the emulator's
 * caller audio and its playback mixer) is a task with an absolute next deadline; the clock keeps a
 * single timer for the earliest deadline of all its tasks, so a thousand calls cost one timer, and a
 * late timer never shifts the schedule (tasks compare deadlines with `now`, they never count ticks).
 */
import { realTime, type TimeSource } from './time-source.js';

export interface ClockTask {
  /** Absolute time (TimeSource ms) at which the task next has work; Infinity when idle. */
  nextDueAt(): number;
  /** Does all the work due at or before `now`. */
  run(now: number): void;
}

export class FrameClock {
  private readonly tasks = new Set<ClockTask>();
  private timer: unknown;
  private timerDueAt = Infinity;
  private running = false;

  constructor(readonly time: TimeSource = realTime) {}

  now(): number {
    return this.time.now();
  }

  /** Adds a task; returns its removal. */
  add(task: ClockTask): () => void {
    this.tasks.add(task);
    this.wake(task);
    return () => {
      this.tasks.delete(task);
      if (this.tasks.size === 0) this.cancelTimer();
    };
  }

  get size(): number {
    return this.tasks.size;
  }

  /**
   * Call when a task's deadline moved earlier (new audio queued, say). A task that is due now runs at
   * once, in its caller's stack: the first frame of a reply leaves when it is written, not a timer
   * later (a timer can wait tens of milliseconds behind a busy event loop). Only that task runs; the
   * others keep their deadlines.
   */
  wake(task?: ClockTask): void {
    if (this.running) return;
    if (task && this.tasks.has(task)) {
      const now = this.time.now();
      if (task.nextDueAt() <= now) {
        this.running = true;
        try {
          task.run(now);
        } finally {
          this.running = false;
        }
      }
    }
    this.schedule();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.timerDueAt = Infinity;
    this.running = true;
    try {
      const now = this.time.now();
      for (const task of this.tasks) if (task.nextDueAt() <= now) task.run(now);
    } finally {
      this.running = false;
      this.schedule();
    }
  };

  private schedule(): void {
    let earliest = Infinity;
    for (const task of this.tasks) {
      const due = task.nextDueAt();
      if (due < earliest) earliest = due;
    }
    if (earliest === Infinity) return this.cancelTimer();
    if (this.timer !== undefined && this.timerDueAt <= earliest) return;
    this.cancelTimer();
    this.timerDueAt = earliest;
    this.timer = this.time.setTimeout(this.tick, Math.max(0, earliest - this.time.now()));
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.time.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
  }
}

/**
 * A fixed-rate schedule: frame n is due at `start + n * periodMs`. Counting from an absolute start
 * is what keeps cumulative drift at zero however late individual timers fire.
 */
export class FrameSchedule {
  private index = 0;
  constructor(
    readonly startAt: number,
    readonly periodMs: number,
  ) {}

  get next(): number {
    return this.index;
  }

  nextDueAt(): number {
    return this.startAt + this.index * this.periodMs;
  }

  /** Calls `each(n, dueAt)` for every frame due at or before `now`, at most `max` of them. */
  runDue(now: number, each: (n: number, dueAt: number) => void, max = Infinity): number {
    let done = 0;
    while (done < max && this.nextDueAt() <= now) {
      const n = this.index++;
      each(n, this.startAt + n * this.periodMs);
      done++;
    }
    return done;
  }

  /** Skips ahead so the next frame is the first one due after `now` (after a stall, to not burst). */
  skipTo(now: number): number {
    const target = Math.max(this.index, Math.floor((now - this.startAt) / this.periodMs) + 1);
    const skipped = target - this.index;
    this.index = target;
    return skipped;
  }
}
