/**
 * Vonage's playback side of a websocket leg (docs/protocol.md §4, §5.2): a FIFO of app frames and notify
 * markers, consumed by a mixer that ticks every 20 ms and plays one frame per tick (silence when
 * empty). Pure: the leg calls `tick()` on the shared clock and feeds it what the app sends.
 */
import type { EmulatorSwitches } from './switches.js';

type Item = { frame: Buffer; mark?: undefined } | { frame?: undefined; mark: unknown };

export interface Underrun {
  /** Index of the first silent tick. */
  tick: number;
  /** Silent ticks in the gap. */
  frames: number;
  /**
   * The gap ended with the caller's own audio coming back (an echo, set by the leg from the frame's
   * tag): echoed audio is paced by the caller and arrives one round trip after it was sent, so a
   * round trip longer than the mixer's phase is a gap no app can prevent. Not the app's pacing.
   */
  echoed?: boolean;
}

export interface TickResult {
  /** The frame played this tick; undefined means silence. */
  frame: Buffer | undefined;
  /** Notify payloads whose markers were reached (everything queued before them has played). */
  marks: unknown[];
}

export type EnqueueResult = 'queued' | 'dropped' | 'disconnect';

export class PlaybackBuffer {
  private readonly queue: Item[] = [];
  private head = 0;
  private framesQueued = 0;
  private tickIndex = 0;
  private playedLastTick = false;
  private silentRun = 0;

  readonly stats = { framesPlayed: 0, silentTicks: 0, overflowDropped: 0, maxDepth: 0, clears: 0, clearedFrames: 0 };
  readonly underruns: Underrun[] = [];

  constructor(private readonly switches: Pick<EmulatorSwitches, 'bufferFrames' | 'overflow' | 'clearDropsMarks' | 'underrunWindowMs'>) {}

  /** Frames waiting to be played. */
  get depth(): number {
    return this.framesQueued;
  }

  enqueueFrame(frame: Buffer): EnqueueResult {
    if (this.framesQueued >= this.switches.bufferFrames) {
      if (this.switches.overflow === 'disconnect') return 'disconnect';
      this.stats.overflowDropped++;
      if (this.switches.overflow === 'drop-newest') return 'dropped';
      this.dropOldestFrame();
    }
    this.queue.push({ frame });
    this.framesQueued++;
    if (this.framesQueued > this.stats.maxDepth) this.stats.maxDepth = this.framesQueued;
    return 'queued';
  }

  /** Queues a marker; returns true when it is reached at once (nothing queued or playing). */
  enqueueMark(payload: unknown): boolean {
    if (this.queueLength() === 0 && !this.playedLastTick) return true;
    this.queue.push({ mark: payload });
    return false;
  }

  /** Discards queued audio (and markers, per switch); returns the markers to report anyway. */
  clear(): unknown[] {
    const kept: unknown[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const item = this.queue[i]!;
      if (item.frame) this.stats.clearedFrames++;
      else if (!this.switches.clearDropsMarks) kept.push(item.mark);
    }
    this.queue.length = 0;
    this.head = 0;
    this.framesQueued = 0;
    this.stats.clears++;
    // Barge-in stops the frame in flight too: the next tick is silence, not a continuation.
    this.playedLastTick = false;
    this.silentRun = 0;
    return kept;
  }

  /** One 20 ms mixer tick. */
  tick(): TickResult {
    const marks: unknown[] = [];
    // Markers at the head were reached: every frame before them finished playing by this tick.
    this.takeMarks(marks);
    let frame: Buffer | undefined;
    const item = this.queue[this.head];
    if (item?.frame) {
      frame = item.frame;
      this.advance();
      this.framesQueued--;
      this.stats.framesPlayed++;
      if (this.silentRun > 0 && this.silentRun * 20 <= this.switches.underrunWindowMs) {
        this.underruns.push({ tick: this.tickIndex - this.silentRun, frames: this.silentRun });
      }
      this.silentRun = 0;
      this.playedLastTick = true;
      // A marker right behind the last frame is reported on the next tick, when that frame ends.
    } else {
      this.stats.silentTicks++;
      if (this.playedLastTick || this.silentRun > 0) this.silentRun++;
      if (this.silentRun * 20 > this.switches.underrunWindowMs) this.silentRun = 0; // a pause, not an underrun
      this.playedLastTick = false;
    }
    this.tickIndex++;
    return { frame, marks };
  }

  private takeMarks(into: unknown[]): void {
    for (;;) {
      const item = this.queue[this.head];
      if (!item || item.frame) return;
      into.push(item.mark);
      this.advance();
    }
  }

  private advance(): void {
    this.queue[this.head] = undefined as unknown as Item; // release the played frame now
    this.head++;
    if (this.head === this.queue.length) {
      // Drained (the usual case for echo): start over, O(1).
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private queueLength(): number {
    return this.queue.length - this.head;
  }

  private dropOldestFrame(): void {
    for (let i = this.head; i < this.queue.length; i++) {
      if (this.queue[i]!.frame) {
        this.queue.splice(i, 1);
        this.framesQueued--;
        return;
      }
    }
  }
}
