import { RidgeArmPosterior, type RidgeArmSnapshot } from './linear-posterior';
import { PolicyException } from './policy.exception';
import { seededRng } from './rng';
import { Sampler } from './sampling';

const D = 5;

/** Random contexts and noisy rewards from a known θ. */
function synthetic(n: number, theta: readonly number[], noise: number, seed = 1) {
  const s = new Sampler(seededRng(seed));
  return Array.from({ length: n }, () => {
    const x = Float64Array.from({ length: D }, () => s.normal());
    const r = x.reduce((acc, xi, i) => acc + xi * theta[i]!, 0) + noise * s.normal();
    return { x, r };
  });
}

/** Gauss–Jordan inverse with partial pivoting: independent of the code under test. */
function directInverse(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    m[col] = m[col]!.map((v) => v / p);
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]!;
      m[r] = m[r]!.map((v, j) => v - f * m[col]![j]!);
    }
  }
  return m.map((row) => row.slice(n));
}

describe('RidgeArmPosterior', () => {
  const theta = [1.5, -2, 0.5, 0, 3];

  it('converges to the true θ on synthetic data', () => {
    const p = new RidgeArmPosterior(D, 1);
    for (const { x, r } of synthetic(5000, theta, 0.5)) p.update(x, r);
    expect(p.count).toBe(5000);
    const mean = p.mean();
    // Standard error ≈ 0.5/√5000 ≈ 0.007 per coordinate.
    theta.forEach((t, i) => expect(Math.abs(mean[i]! - t)).toBeLessThan(0.04));
  });

  it('keeps A⁻¹ equal to a direct inverse of λI + Σ x xᵀ after many updates', () => {
    const lambda = 2;
    const p = new RidgeArmPosterior(D, lambda);
    const a = Array.from({ length: D }, (_, i) =>
      Array.from({ length: D }, (_, j) => (i === j ? lambda : 0)),
    );
    // More updates than the periodic refresh, so both paths are exercised.
    for (const { x, r } of synthetic(3000, theta, 1, 2)) {
      p.update(x, r);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) a[i]![j]! += x[i]! * x[j]!;
    }
    const expected = directInverse(a);
    const actual = p.inverseGram();
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        expect(Math.abs(actual[i * D + j]! - expected[i]![j]!)).toBeLessThan(1e-8);
      }
    }
    const x = Float64Array.from([1, -1, 2, 0.5, 0]);
    const direct = expected.reduce(
      (s, row, i) => s + x[i]! * row.reduce((t, v, j) => t + v * x[j]!, 0),
      0,
    );
    expect(p.variance(x)).toBeCloseTo(direct, 12);
  });

  it('draws θ around θ̂ with covariance v² A⁻¹', () => {
    const p = new RidgeArmPosterior(D, 1);
    for (const { x, r } of synthetic(40, theta, 1, 3)) p.update(x, r);
    const v = 2;
    const n = 20_000;
    const rng = seededRng(4);
    const mean = p.mean();
    const cov = p.inverseGram().map((c) => c * v * v);
    const sum = new Float64Array(D);
    const sumSq = new Float64Array(D * D);
    const out = new Float64Array(D);
    for (let k = 0; k < n; k++) {
      p.sample(rng, v, out);
      for (let i = 0; i < D; i++) {
        sum[i] = sum[i]! + out[i]!;
        for (let j = 0; j < D; j++) sumSq[i * D + j] = sumSq[i * D + j]! + out[i]! * out[j]!;
      }
    }
    for (let i = 0; i < D; i++) {
      const m = sum[i]! / n;
      expect(Math.abs(m - mean[i]!)).toBeLessThan(5 * Math.sqrt(cov[i * D + i]! / n));
      for (let j = 0; j < D; j++) {
        const c = sumSq[i * D + j]! / n - (sum[i]! / n) * (sum[j]! / n);
        // Var of a sample covariance of normals: (Σᵢᵢ Σⱼⱼ + Σᵢⱼ²)/n.
        const se = Math.sqrt((cov[i * D + i]! * cov[j * D + j]! + cov[i * D + j]! ** 2) / n);
        expect(Math.abs(c - cov[i * D + j]!)).toBeLessThan(5 * se);
      }
    }
  });

  it('recomputes its sampling factor after an update', () => {
    const p = new RidgeArmPosterior(2, 1);
    const before = p.sample(seededRng(1), 1);
    for (let k = 0; k < 100; k++) p.update(Float64Array.from([1, 0]), 1);
    const after = p.sample(seededRng(1), 1);
    // Same normal draws, but the first coordinate is now pinned near 1 with sd ≈ 0.1.
    expect(Math.abs(after[0]! - 1)).toBeLessThan(Math.abs(before[0]!) / 5 + 0.05);
    expect(after[1]).toBeCloseTo(before[1]!, 12);
  });

  it('hands out a copy of θ̂', () => {
    const p = new RidgeArmPosterior(2, 1);
    p.update(Float64Array.from([1, 0]), 4);
    const mean = p.mean();
    mean[0] = 100;
    expect(p.mean()[0]).toBeCloseTo(2, 12);
    expect(p.meanDot(Float64Array.from([1, 1]))).toBeCloseTo(2, 12);
  });

  it('round-trips through a JSON snapshot', () => {
    const p = new RidgeArmPosterior(D, 0.5);
    for (const { x, r } of synthetic(50, theta, 1, 5)) p.update(x, r);
    const restored = RidgeArmPosterior.fromJSON(JSON.parse(JSON.stringify(p)) as RidgeArmSnapshot);
    expect(restored.count).toBe(50);
    expect(restored.lambda).toBe(0.5);
    const x = Float64Array.from([0.3, 1, -1, 2, 0]);
    expect(restored.variance(x)).toBeCloseTo(p.variance(x), 12);
    Array.from(restored.mean()).forEach((m, i) => expect(m).toBeCloseTo(p.mean()[i]!, 10));
  });

  it('builds from summed statistics, so disjoint reward streams combine by adding sums', () => {
    const data = synthetic(200, theta, 1, 6);
    const whole = new RidgeArmPosterior(D, 1);
    const first = new RidgeArmPosterior(D, 1);
    const second = new RidgeArmPosterior(D, 1);
    data.forEach(({ x, r }, k) => {
      whole.update(x, r);
      (k % 2 === 0 ? first : second).update(x, r);
    });
    const a = first.toJSON();
    const b = second.toJSON();
    const merged = RidgeArmPosterior.fromSums(
      D,
      1,
      a.xxSum.map((v, i) => v + b.xxSum[i]!),
      a.rxSum.map((v, i) => v + b.rxSum[i]!),
      a.count + b.count,
    );
    expect(merged.count).toBe(200);
    Array.from(merged.mean()).forEach((m, i) => expect(m).toBeCloseTo(whole.mean()[i]!, 10));
    const wholeInv = whole.inverseGram();
    merged.inverseGram().forEach((v, i) => expect(v).toBeCloseTo(wholeInv[i]!, 12));
  });

  it('refuses contexts of another dimension, non-finite rewards and bad snapshots', () => {
    const p = new RidgeArmPosterior(3, 1);
    expect(() => p.update(new Float64Array(2), 1)).toThrow(PolicyException);
    expect(() => p.update(new Float64Array(3), Number.NaN)).toThrow(PolicyException);
    expect(() => p.variance(new Float64Array(4))).toThrow(PolicyException);
    expect(() => new RidgeArmPosterior(3, 0)).toThrow(PolicyException);
    expect(() => RidgeArmPosterior.fromSums(2, 1, [1, 0, 0], [0, 0])).toThrow(PolicyException);
    expect(() => RidgeArmPosterior.fromSums(1, 1, [-5], [0])).toThrow(PolicyException);
  });
});
