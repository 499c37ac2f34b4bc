/**
 * Turns PCM of any chunk size into exact 20 ms frames. Vonage drops the socket on a frame of any other
 * size (docs/protocol.md §4, "unexpected frame size"), so nothing outbound bypasses this.
 */
export type FrameSink = (frame: Buffer) => void;

export class FrameSplitter {
  readonly frameBytes: number;
  /** Allocated on the first partial frame only: the echo path, all whole frames, never needs it. */
  private pending: Buffer | undefined;
  private pendingLength = 0;

  constructor(frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0 || frameBytes % 2 !== 0) {
      throw new RangeError(`frame size must be a positive even number of bytes, got ${frameBytes}`);
    }
    this.frameBytes = frameBytes;
  }

  /** Bytes held back until a frame is full. */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /**
   * Emits every whole frame that `chunk` completes. A chunk that is exactly one frame with nothing
   * pending is passed through without a copy: the echo hot path.
   */
  push(chunk: Buffer, emit: FrameSink): void {
    const size = this.frameBytes;
    if (this.pendingLength === 0 && chunk.length === size) {
      emit(chunk);
      return;
    }
    let offset = 0;
    if (this.pendingLength > 0 && this.pending) {
      const take = Math.min(size - this.pendingLength, chunk.length);
      chunk.copy(this.pending, this.pendingLength, 0, take);
      this.pendingLength += take;
      offset = take;
      if (this.pendingLength < size) return;
      // The pending buffer is handed out, so the next partial frame needs a fresh one.
      const frame = this.pending;
      this.pending = undefined;
      this.pendingLength = 0;
      emit(frame);
    }
    while (chunk.length - offset >= size) {
      emit(chunk.subarray(offset, offset + size));
      offset += size;
    }
    if (offset < chunk.length) {
      this.pending ??= Buffer.alloc(size);
      chunk.copy(this.pending, 0, offset);
      this.pendingLength = chunk.length - offset;
    }
  }

  /** Pads what is held back with silence to a whole frame; `undefined` when nothing is pending. */
  flush(): Buffer | undefined {
    if (this.pendingLength === 0 || !this.pending) return undefined;
    const frame = this.pending;
    frame.fill(0, this.pendingLength);
    this.pending = undefined;
    this.pendingLength = 0;
    return frame;
  }

  /** Forgets anything held back (barge-in: the old audio must not leak into the next frame). */
  reset(): void {
    this.pendingLength = 0;
  }
}
