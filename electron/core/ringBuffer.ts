/**
 * A buffer bounded both by count and by age: streaming history that stays the same size however long the app runs.
 * Items must be pushed in time order.
 */
export class RingBuffer<T> {
  private items: T[] = [];

  constructor(
    private readonly capacity: number,
    private readonly maxAgeMs: number,
    private readonly timeOf: (item: T) => number,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    this.dropOlderThan(this.timeOf(item) - this.maxAgeMs);
  }

  /** Items, oldest first; only those at or after `since` when given. */
  toArray(since?: number): T[] {
    if (since === undefined) return [...this.items];
    return this.items.filter((item) => this.timeOf(item) >= since);
  }

  get length(): number {
    return this.items.length;
  }

  private dropOlderThan(cutoff: number): void {
    let drop = 0;
    while (drop < this.items.length && this.timeOf(this.items[drop]!) < cutoff) drop++;
    if (drop > 0) this.items.splice(0, drop);
  }
}
