import { PolicyErrorCode, PolicyException } from './policy.exception';
import { type Rng } from './policy.types';

// Module bindings rather than `Math.x` in the loops below: inside a vm context (jest) every
// global lookup goes through an interceptor and costs ~300 ns, ten times the variate itself.
const { exp, log, pow, sqrt } = Math;

function checkShape(shape: number, what: string): void {
  // Written so that NaN fails too: Marsaglia–Tsang would loop forever on it.
  if (!(shape > 0 && shape < Infinity)) {
    throw new PolicyException(
      PolicyErrorCode.INVALID_ARGUMENT,
      `${what} must be positive and finite, got ${shape}`,
    );
  }
}

/**
 * Random variates drawn from one `Rng`. Marsaglia's polar method yields normals in pairs;
 * the sampler keeps the second for the next call, which halves the cost of the normals
 * (and of the gammas built on them) in Monte-Carlo loops. The sequence of variates is a
 * pure function of the generator's stream and the calls made.
 */
export class Sampler {
  private spare = 0;
  private hasSpare = false;

  constructor(readonly rng: Rng) {}

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.rng.next();
  }

  /** Standard normal N(0, 1) by Marsaglia's polar method. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.rng.next() - 1;
      v = 2 * this.rng.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = sqrt((-2 * log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /**
   * Gamma(shape, scale). Marsaglia–Tsang (2000) for shape ≥ 1; below 1, the boost
   * Gamma(a) = Gamma(a + 1)·U^(1/a).
   */
  gamma(shape: number, scale = 1): number {
    checkShape(shape, 'gamma shape');
    if (shape >= 1) return scale * this.gammaAtLeastOne(shape);
    return scale * this.gammaAtLeastOne(shape + 1) * pow(1 - this.rng.next(), 1 / shape);
  }

  /**
   * Beta(alpha, beta) as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). When a shape is
   * below 1 both gammas can underflow to 0, so that case works with their logarithms.
   */
  beta(alpha: number, beta: number): number {
    checkShape(alpha, 'beta alpha');
    checkShape(beta, 'beta beta');
    if (alpha >= 1 && beta >= 1) {
      const x = this.gammaAtLeastOne(alpha);
      return x / (x + this.gammaAtLeastOne(beta));
    }
    const lx = this.logGamma(alpha);
    const ly = this.logGamma(beta);
    return 1 / (1 + exp(ly - lx));
  }

  /** Marsaglia–Tsang: about 1.02 normal draws per variate. Needs shape ≥ 1. */
  private gammaAtLeastOne(shape: number): number {
    const d = shape - 1 / 3;
    return this.marsagliaTsang(d, 1 / sqrt(9 * d));
  }

  /** Marsaglia–Tsang with its constants d = shape − 1/3, c = 1/√(9d) given. */
  marsagliaTsang(d: number, c: number): number {
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.rng.next(); // (0, 1]: log(u) stays finite
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (log(u) < 0.5 * x2 + d * (1 - v + log(v))) return d * v;
    }
  }

  /** log of a Gamma(shape, 1) variate, without underflow for tiny shapes. */
  private logGamma(shape: number): number {
    if (shape >= 1) return log(this.gammaAtLeastOne(shape));
    return log(this.gammaAtLeastOne(shape + 1)) + log(1 - this.rng.next()) / shape;
  }
}

/**
 * Beta(alpha, beta) prepared for many draws (a posterior sampled hundreds of times in one
 * decision): the shapes are checked and the Marsaglia–Tsang constants computed once.
 */
export class BetaDistribution {
  private readonly dx: number;
  private readonly cx: number;
  private readonly dy: number;
  private readonly cy: number;

  constructor(
    readonly alpha: number,
    readonly beta: number,
  ) {
    checkShape(alpha, 'beta alpha');
    checkShape(beta, 'beta beta');
    this.dx = alpha - 1 / 3;
    this.cx = 1 / sqrt(9 * this.dx);
    this.dy = beta - 1 / 3;
    this.cy = 1 / sqrt(9 * this.dy);
  }

  get mean(): number {
    return this.alpha / (this.alpha + this.beta);
  }

  /** One draw; the same variates as `sampler.beta(alpha, beta)` would give. */
  draw(sampler: Sampler): number {
    if (this.alpha >= 1 && this.beta >= 1) {
      const x = sampler.marsagliaTsang(this.dx, this.cx);
      return x / (x + sampler.marsagliaTsang(this.dy, this.cy));
    }
    return sampler.beta(this.alpha, this.beta);
  }
}

/** One standard normal from `rng` (a fresh `Sampler`: use one for many draws). */
export function sampleNormal(rng: Rng): number {
  return new Sampler(rng).normal();
}

/** One Gamma(shape, scale) variate from `rng`. */
export function sampleGamma(rng: Rng, shape: number, scale = 1): number {
  return new Sampler(rng).gamma(shape, scale);
}

/** One Beta(alpha, beta) variate from `rng`. */
export function sampleBeta(rng: Rng, alpha: number, beta: number): number {
  return new Sampler(rng).beta(alpha, beta);
}
