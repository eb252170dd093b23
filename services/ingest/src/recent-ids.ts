import { eventKey } from '@offerstream/events';

/**
 * The (shop_id, event_id) keys seen recently, bounded in count and age: the fast path of
 * de-duplication (ClickHouse's event_dedup table is the durable one behind it).
 */
export class RecentIds {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxKeys: number,
    private readonly windowMs: number,
  ) {}

  /** The de-duplication key of an event (the same key the store's lookups return). */
  static key(shopId: string, eventId: string): string {
    return eventKey(shopId, eventId);
  }

  has(key: string, now: number): boolean {
    const at = this.seen.get(key);
    if (at === undefined) return false;
    if (now - at > this.windowMs) {
      this.seen.delete(key);
      return false;
    }
    return true;
  }

  add(key: string, now: number): void {
    this.seen.delete(key);
    this.seen.set(key, now);
    while (this.seen.size > this.maxKeys) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
  }

  get size(): number {
    return this.seen.size;
  }
}
