import { HourBuckets } from './hour-buckets';

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
});
