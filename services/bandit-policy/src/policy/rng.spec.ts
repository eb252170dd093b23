import { PolicyException } from './policy.exception';
import { childRng, forkRng, seededRng, Sfc32Rng } from './rng';

function take(rng: { next(): number }, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

describe('seededRng', () => {
  it('replays the same stream for the same seed, given as a number or a bigint', () => {
    expect(take(seededRng(42), 100)).toEqual(take(seededRng(42n), 100));
    expect(take(seededRng(-1), 10)).toEqual(take(seededRng(0xffffffffffffffffn), 10));
  });

  it('gives unrelated streams for adjacent seeds', () => {
    const a = take(seededRng(1000), 20_000);
    const b = take(seededRng(1001), 20_000);
    let sab = 0;
    for (let i = 0; i < a.length; i++) sab += (a[i]! - 0.5) * (b[i]! - 0.5);
    // Correlation of independent uniforms: mean 0, sd 1/√n.
    const corr = sab / a.length / (1 / 12);
    expect(Math.abs(corr)).toBeLessThan(4 / Math.sqrt(a.length));
  });

  it('draws uniformly in [0, 1)', () => {
    const n = 64_000;
    const bins = new Array<number>(16).fill(0);
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const u of take(seededRng(7), n)) {
      bins[Math.floor(u * 16)]!++;
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    const expected = n / 16;
    const chi2 = bins.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 15 degrees of freedom: P(χ² > 40) ≈ 5e-4.
    expect(chi2).toBeLessThan(40);
  });

  it('emits 32-bit integers that use every bit', () => {
    const rng = new Sfc32Rng(3);
    let or = 0;
    let and = 0xffffffff;
    let valid = true;
    for (let i = 0; i < 1000; i++) {
      const v = rng.nextUint32();
      valid &&= Number.isInteger(v) && v >= 0 && v < 2 ** 32;
      or = (or | v) >>> 0;
      and = (and & v) >>> 0;
    }
    expect(valid).toBe(true);
    expect(or).toBe(0xffffffff);
    expect(and).toBe(0);
  });

  it('refuses seeds that are not safe integers', () => {
    expect(() => seededRng(1.5)).toThrow(PolicyException);
    expect(() => seededRng(2 ** 60)).toThrow(PolicyException);
  });
});

describe('childRng', () => {
  it('derives the same stream each time, distinct from the parent and from its siblings', () => {
    expect(take(childRng(9, 3), 50)).toEqual(take(childRng(9n, 3n), 50));
    const streams = [take(seededRng(9), 8), ...[0, 1, 2, 3].map((k) => take(childRng(9, k), 8))];
    expect(new Set(streams.map((s) => s.join(','))).size).toBe(streams.length);
    expect(take(childRng(10, 0), 8)).not.toEqual(take(childRng(9, 0), 8));
  });
});

describe('forkRng', () => {
  it('derives a reproducible stream from the parent and advances the parent', () => {
    const p1 = seededRng(5);
    const p2 = seededRng(5);
    expect(take(forkRng(p1), 20)).toEqual(take(forkRng(p2), 20));
    expect(p1.next()).toBe(p2.next());
    const parent = seededRng(5);
    const child = take(forkRng(parent), 20);
    expect(child).not.toEqual(take(seededRng(5), 20));
  });
});
