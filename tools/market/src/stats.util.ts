/** A point estimate with a confidence interval. */
export interface Interval {
  readonly value: number;
  readonly lo: number;
  readonly hi: number;
}

/** z of a two-sided 95 % normal interval. */
export const Z95 = 1.959963984540054;

/** Running n, Σx, Σx² of a sample. */
export class Moments {
  n = 0;
  sum = 0;
  sumSq = 0;

  add(x: number): void {
    this.n++;
    this.sum += x;
    this.sumSq += x * x;
  }

  get mean(): number {
    return this.n === 0 ? 0 : this.sum / this.n;
  }

  /** Unbiased sample variance (0 below two observations). */
  get variance(): number {
    if (this.n < 2) return 0;
    return Math.max(0, (this.sumSq - (this.sum * this.sum) / this.n) / (this.n - 1));
  }
}

/**
 * Difference of means a − b with a 95 % Welch (normal) interval; for 0/1 samples this is
 * the Wald interval of a difference of proportions. NaN bounds when a side is empty.
 */
export function differenceOfMeans(a: Moments, b: Moments): Interval {
  if (a.n === 0 || b.n === 0) return { value: NaN, lo: NaN, hi: NaN };
  const value = a.mean - b.mean;
  const se = Math.sqrt(a.variance / a.n + b.variance / b.n);
  return { value, lo: value - Z95 * se, hi: value + Z95 * se };
}

/** 95 % Wald interval of a binomial proportion k / n. */
export function proportion(k: number, n: number): Interval {
  const p = n === 0 ? 0 : k / n;
  const se = n === 0 ? 0 : Math.sqrt((p * (1 - p)) / n);
  return { value: p, lo: p - Z95 * se, hi: p + Z95 * se };
}
