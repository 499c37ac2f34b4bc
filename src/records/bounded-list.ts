/**
 * A list that keeps its first and last items past a limit: the first half as they came, the last
 * half in a ring, and a count of what fell out between them. How a long call began and how it ended
 * say the most; the middle of an hour is what gives way. Pure.
 */
export class BoundedList<T> {
  private readonly head: T[] = [];
  private readonly tail: T[] = [];
  private tailStart = 0;
  /** Items that fell out of the middle. */
  dropped = 0;
  private readonly headMax: number;
  private readonly tailMax: number;

  constructor(readonly limit: number) {
    this.headMax = Math.ceil(limit / 2);
    this.tailMax = limit - this.headMax;
  }

  push(item: T): void {
    if (this.head.length < this.headMax) {
      this.head.push(item);
      return;
    }
    if (this.tailMax === 0) {
      this.dropped++;
      return;
    }
    if (this.tail.length < this.tailMax) {
      this.tail.push(item);
      return;
    }
    this.tail[this.tailStart] = item;
    this.tailStart = (this.tailStart + 1) % this.tailMax;
    this.dropped++;
  }

  get length(): number {
    return this.head.length + this.tail.length;
  }

  /** The newest items first, at most `count` (for matching a late event to a recent item). */
  *recent(count: number): Generator<T> {
    const items = this.toArray();
    for (let i = items.length - 1; i >= 0 && i >= items.length - count; i--) yield items[i]!;
  }

  /** The last item, if any. */
  last(): T | undefined {
    if (this.tail.length === 0) return this.head.at(-1);
    return this.tail[(this.tailStart + this.tail.length - 1) % this.tail.length];
  }

  toArray(): T[] {
    return [...this.head, ...this.tail.slice(this.tailStart), ...this.tail.slice(0, this.tailStart)];
  }
}
