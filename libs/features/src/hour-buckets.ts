export const HOUR_MS = 3_600_000;

/** The hour bucket (hours since the Unix epoch, UTC) of an instant in ms. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}

/**
 * Sparse hourly counters of one entity (a user, an item, an offer): only hours with
 * activity take room, `fields` numbers each, hours kept sorted. Buckets older than the
 * lookback are pruned on write, so memory follows the entity's active hours, not time.
 */
export class HourBuckets {
  private hours: number[] = [];
  private values: Float64Array;

  constructor(readonly fields: number) {
    this.values = new Float64Array(fields * 2);
  }

  get size(): number {
    return this.hours.length;
  }

  private slot(hour: number): number {
    const hs = this.hours;
    // Appends are the common case (events arrive roughly in time order).
    let lo = 0;
    let hi = hs.length;
    if (hi > 0 && hs[hi - 1]! < hour) lo = hi;
    else
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (hs[mid]! < hour) lo = mid + 1;
        else hi = mid;
      }
    if (hs[lo] === hour) return lo;
    const need = (hs.length + 1) * this.fields;
    if (need > this.values.length) {
      const grown = new Float64Array(Math.max(need, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    const f = this.fields;
    this.values.copyWithin((lo + 1) * f, lo * f, hs.length * f);
    this.values.fill(0, lo * f, (lo + 1) * f);
    hs.splice(lo, 0, hour);
    return lo;
  }

  /** Adds `amounts` (one per field; missing = 0) to `hour`. */
  add(hour: number, amounts: readonly number[]): void {
    const i = this.slot(hour) * this.fields;
    for (let f = 0; f < amounts.length; f++) this.values[i + f]! += amounts[f]!;
  }

  /** Drops buckets before `minHour`. */
  prune(minHour: number): void {
    let n = 0;
    while (n < this.hours.length && this.hours[n]! < minHour) n++;
    if (n === 0) return;
    this.hours.splice(0, n);
    this.values.copyWithin(0, n * this.fields);
    this.values.fill(0, this.hours.length * this.fields);
  }

  /** Sum of `field` over hours in [fromHour, toHour]. */
  sum(field: number, fromHour: number, toHour: number): number {
    let s = 0;
    const hs = this.hours;
    for (let i = hs.length - 1; i >= 0; i--) {
      const h = hs[i]!;
      if (h > toHour) continue;
      if (h < fromHour) break;
      s += this.values[i * this.fields + field]!;
    }
    return s;
  }

  /**
   * Σ value × weights[toHour − hour] over hours in [fromHour, toHour]: exponential decay
   * with `weights[k]` = 2^(−k / half-life), precomputed once (toHour − fromHour < length).
   */
  decayedBy(field: number, fromHour: number, toHour: number, weights: Float64Array): number {
    let s = 0;
    const hs = this.hours;
    for (let i = hs.length - 1; i >= 0; i--) {
      const h = hs[i]!;
      if (h > toHour) continue;
      if (h < fromHour) break;
      s += this.values[i * this.fields + field]! * weights[toHour - h]!;
    }
    return s;
  }

  /** Calls `fn` for each hour in [fromHour, toHour] with the value of `field` there. */
  forEach(
    field: number,
    fromHour: number,
    toHour: number,
    fn: (hour: number, value: number) => void,
  ): void {
    this.forEachTotal([field], fromHour, toHour, fn);
  }

  /** Sum of all fields `fieldsToSum` per hour, as above. */
  forEachTotal(
    fieldsToSum: readonly number[],
    fromHour: number,
    toHour: number,
    fn: (hour: number, total: number) => void,
  ): void {
    const hs = this.hours;
    for (let i = 0; i < hs.length; i++) {
      const h = hs[i]!;
      if (h < fromHour) continue;
      if (h > toHour) break;
      let t = 0;
      for (const f of fieldsToSum) t += this.values[i * this.fields + f]!;
      fn(h, t);
    }
  }
}
