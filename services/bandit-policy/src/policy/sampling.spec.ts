import { PolicyException } from './policy.exception';
import { seededRng } from './rng';
import { BetaDistribution, Sampler, sampleBeta, sampleGamma, sampleNormal } from './sampling';

const N = 20_000;

interface Moments {
  mean: number;
  variance: number;
  /** Fourth central moment. */
  m4: number;
}

function moments(xs: readonly number[]): Moments {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  let m2 = 0;
  let m4 = 0;
  for (const x of xs) {
    const d = (x - mean) ** 2;
    m2 += d;
    m4 += d * d;
  }
  return { mean, variance: m2 / (xs.length - 1), m4: m4 / xs.length };
}

/** Checks the sample mean and variance against theory, 5 standard errors wide. */
function expectMoments(xs: readonly number[], mean: number, variance: number): void {
  const m = moments(xs);
  const n = xs.length;
  expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / n));
  // Var(s²) ≈ (μ₄ − σ⁴)/n, with μ₄ estimated from the sample.
  const seVariance = Math.sqrt(Math.max(m.m4 - m.variance ** 2, 0) / n);
  expect(Math.abs(m.variance - variance)).toBeLessThan(5 * seVariance);
}

function draws(n: number, draw: () => number): number[] {
  return Array.from({ length: n }, draw);
}

describe('Sampler', () => {
  it('draws standard normals with mean 0, variance 1 and kurtosis 3', () => {
    const s = new Sampler(seededRng(11));
    const xs = draws(N, () => s.normal());
    expectMoments(xs, 0, 1);
    const m = moments(xs);
    expect(Math.abs(m.m4 / m.variance ** 2 - 3)).toBeLessThan(0.2);
    expect(Math.abs(xs.filter((x) => x < -1.96).length / N - 0.025)).toBeLessThan(
      5 * Math.sqrt((0.025 * 0.975) / N),
    );
  });

  it.each([0.3, 1, 2.5, 50])('draws Gamma(%p) with mean and variance equal to its shape', (k) => {
    const s = new Sampler(seededRng(Math.round(k * 1000)));
    const xs = draws(N, () => s.gamma(k));
    expect(xs.every((x) => x >= 0)).toBe(true);
    expectMoments(xs, k, k);
  });

  it('scales gamma draws', () => {
    const s = new Sampler(seededRng(4));
    expectMoments(
      draws(N, () => s.gamma(3, 10)),
      30,
      300,
    );
  });

  it.each([
    [0.5, 0.5],
    [2, 5],
    [30, 300],
    [0.2, 3],
    [1, 1],
  ])('draws Beta(%p, %p) with the mean and variance of theory', (a, b) => {
    const s = new Sampler(seededRng(Math.round(a * 100 + b)));
    const xs = draws(N, () => s.beta(a, b));
    expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
    expectMoments(xs, a / (a + b), (a * b) / ((a + b) ** 2 * (a + b + 1)));
  });

  it('gives the same beta variates through a prepared BetaDistribution', () => {
    const a = new Sampler(seededRng(8));
    const b = new Sampler(seededRng(8));
    const dist = new BetaDistribution(12, 90);
    expect(dist.mean).toBeCloseTo(12 / 102, 15);
    expect(draws(100, () => dist.draw(a))).toEqual(draws(100, () => b.beta(12, 90)));
  });

  it('refuses shapes that are not positive and finite', () => {
    const s = new Sampler(seededRng(1));
    expect(() => s.gamma(0)).toThrow(PolicyException);
    expect(() => s.gamma(Number.NaN)).toThrow(PolicyException);
    expect(() => s.beta(1, -1)).toThrow(PolicyException);
    expect(() => new BetaDistribution(Infinity, 1)).toThrow(PolicyException);
  });

  it('offers one-off draws as plain functions', () => {
    const rng = seededRng(2);
    expect(Number.isFinite(sampleNormal(rng))).toBe(true);
    expect(sampleGamma(rng, 2)).toBeGreaterThan(0);
    const b = sampleBeta(rng, 2, 2);
    expect(b).toBeGreaterThan(0);
    expect(b).toBeLessThan(1);
  });
});
