/**
 * Small dense linear algebra on row-major n×n Float64Arrays, for the ridge posteriors
 * (n = POLICY_CONTEXT_DIM, so O(n³) is a few thousand flops).
 */

/**
 * Lower Cholesky factor L of the symmetric matrix `a` (L Lᵀ = a) into `out` (upper part
 * zeroed). Returns false, leaving `out` unspecified, when `a` is not positive definite.
 */
export function cholesky(a: Float64Array, n: number, out: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= out[i * n + k]! * out[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return false;
        out[i * n + i] = Math.sqrt(s);
      } else {
        out[i * n + j] = s / out[j * n + j]!;
      }
    }
    for (let j = i + 1; j < n; j++) out[i * n + j] = 0;
  }
  return true;
}

/**
 * Cholesky factor of `a`, adding the smallest jitter δ·I (δ from 1e-12 of the mean diagonal,
 * growing tenfold) that makes it factorable: rounding can leave an update-maintained
 * covariance a hair short of positive definite. Returns the jitter used.
 */
export function choleskyWithJitter(a: Float64Array, n: number, out: Float64Array): number {
  if (cholesky(a, n, out)) return 0;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Math.abs(a[i * n + i]!);
  const base = trace > 0 ? trace / n : 1;
  const work = new Float64Array(a);
  for (let delta = base * 1e-12; delta < base * 1e3; delta *= 10) {
    for (let i = 0; i < n; i++) work[i * n + i] = a[i * n + i]! + delta;
    if (cholesky(work, n, out)) return delta;
  }
  throw new Error('matrix is too far from positive definite to factor');
}

/** Inverse of the symmetric positive-definite `a` into `out`; false when `a` is not SPD. */
export function invertSpd(a: Float64Array, n: number, out: Float64Array): boolean {
  const l = new Float64Array(n * n);
  if (!cholesky(a, n, l)) return false;
  // M = L⁻¹ (lower triangular) by forward substitution, column by column.
  const m = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    m[j * n + j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * n + k]! * m[k * n + j]!;
      m[i * n + j] = s / l[i * n + i]!;
    }
  }
  // a⁻¹ = Mᵀ M, symmetric by construction.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += m[k * n + i]! * m[k * n + j]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return true;
}

/** xᵀ M x for a symmetric row-major M. */
export function quadraticForm(m: Float64Array, x: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    let row = 0;
    for (let j = 0; j < n; j++) row += m[i * n + j]! * x[j]!;
    s += xi * row;
  }
  return s;
}
