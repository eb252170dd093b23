import fc from 'fast-check';
import { HourBuckets } from './hour-buckets';

/** The dense reference: every hour ever given a non-zero amount, all its fields. */
class DenseBuckets {
  readonly hours = new Map<number, number[]>();
  constructor(readonly fields: number) {}
  add(hour: number, amounts: readonly number[]): void {
    if (amounts.every((a) => a === 0)) return;
    const row = this.hours.get(hour) ?? new Array<number>(this.fields).fill(0);
    amounts.forEach((a, f) => (row[f]! += a));
    this.hours.set(hour, row);
  }
  prune(minHour: number): void {
    for (const h of [...this.hours.keys()]) if (h < minHour) this.hours.delete(h);
  }
  inRange(from: number, to: number): [number, number[]][] {
    return [...this.hours].filter(([h]) => h >= from && h <= to).sort((a, b) => a[0] - b[0]);
  }
}

describe('HourBuckets', () => {
  it('sums a field over an hour range whatever order the hours arrive in', () => {
    const b = new HourBuckets(2);
    b.add(10, [1, 5]);
    b.add(7, [2]);
    b.add(12, [4, 1]);
    b.add(10, [1]);
    b.add(9, [8]);
    expect(b.size).toBe(4);
    expect(b.sum(0, 9, 12)).toBe(14);
    expect(b.sum(0, 0, 100)).toBe(16);
    expect(b.sum(1, 10, 10)).toBe(5);
    expect(b.sum(0, 11, 11)).toBe(0);
  });

  it('decays each hour by its age relative to the end of the range', () => {
    const b = new HourBuckets(1);
    b.add(100, [8]);
    b.add(76, [8]);
    const w = Float64Array.from({ length: 200 }, (_, k) => 2 ** (-k / 24));
    expect(b.decayedBy(0, 0, 100, w)).toBeCloseTo(8 + 4, 12);
    expect(b.decayedBy(0, 0, 124, w)).toBeCloseTo(4 + 2, 12);
    expect(b.decayedBy(0, 0, 99, w)).toBeCloseTo(8 * 2 ** (-23 / 24), 12);
    expect(b.decayedBy(0, 90, 100, w)).toBeCloseTo(8, 12); // the window leaves hour 76 out
  });

  it('drops old hours on prune and keeps the rest intact', () => {
    const b = new HourBuckets(2);
    for (let h = 0; h < 50; h++) b.add(h, [h, 1]);
    b.prune(45);
    expect(b.size).toBe(5);
    expect(b.sum(0, 0, 100)).toBe(45 + 46 + 47 + 48 + 49);
    expect(b.sum(1, 0, 100)).toBe(5);
    b.add(44, [1, 1]);
    expect(b.sum(0, 44, 44)).toBe(1);
  });

  it('visits hours in ascending order', () => {
    const b = new HourBuckets(2);
    b.add(5, [1, 2]);
    b.add(3, [3, 4]);
    const seen: [number, number][] = [];
    b.forEachTotal([0, 1], 0, 10, (h, t) => seen.push([h, t]));
    expect(seen).toEqual([
      [3, 7],
      [5, 3],
    ]);
  });

  it('answers as a dense table would, for any adds and prunes (property)', () => {
    const fields = 13;
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        hour: fc.integer({ min: 0, max: 60 }),
        amounts: fc.array(
          fc.oneof(
            fc.constant(0),
            fc.integer({ min: -2, max: 2 }),
            fc.integer({ min: -3, max: 50 }),
          ),
          { maxLength: fields, size: 'max' },
        ),
      }),
      fc.record({
        kind: fc.constant('prune' as const),
        hour: fc.integer({ min: -10, max: 70 }),
      }),
    );
    fc.assert(
      fc.property(
        // Hours relative to a base: around now, or around the epoch (negative hours too).
        fc.constantFrom(490_000, -30),
        fc.array(op, { maxLength: 80, size: 'max' }),
        fc.uniqueArray(fc.integer({ min: 0, max: fields - 1 }), { maxLength: 4 }),
        fc.integer({ min: -10, max: 70 }),
        fc.integer({ min: 0, max: 80 }),
        (base, ops, summed, fromOffset, span) => {
          const from = base + fromOffset;
          const sparse = new HourBuckets(fields);
          const dense = new DenseBuckets(fields);
          for (const o of ops)
            if (o.kind === 'add') {
              sparse.add(base + o.hour, o.amounts);
              dense.add(base + o.hour, o.amounts);
            } else {
              sparse.prune(base + o.hour);
              dense.prune(base + o.hour);
            }
          const to = from + span;
          const rows = dense.inRange(from, to);
          expect(sparse.size).toBe(dense.hours.size);
          const w = Float64Array.from({ length: 100 }, (_, k) => 2 ** (-k / 24));
          const all = sparse.sumsInto(from, to, new Float64Array(fields).fill(7));
          for (let field = 0; field < fields; field++) {
            expect(all[field]).toBe(sparse.sum(field, from, to));
            expect(sparse.sum(field, from, to)).toBe(rows.reduce((s, [, r]) => s + r[field]!, 0));
            expect(sparse.decayedBy(field, from, to, w)).toBeCloseTo(
              rows.reduce((s, [h, r]) => s + r[field]! * w[to - h]!, 0),
              9,
            );
          }
          const seen: [number, number][] = [];
          sparse.forEachTotal(summed, from, to, (h, t) => seen.push([h, t]));
          // An hour once given a non-zero amount stays (also if its values cancelled out).
          const expected = rows.map(([h, r]) => [h, summed.reduce((s, f) => s + r[f]!, 0)]);
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 500, seed: 11 },
    );
  });

  it('holds hours before the epoch as well', () => {
    const b = new HourBuckets(2);
    b.add(-3, [1, 2]);
    b.add(-1, [4]);
    b.add(2, [8, 1]);
    expect(b.sum(0, -3, 2)).toBe(13);
    expect(b.sum(1, -5, -1)).toBe(2);
    const seen: [number, number][] = [];
    b.forEachTotal([0, 1], -10, 10, (h, t) => seen.push([h, t]));
    expect(seen).toEqual([
      [-3, 3],
      [-1, 4],
      [2, 9],
    ]);
    b.prune(-1);
    expect(b.size).toBe(2);
  });

  it('refuses hours and amounts it cannot hold', () => {
    const b = new HourBuckets(2);
    expect(() => b.add(-(2 ** 27) - 1, [1])).toThrow(RangeError);
    expect(() => b.add(NaN, [1])).toThrow(RangeError);
    expect(() => b.add(1.5, [1])).toThrow(RangeError);
    expect(() => b.add(2 ** 27, [1])).toThrow(RangeError);
    expect(() => b.add(1, [1, 2, 3])).toThrow(RangeError);
    expect(() => new HourBuckets(17)).toThrow(RangeError);
  });
});
