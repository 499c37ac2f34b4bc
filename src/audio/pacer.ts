/**
 * The pacer: the only clock for outbound audio. Apps hand it PCM in bursts of any size; it sends
 * exact 20 ms frames just ahead of Vonage's playout, never behind it and never more than `leadMs`
 * ahead, and tracks what the caller has actually heard.
 *
 * It keeps a model of Vonage's player: each frame sent plays at max(now, end of the previous frame)
 * for 20 ms. `playoutEnd` is when everything sent so far will have played. A frame is due when
 * `playoutEnd - now` falls below the lead, an absolute comparison, so late timers never accumulate
 * drift; after a stall longer than the lead, the buffer refills to the lead and no further.
 */
import { EventEmitter } from 'node:events';
import { FRAME_MS } from '../protocol/audio-format.js';
import { FrameClock, type ClockTask } from './frame-clock.js';
import { FrameSplitter } from './frame-splitter.js';

/** How far ahead of playout to send: enough to ride out 100+ ms event-loop stalls, far below Vonage's 60 s buffer. */
export const DEFAULT_LEAD_MS = 200;
/** Audio held locally before `write` waits (backpressure): bounds memory per call. */
export const DEFAULT_MAX_QUEUE_MS = 10_000;

export interface PacerSink {
  sendFrame(frame: Buffer): void;
  /** A marker goes out in order with the audio: sent when every frame queued before it has been sent. */
  sendMark(payload: Record<string, unknown>): void;
}

export interface PacerOptions {
  frameBytes: number;
  clock: FrameClock;
  sink: PacerSink;
  leadMs?: number;
  maxQueueMs?: number;
  /** Past this much queued audio, writes are dropped (an app that ignores write()'s promise), ms. */
  hardQueueMs?: number;
  /** The process-wide budget of queued audio bytes this pacer shares with every other. */
  budget?: AudioBudget;
}

/**
 * Bytes of paced audio queued by all the pacers that share it (one per server): the process-wide cap
 * under the per-call one. Plain numbers, touched once per frame queued or sent.
 */
export class AudioBudget {
  used = 0;
  constructor(readonly maxBytes: number) {}
}

type Item = { frame: Buffer } | { mark: Record<string, unknown> };

export interface PacerStats {
  framesSent: number;
  /** Times Vonage's buffer ran dry while we still had audio queued (we were late). */
  underruns: number;
  /** Largest amount of audio ever ahead of playout, ms (should stay ≤ lead + one frame). */
  maxAheadMs: number;
  /** Frames dropped by `clear`. */
  clearedFrames: number;
  /** Bytes of writes dropped because the call's or the process's queue was full. */
  overflowBytes: number;
}

export interface PacerEvents {
  drain: [];
  idle: [];
  /** The first write dropped for a full queue (once per pacer). */
  overflow: [];
}

export class Pacer extends EventEmitter<PacerEvents> {
  readonly leadMs: number;
  readonly maxQueueMs: number;
  readonly stats: PacerStats = { framesSent: 0, underruns: 0, maxAheadMs: 0, clearedFrames: 0, overflowBytes: 0 };
  readonly hardQueueMs: number;
  private readonly budget: AudioBudget | undefined;
  private readonly frameBytes: number;
  private readonly clock: FrameClock;
  private readonly sink: PacerSink;
  private readonly splitter: FrameSplitter;
  private readonly queue: Item[] = [];
  private head = 0;
  private queuedFrames = 0;
  private playoutEnd = -Infinity;
  /** Frames whose playout had finished at the last clear or underrun, plus those counted since. */
  private playedBase = 0;
  private sentSinceBase = 0;
  private removeTask: (() => void) | undefined;
  /** This pacer on the clock: sends what is due. */
  private readonly task: ClockTask = { nextDueAt: () => this.nextDueAt(), run: (now) => this.run(now) };
  private readonly emitFrame = (frame: Buffer) => this.enqueue({ frame });

  constructor(options: PacerOptions) {
    super();
    this.frameBytes = options.frameBytes;
    this.clock = options.clock;
    this.sink = options.sink;
    this.leadMs = Math.max(FRAME_MS, options.leadMs ?? DEFAULT_LEAD_MS);
    this.maxQueueMs = options.maxQueueMs ?? DEFAULT_MAX_QUEUE_MS;
    this.hardQueueMs = Math.max(this.maxQueueMs, options.hardQueueMs ?? 2 * this.maxQueueMs);
    this.budget = options.budget;
    this.splitter = new FrameSplitter(options.frameBytes);
  }

  /** Audio waiting here, not yet sent, ms. */
  get queuedMs(): number {
    return this.queuedFrames * FRAME_MS;
  }

  /** Audio sent but not yet played by Vonage, ms. */
  aheadMs(now = this.clock.now()): number {
    return Math.max(0, this.playoutEnd - now);
  }

  /** Milliseconds of audio the caller has actually heard (sent and played out; cleared audio excluded). */
  playedMs(now = this.clock.now()): number {
    const unplayed = Math.ceil(this.aheadMs(now) / FRAME_MS);
    return (this.playedBase + this.sentSinceBase - unplayed) * FRAME_MS;
  }

  /**
   * Where audio written now will start in the caller's ears, as ms of paced audio since the start
   * (played + sent and not yet played + queued + the partial frame): a producer that notes this at its
   * first write knows, from `playedMs()` later, how much of its audio was heard.
   */
  scheduledMs(): number {
    const pendingMs = (this.splitter.pendingBytes / this.frameBytes) * FRAME_MS;
    return (this.playedBase + this.sentSinceBase + this.queuedFrames) * FRAME_MS + pendingMs;
  }

