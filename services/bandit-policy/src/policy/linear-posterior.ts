import { choleskyWithJitter, invertSpd, quadraticForm } from './matrix.util';
import { PolicyErrorCode, PolicyException } from './policy.exception';
import { type LinearArmPosterior, type Rng } from './policy.types';
import { Sampler } from './sampling';

/**
 * The sufficient statistics of a ridge posterior, as stored in a snapshot. Updates only add
 * to them, so snapshots of disjoint reward streams combine by adding their sums.
 */
export interface RidgeArmSnapshot {
  readonly dim: number;
  readonly lambda: number;
  readonly count: number;
  /** Σ x xᵀ, row-major dim × dim. */
  readonly xxSum: readonly number[];
  /** Σ r x. */
  readonly rxSum: readonly number[];
}

/**
 * Sherman–Morrison accumulates rounding error slowly; re-inverting A from the exact sums
 * this often bounds it at O(d³)/1024 amortized per update.
 */
const REFRESH_EVERY = 1024;

function invalid(message: string): PolicyException {
  return new PolicyException(PolicyErrorCode.INVALID_ARGUMENT, message);
}

/**
 * Bayesian ridge regression for one arm: A = λI + Σ x xᵀ, b = Σ r x, θ̂ = A⁻¹ b. A⁻¹ is kept
 * by rank-one (Sherman–Morrison) updates so that an update and a score are O(d²); θ̂ and the
 * Cholesky factor of A⁻¹ (for sampling) are recomputed lazily after updates.
 */
export class RidgeArmPosterior implements LinearArmPosterior {
  private readonly xx: Float64Array;
  private readonly rx: Float64Array;
  private readonly ainv: Float64Array;
  private readonly theta: Float64Array;
  private readonly factor: Float64Array;
  private readonly scratch: Float64Array;
  private thetaStale = false;
  private factorStale = true;
  private n = 0;
  private updatesSinceRefresh = 0;

  /**
   * @param dim length of the context vectors
   * @param lambda ridge strength λ > 0 (the prior precision of θ)
   */
  constructor(
    readonly dim: number,
    readonly lambda = 1,
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw invalid(`dim must be a positive integer: ${dim}`);
    if (!(lambda > 0 && lambda < Infinity)) throw invalid(`lambda must be positive: ${lambda}`);
    this.xx = new Float64Array(dim * dim);
    this.rx = new Float64Array(dim);
    this.ainv = new Float64Array(dim * dim);
    this.theta = new Float64Array(dim);
    this.factor = new Float64Array(dim * dim);
    this.scratch = new Float64Array(dim);
    for (let i = 0; i < dim; i++) this.ainv[i * dim + i] = 1 / lambda;
  }

