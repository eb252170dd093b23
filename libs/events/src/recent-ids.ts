import { eventKey } from './aggregates.repository';

/**
 * The (shop_id, event_id) keys seen recently, bounded in count and age: the de-duplication
 * memory of the pipeline (rebuilt from ClickHouse whenever partitions are assigned).
 *
 * Eviction is first-in first-out through a ring of slots. (A Map used as its own queue —
 * deleting `keys().next()` — degrades on V8: the iterator walks every deleted entry first,
 * and profiling showed half of ingest's CPU going there once the memory was full.)
 */
export class RecentIds {
  /** key → the slot of its latest add (slots count up; slot % capacity indexes the ring). */
  private readonly seen = new Map<string, number>();
  private readonly keys: (string | undefined)[];
  private readonly times: Float64Array;
  private nextSlot = 0;

  constructor(
    private readonly maxKeys: number,
    private readonly windowMs: number,
  ) {
    this.keys = new Array<string | undefined>(maxKeys);
    this.times = new Float64Array(maxKeys);
  }

  /** The de-duplication key of an event (the same key the store's lookups return). */
  static key(shopId: string, eventId: string): string {
    return eventKey(shopId, eventId);
  }

  has(key: string, now: number): boolean {
    const slot = this.seen.get(key);
    if (slot === undefined) return false;
    return now - this.times[slot % this.maxKeys]! <= this.windowMs;
  }

  add(key: string, at: number): void {
    const slot = this.nextSlot++;
    const i = slot % this.maxKeys;
    const evicted = this.keys[i];
    // Forget the key that held this slot, unless it was added again since (a newer slot).
    if (evicted !== undefined && this.seen.get(evicted) === slot - this.maxKeys)
      this.seen.delete(evicted);
    this.keys[i] = key;
    this.times[i] = at;
    this.seen.set(key, slot);
  }

  get size(): number {
    return this.seen.size;
  }
}