  /** Whether nothing is queued here or waiting to play at Vonage. */
  get idle(): boolean {
    return this.queuedFrames === 0 && this.head === this.queue.length && this.aheadMs() === 0;
  }

  /**
   * Queues PCM of any size (s16le at the call rate). Resolves at once while the local queue is under
   * `maxQueueMs`, else when it has drained below it: `await pacer.write(chunk)` in a loop is paced
   * producer backpressure, and memory stays bounded.
   */
  write(pcm: Buffer): Promise<void> {
    // Backpressure is a promise; an app that ignores it would grow the queue without end. Past the
    // hard limit, or the process's budget, the write is dropped and counted instead.
    if (this.queuedMs >= this.hardQueueMs || (this.budget && this.budget.used + pcm.length > this.budget.maxBytes)) {
      if (this.stats.overflowBytes === 0) this.emit('overflow');
      this.stats.overflowBytes += pcm.length;
      return Promise.resolve();
    }
    this.splitter.push(pcm, this.emitFrame);
    if (this.queuedMs < this.maxQueueMs) return Promise.resolve();
    // A plain list, not listeners: any number of writers may wait (concurrent plays) without an
    // emitter's leak warning, and each waits exactly once.
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Pads and queues what is held back, so the end of a prompt is heard rather than kept. */
  flush(): void {
    const last = this.splitter.flush();
    if (last) this.enqueue({ frame: last });
  }

  /** Queues a notify marker after everything written so far (flushes the partial frame first). */
  mark(payload: Record<string, unknown>): void {
    this.flush();
    this.enqueue({ mark: payload });
  }

  /**
   * Drops everything not yet sent and forgets what Vonage still had queued (the caller sends `clear`
   * to Vonage alongside). Returns the markers that were dropped locally.
   */
  clear(): Array<Record<string, unknown>> {
    const dropped: Array<Record<string, unknown>> = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const item = this.queue[i]!;
      if ('mark' in item) dropped.push(item.mark);
      else this.stats.clearedFrames++;
    }
    this.release(this.queuedFrames);
    this.queue.length = 0;
    this.head = 0;
    this.queuedFrames = 0;
    this.splitter.reset();
    const now = this.clock.now();
    this.rebase(now);
    this.playoutEnd = now;
    this.drained();
    return dropped;
  }

  /** Stops the clock task; queued audio is dropped, and writers waiting for room are released. */
  stop(): void {
    this.removeTask?.();
    this.removeTask = undefined;
    this.release(this.queuedFrames);
    this.queue.length = 0;
    this.head = 0;
    this.queuedFrames = 0;
    this.drained();
  }

  private enqueue(item: Item): void {
    // Nothing was waiting: this item may be due now, and is sent at once (the start of a reply). While
    // audio is queued the clock's ticks send it, in step with every other task on the clock.
    const idle = this.head === this.queue.length;
    this.queue.push(item);
    if ('frame' in item) {
      this.queuedFrames++;
      if (this.budget) this.budget.used += this.frameBytes;
    }
    if (!this.removeTask) this.removeTask = this.clock.add(this.task);
    else if (idle) this.clock.wake(this.task);
    else this.clock.wake();
  }

  private nextDueAt(): number {
    if (this.head === this.queue.length) return Infinity;
    return this.playoutEnd - this.leadMs;
  }

  private run(now: number): void {
    // `<=`: after a run the next deadline is strictly in the future, so the clock never spins on "due now".
    while (this.head < this.queue.length && this.playoutEnd - now <= this.leadMs) {
      const item = this.queue[this.head]!;
      this.queue[this.head] = undefined as unknown as Item;
      this.head++;
      if ('mark' in item) {
        this.sink.sendMark(item.mark);
        continue;
      }
      this.queuedFrames--;
      if (this.budget) this.budget.used -= this.frameBytes;
      if (this.playoutEnd < now) {
        // Vonage's buffer ran dry: a gap the caller heard, unless this is the start of a new utterance.
        if (this.stats.framesSent > 0 && now - this.playoutEnd >= FRAME_MS && this.wasContinuous) this.stats.underruns++;
        this.rebase(now);
        this.playoutEnd = now;
      }
      this.playoutEnd += FRAME_MS;
      this.sentSinceBase++;
      this.stats.framesSent++;
      this.sink.sendFrame(item.frame);
      const ahead = this.playoutEnd - now;
      if (ahead > this.stats.maxAheadMs) this.stats.maxAheadMs = ahead;
    }
    this.wasContinuous = this.head < this.queue.length;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.emit('idle');
    } else if (this.head >= 64 && this.head * 2 >= this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.queuedMs < this.maxQueueMs) this.drained();
  }

  private waiters: Array<() => void> = [];

  /** There is room again: writers waiting for it go on. */
  private drained(): void {
    if (this.waiters.length > 0) {
      const waiting = this.waiters;
      this.waiters = [];
      for (const resolve of waiting) resolve();
    }
    this.emit('drain');
  }

  /** Gives queued frames' bytes back to the process budget. */
  private release(frames: number): void {
    if (this.budget) this.budget.used -= frames * this.frameBytes;
  }

  /** True while audio was still queued at the end of the last run: a later gap is our lateness, not a pause. */
  private wasContinuous = false;

  /** Folds everything already played into the base, so `playedMs` survives a reset of playoutEnd. */
  private rebase(now: number): void {
    const unplayed = Math.ceil(this.aheadMs(now) / FRAME_MS);
    this.playedBase += this.sentSinceBase - unplayed;
    this.sentSinceBase = 0;
  }
}
