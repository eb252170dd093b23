import { cholesky, choleskyWithJitter, invertSpd, quadraticForm } from './matrix.util';

/** A random symmetric positive-definite n×n matrix, BᵀB + I. */
function spd(n: number, seed: number): Float64Array {
  let s = seed;
  const rand = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const b = Float64Array.from({ length: n * n }, rand);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let v = i === j ? 1 : 0;
      for (let k = 0; k < n; k++) v += b[k * n + i]! * b[k * n + j]!;
      a[i * n + j] = v;
    }
  }
  return a;
}

function multiply(a: Float64Array, b: Float64Array, n: number, transposeB = false): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += a[i * n + k]! * (transposeB ? b[j * n + k]! : b[k * n + j]!);
      out[i * n + j] = v;
    }
  }
  return out;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

describe('matrix utilities', () => {
  const n = 6;

  it('factors a positive-definite matrix as L Lᵀ with L lower triangular', () => {
    const a = spd(n, 3);
    const l = new Float64Array(n * n).fill(9);
    expect(cholesky(a, n, l)).toBe(true);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
    expect(maxAbsDiff(multiply(l, l, n, true), a)).toBeLessThan(1e-12);
  });

  it('refuses to factor a matrix that is not positive definite', () => {
    const a = Float64Array.from([1, 2, 2, 1]);
    expect(cholesky(a, 2, new Float64Array(4))).toBe(false);
    expect(invertSpd(a, 2, new Float64Array(4))).toBe(false);
  });

  it('inverts a positive-definite matrix', () => {
    const a = spd(n, 5);
    const inv = new Float64Array(n * n);
    expect(invertSpd(a, n, inv)).toBe(true);
    const identity = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
    expect(maxAbsDiff(multiply(a, inv, n), identity)).toBeLessThan(1e-12);
  });

  it('factors a singular covariance after adding a small jitter', () => {
    // Rank one: v vᵀ.
    const v = [1, 2, 3];
    const a = Float64Array.from({ length: 9 }, (_, k) => v[Math.floor(k / 3)]! * v[k % 3]!);
    const l = new Float64Array(9);
    const jitter = choleskyWithJitter(a, 3, l);
    expect(jitter).toBeGreaterThan(0);
    expect(jitter).toBeLessThan(1e-6);
    expect(maxAbsDiff(multiply(l, l, 3, true), a)).toBeLessThan(1e-5);
    expect(choleskyWithJitter(spd(3, 1), 3, l)).toBe(0);
  });

  it('computes xᵀ M x', () => {
    const m = Float64Array.from([2, 1, 1, 3]);
    expect(quadraticForm(m, Float64Array.from([1, 2]), 2)).toBe(2 + 2 * 2 + 3 * 4);
  });
});
