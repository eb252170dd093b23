/**
 * A map capped in entries that evicts the least recently used ones in batches. Recency is a
 * tick stamped on every read, so a read costs one Map lookup (a Map reordered on every read
 * degrades on V8: its iterator walks deleted entries, see RecentIds). When the cap is
 * passed, the oldest tenth is evicted at once: O(n log n) per n/10 inserts.
 */
export class EntityCache<V> {
  private readonly map = new Map<string, { value: V; tick: number }>();
  private tick = 0;
  /** Entries evicted so far (a metric). */
  evicted = 0;

  constructor(
    readonly cap: number,
    private readonly onEvict?: (key: string, value: V) => void,
  ) {
    if (!(cap >= 1)) throw new RangeError('cap must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  /** The value, marked as used now. */
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    e.tick = ++this.tick;
    return e.value;
  }

  /** The value without marking it used (stream updates must not keep entries alive). */
  peek(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  set(key: string, value: V): void {
    const e = this.map.get(key);
    if (e) {
      e.value = value;
      e.tick = ++this.tick;
      return;
    }
    this.map.set(key, { value, tick: ++this.tick });
    if (this.map.size > this.cap) this.evictOldest(Math.max(1, Math.ceil(this.cap / 10)));
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  private evictOldest(n: number): void {
    const entries = [...this.map.entries()].sort((a, b) => a[1].tick - b[1].tick).slice(0, n);
    for (const [k, e] of entries) {
      this.map.delete(k);
      this.evicted++;
      this.onEvict?.(k, e.value);
    }
  }
}
