export const HOUR_MS = 3_600_000;

/** The hour bucket (hours since the Unix epoch, UTC) of an instant in ms. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}

/** Bits of a key that hold the field: a key is hour × FIELD_SPAN + field. */
const FIELD_BITS = 4;
const FIELD_SPAN = 1 << FIELD_BITS;
const FIELD_MASK = FIELD_SPAN - 1;
/** Hours (since the epoch) a key can hold and stay a 32-bit integer: ±2^27 h, ±15,000 years. */
const MAX_HOUR = 2 ** (31 - FIELD_BITS) - 1;
const MIN_HOUR = -(2 ** (31 - FIELD_BITS));

/**
 * Sparse hourly counters of one entity (a user, an item, an offer), `fields` numbers per
 * hour (at most 16). Only the non-zero values of active hours take room: each is a key
 * (hour × 16 + field, a small integer: 4 bytes in a packed array) and its value (8 bytes),
 * in two plain arrays sorted by key, so one hour's fields are adjacent and hours ascend.
 * Most hours of most users hold one or two non-zero fields of the 13 (a view is `views`
 * alone), and there is no ArrayBuffer per entity: against the dense hours × fields
 * Float64Array this replaced, about half the memory for a user with 60 active hours and
 * 40 % less for one with a few events (measured with the arrays' growth slack). Buckets
 * older than the lookback are pruned on write, so memory follows the entity's activity,
 * not time.
 */
export class HourBuckets {
  private readonly keys: number[] = [];
  private readonly vals: number[] = [];

  constructor(readonly fields: number) {
    if (!Number.isInteger(fields) || fields < 1 || fields > FIELD_SPAN)
      throw new RangeError(`HourBuckets holds 1..${FIELD_SPAN} fields, not ${fields}`);
  }

  /** Hours holding at least one non-zero value. */
  get size(): number {
    let n = 0;
    let last = NaN;
    for (const k of this.keys) {
      const h = k >> FIELD_BITS;
      if (h !== last) n++;
      last = h;
    }
    return n;
  }

  /** Index of the first key ≥ `key`. */
  private lowerBound(key: number): number {
    const ks = this.keys;
    let hi = ks.length;
    // Appends are the common case (events arrive roughly in time order).
    if (hi === 0 || ks[hi - 1]! < key) return hi;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ks[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds `amounts` (one per field; missing = 0) to `hour` (hours since the Unix epoch). */
  add(hour: number, amounts: readonly number[]): void {
    if (!Number.isInteger(hour) || hour < MIN_HOUR || hour > MAX_HOUR)
      throw new RangeError(`hour ${hour} is outside ${MIN_HOUR}..${MAX_HOUR}`);
    if (amounts.length > this.fields)
      throw new RangeError(`${amounts.length} amounts for ${this.fields} fields`);
    const ks = this.keys;
    const vs = this.vals;
    const base = hour << FIELD_BITS;
    let i = this.lowerBound(base);
    for (let f = 0; f < amounts.length; f++) {
      const a = amounts[f]!;
      if (a === 0) continue;
      const key = base + f;
      while (i < ks.length && ks[i]! < key) i++;
      if (ks[i] === key) vs[i]! += a;
      else if (i === ks.length) {
        ks.push(key);
        vs.push(a);
      } else {
        ks.splice(i, 0, key);
        vs.splice(i, 0, a);
      }
      i++;
    }
  }

  /** Drops buckets before `minHour`. */
  prune(minHour: number): void {
    const n = this.lowerBound(Math.min(Math.max(minHour, MIN_HOUR), MAX_HOUR + 1) * FIELD_SPAN);
    if (n === 0) return;
    const ks = this.keys;
    const vs = this.vals;
    ks.copyWithin(0, n);
    vs.copyWithin(0, n);
    ks.length -= n;
    vs.length -= n;
  }

  /** The index of the first key of `fromHour` or later and the end of `toHour`'s keys. */
  private span(fromHour: number, toHour: number): [number, number] {
    return [this.lowerBound(fromHour * FIELD_SPAN), this.lowerBound((toHour + 1) * FIELD_SPAN)];
  }

  /** Sum of `field` over hours in [fromHour, toHour]. */
  sum(field: number, fromHour: number, toHour: number): number {
    const [lo, hi] = this.span(fromHour, toHour);
    let s = 0;
    for (let i = lo; i < hi; i++) if ((this.keys[i]! & FIELD_MASK) === field) s += this.vals[i]!;
    return s;
  }

  /** Every field's sum over hours in [fromHour, toHour] into `out` (out[field], overwritten). */
  sumsInto(fromHour: number, toHour: number, out: Float64Array): Float64Array {
    out.fill(0);
    const [lo, hi] = this.span(fromHour, toHour);
    for (let i = lo; i < hi; i++) out[this.keys[i]! & FIELD_MASK]! += this.vals[i]!;
    return out;
  }

  /**
   * Σ value × weights[toHour − hour] over hours in [fromHour, toHour]: exponential decay
   * with `weights[k]` = 2^(−k / half-life), precomputed once (toHour − fromHour < length).
   */
  decayedBy(field: number, fromHour: number, toHour: number, weights: Float64Array): number {
    const [lo, hi] = this.span(fromHour, toHour);
    let s = 0;
    for (let i = lo; i < hi; i++) {
      const k = this.keys[i]!;
      if ((k & FIELD_MASK) === field) s += this.vals[i]! * weights[toHour - (k >> FIELD_BITS)]!;
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

  /**
   * Sum of all fields `fieldsToSum` per hour, as above: once per hour that holds any value,
   * in ascending order (0 when none of those fields is set there).
   */
  forEachTotal(
    fieldsToSum: readonly number[],
    fromHour: number,
    toHour: number,
    fn: (hour: number, total: number) => void,
  ): void {
    let mask = 0;
    for (const f of fieldsToSum) mask |= 1 << f;
    const [lo, hi] = this.span(fromHour, toHour);
    if (lo >= hi) return;
    let hour = this.keys[lo]! >> FIELD_BITS;
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const k = this.keys[i]!;
      const h = k >> FIELD_BITS;
      if (h !== hour) {
        fn(hour, total);
        hour = h;
        total = 0;
      }
      if ((mask >> (k & FIELD_MASK)) & 1) total += this.vals[i]!;
    }
    fn(hour, total);
  }
}
