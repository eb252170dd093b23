/** Small numeric helpers for the OPE estimators (pure). */

/**
 * Quantile function of the standard normal (Acklam's rational approximation, relative
 * error below 1.2e-9: far below the sampling error of any estimate it is used for).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs p in (0, 1), got ${p}`);
  const pLow = 0.02425;
  if (p < pLow) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - pLow) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  const num =
    ((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r +
      1.38357751867269e2) *
      r -
      3.066479806614716e1) *
      r +
    2.506628277459239;
  const den =
    ((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r +
      6.680131188771972e1) *
      r -
      1.328068155288572e1) *
      r +
    1;
  return (num * q) / den;
}

function tail(q: number): number {
  const num =
    ((((-7.784894002430293e-3 * q - 3.223964580411365e-1) * q - 2.400758277161838) * q -
      2.549732539343734) *
      q +
      4.374664141464968) *
      q +
    2.938163982698783;
  const den =
    (((7.784695709041462e-3 * q + 3.224671290700398e-1) * q + 2.445134137142996) * q +
      3.754408661907416) *
      q +
    1;
  return num / den;
}

/** Sum of an array. */
export function sum(xs: Float64Array): number {
  // Index loops, not for-of, here and below: iterating a typed array is several times slower.
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] ?? 0;
  return s;
}

/** Sample variance (n − 1 in the denominator); Infinity below two values. */
export function sampleVariance(xs: Float64Array): number {
  const n = xs.length;
  if (n < 2) return Infinity;
  const mean = sum(xs) / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((xs[i] ?? 0) - mean) ** 2;
  return ss / (n - 1);
}

/** Quantile of an ascending-sorted sample, interpolating linearly between order statistics. */
export function sortedQuantile(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (h - lo) * (b - a);
}
