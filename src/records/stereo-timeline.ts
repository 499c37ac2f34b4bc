/**
 * The two sides of a call placed on the call's clock, for a stereo recording: the caller's frames on
 * the left by when they arrived, the app's frames on the right by when they play at Vonage (the
 * pacer's model: paced audio is sent up to the lead ahead of its playout). Gaps are silence; a cut
 * (barge-in: `clear`) removes the app's audio that had not started playing at that instant, so the
 * cut is heard where it happened. Frames are held until their place is final, then given out as
 * interleaved stereo in order. Pure: times are given, and the tests place an hour in milliseconds.
 *
 * Placement: a stream of frames is laid end to end (a frame arriving a little late or early keeps
 * its place after the one before: network jitter is no silence), unless it comes more than
 * JITTER_SLOTS after where the stream had got to — then the silence is real and kept. Paced app
 * frames have exact times and keep them within a frame.
 */
import { FRAME_MS } from '../protocol/audio-format.js';

/** A stream that falls this far behind the clock has paused: 100 ms, beyond any jitter of a live call. */
const JITTER_SLOTS = 5;
/**
 * Frames held ahead of what has been given out, per side: 10 s. Paced audio runs at most the lead
 * ahead, a live caller at most their jitter; an app sending unpaced audio faster than real time (a
 * file in one go) is cut here instead of holding the memory.
 */
export const MAX_AHEAD_SLOTS = 500;

export class StereoTimeline {
  private readonly left = new Map<number, Buffer>();
  private readonly right = new Map<number, Buffer>();
  /** The next slot to give out: everything before it is written. */
  private written = 0;
  private nextLeft = 0;
  private nextRight = 0;
  /** Frames left out for running more than MAX_AHEAD_SLOTS ahead. */
  dropped = 0;

  /**
   * @param frameBytes one mono frame at the call's rate
   * @param holdSlots how long a slot waits for late frames before it is given out (in frames)
   */
  constructor(
    readonly frameBytes: number,
    private readonly holdSlots = 5,
  ) {}

  /** Ms of audio given out so far. */
  get writtenMs(): number {
    return this.written * FRAME_MS;
  }

  /** A caller frame that arrived at `atMs`. */
  caller(frame: Buffer, atMs: number): void {
    const slot = this.place(this.nextLeft, Math.floor(atMs / FRAME_MS), JITTER_SLOTS);
    if (slot === undefined) return;
    this.left.set(slot, frame);
    this.nextLeft = slot + 1;
  }

  /** An app frame that starts playing at `playsAtMs`; `paced` when its time is the pacer's (exact). */
  app(frame: Buffer, playsAtMs: number, paced: boolean): void {
    const slot = this.place(this.nextRight, Math.round(playsAtMs / FRAME_MS), paced ? 1 : JITTER_SLOTS);
    if (slot === undefined) return;
    this.right.set(slot, frame);
    this.nextRight = slot + 1;
  }

  /** Barge-in at `atMs`: the app's frames that had not started playing are gone. */
  cut(atMs: number): void {
    const from = Math.max(this.written, Math.ceil(atMs / FRAME_MS));
    for (const slot of this.right.keys()) if (slot >= from) this.right.delete(slot);
    this.nextRight = Math.min(this.nextRight, from);
  }

  /** Interleaved stereo for the slots whose place is final at `nowMs` (undefined: none yet, or fewer than `minSlots`). */
  take(nowMs: number, minSlots = 1): Buffer | undefined {
    const until = Math.floor(nowMs / FRAME_MS) - this.holdSlots;
    if (until - this.written < minSlots) return undefined;
    return this.emit(until);
  }

  /** Everything up to the call's end at `endMs`; app audio that would have played after it is dropped. */
  end(endMs: number): Buffer | undefined {
    this.cut(endMs);
    const until = Math.max(this.written, Math.ceil(endMs / FRAME_MS), this.nextLeft);
    const out = until > this.written ? this.emit(until) : undefined;
    this.left.clear();
    this.right.clear();
    return out;
  }

  /** Where a frame goes: after its stream's last one, unless it came well after it; undefined when too far ahead. */
  private place(next: number, due: number, tolerance: number): number | undefined {
    let slot = due - next > tolerance ? due : next;
    if (slot < this.written) slot = this.written;
    if (slot - this.written >= MAX_AHEAD_SLOTS) {
      this.dropped++;
      return undefined;
    }
    return slot;
  }

  private emit(until: number): Buffer {
    const bytes = this.frameBytes;
    const out = Buffer.alloc((until - this.written) * bytes * 2);
    for (let slot = this.written, at = 0; slot < until; slot++, at += bytes * 2) {
      const left = this.left.get(slot);
      const right = this.right.get(slot);
      if (left) {
        this.left.delete(slot);
        interleave(left, out, at, 0, bytes);
      }
      if (right) {
        this.right.delete(slot);
        interleave(right, out, at, 2, bytes);
      }
    }
    this.written = until;
    return out;
  }
}

/** Copies a mono frame's samples into every other sample of `out` from `at` (+2 for the right channel), byte by byte (any alignment, any host). */
function interleave(frame: Buffer, out: Buffer, at: number, channel: number, frameBytes: number): void {
  const length = Math.min(frame.length, frameBytes) & ~1;
  for (let i = 0, o = at + channel; i < length; i += 2, o += 4) {
    out[o] = frame[i]!;
    out[o + 1] = frame[i + 1]!;
  }
}