  /**
   * A posterior from summed statistics (e.g. aggregated from a reward table):
   * `xxSum` = Σ x xᵀ (row-major; symmetrized), `rxSum` = Σ r x, over `count` observations.
   */
  static fromSums(
    dim: number,
    lambda: number,
    xxSum: ArrayLike<number>,
    rxSum: ArrayLike<number>,
    count = 0,
  ): RidgeArmPosterior {
    const p = new RidgeArmPosterior(dim, lambda);
    if (xxSum.length !== dim * dim || rxSum.length !== dim) {
      throw invalid(`sums do not match dim ${dim}`);
    }
    if (!Number.isInteger(count) || count < 0) throw invalid(`count must be >= 0: ${count}`);
    for (let i = 0; i < dim * dim; i++) {
      const v = xxSum[i]!;
      if (!Number.isFinite(v)) throw invalid('xxSum has a non-finite entry');
      p.xx[i] = v;
    }
    for (let i = 0; i < dim; i++) {
      const v = rxSum[i]!;
      if (!Number.isFinite(v)) throw invalid('rxSum has a non-finite entry');
      p.rx[i] = v;
    }
    // Sums aggregated elsewhere (e.g. in SQL, in another order) may differ by rounding.
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j < i; j++) {
        const v = 0.5 * (p.xx[i * dim + j]! + p.xx[j * dim + i]!);
        p.xx[i * dim + j] = v;
        p.xx[j * dim + i] = v;
      }
    }
    p.n = count;
    p.refreshInverse();
    return p;
  }

  /** Restores a posterior saved by `toJSON()`. */
  static fromJSON(snapshot: RidgeArmSnapshot): RidgeArmPosterior {
    return RidgeArmPosterior.fromSums(
      snapshot.dim,
      snapshot.lambda,
      snapshot.xxSum,
      snapshot.rxSum,
      snapshot.count,
    );
  }

  get count(): number {
    return this.n;
  }

  /** Folds in one observation: reward `reward` after showing the arm in context `x`. */
  update(x: Float64Array, reward: number): void {
    const d = this.dim;
    this.checkContext(x);
    if (!Number.isFinite(reward)) throw invalid(`reward must be finite: ${reward}`);
    for (let i = 0; i < d; i++) {
      const xi = x[i]!;
      if (!Number.isFinite(xi)) throw invalid('context has a non-finite entry');
      this.rx[i] = this.rx[i]! + reward * xi;
      for (let j = 0; j < d; j++) this.xx[i * d + j] = this.xx[i * d + j]! + xi * x[j]!;
    }
    this.n++;
    this.thetaStale = true;
    this.factorStale = true;
    if (++this.updatesSinceRefresh >= REFRESH_EVERY) {
      this.refreshInverse();
      return;
    }
    // A⁻¹ ← A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x), written symmetric so it stays symmetric.
    const u = this.scratch;
    let denom = 1;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.ainv[i * d + j]! * x[j]!;
      u[i] = s;
      denom += x[i]! * s;
    }
    for (let i = 0; i < d; i++) {
      const ui = u[i]! / denom;
      for (let j = 0; j <= i; j++) {
        const v = this.ainv[i * d + j]! - ui * u[j]!;
        this.ainv[i * d + j] = v;
        this.ainv[j * d + i] = v;
      }
    }
  }

  /**
   * Changes the reward of an observation already folded in (a reward revised by a refund
   * or a late event): b += Δr·x. A does not depend on rewards, so this is exact.
   */
  adjustReward(x: Float64Array, delta: number): void {
    this.checkContext(x);
    if (!Number.isFinite(delta)) throw invalid(`reward change must be finite: ${delta}`);
    if (delta === 0) return;
    for (let i = 0; i < this.dim; i++) this.rx[i] = this.rx[i]! + delta * x[i]!;
    this.thetaStale = true;
  }

  /** θ̂ = A⁻¹ b (a copy). */
  mean(): Float64Array {
    return this.currentTheta().slice();
  }

  /** xᵀ θ̂ without copying θ̂. */
  meanDot(x: Float64Array): number {
    this.checkContext(x);
    const theta = this.currentTheta();
    let s = 0;
    for (let i = 0; i < this.dim; i++) s += theta[i]! * x[i]!;
    return s;
  }

  /** xᵀ A⁻¹ x. */
  variance(x: Float64Array): number {
    this.checkContext(x);
    return quadraticForm(this.ainv, x, this.dim);
  }

  /** A⁻¹ (a copy), the posterior covariance of θ up to the factor v². */
  inverseGram(): Float64Array {
    return this.ainv.slice();
  }

  /**
   * θ ~ N(θ̂, v² A⁻¹), as θ̂ + v·L·z with L Lᵀ = A⁻¹ and z standard normal; written into `out`
   * when given (no allocation).
   */
  sample(rng: Rng, v: number, out: Float64Array = new Float64Array(this.dim)): Float64Array {
    const d = this.dim;
    if (out.length !== d) throw invalid(`out must have length ${d}`);
    const theta = this.currentTheta();
    if (this.factorStale) {
      choleskyWithJitter(this.ainv, d, this.factor);
      this.factorStale = false;
    }
    const z = this.scratch;
    const sampler = new Sampler(rng);
    for (let i = 0; i < d; i++) z[i] = sampler.normal();
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j <= i; j++) s += this.factor[i * d + j]! * z[j]!;
      out[i] = theta[i]! + v * s;
    }
    return out;
  }

  /** The sufficient statistics, for a snapshot. */
  toJSON(): RidgeArmSnapshot {
    return {
      dim: this.dim,
      lambda: this.lambda,
      count: this.n,
      xxSum: Array.from(this.xx),
      rxSum: Array.from(this.rx),
    };
  }

  private checkContext(x: Float64Array): void {
    if (x.length !== this.dim) {
      throw invalid(`context has length ${x.length}, expected ${this.dim}`);
    }
  }

  private currentTheta(): Float64Array {
    if (this.thetaStale) {
      const d = this.dim;
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += this.ainv[i * d + j]! * this.rx[j]!;
        this.theta[i] = s;
      }
      this.thetaStale = false;
    }
    return this.theta;
  }

  private refreshInverse(): void {
    const d = this.dim;
    const a = this.xx.slice();
    for (let i = 0; i < d; i++) a[i * d + i] = a[i * d + i]! + this.lambda;
    if (!invertSpd(a, d, this.ainv)) throw invalid('λI + Σ x xᵀ is not positive definite');
    this.updatesSinceRefresh = 0;
    this.thetaStale = true;
    this.factorStale = true;
  }
}
