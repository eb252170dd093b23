/**
 * Off-policy estimators of a target policy's value from logged decisions, their confidence
 * intervals, the paired comparison of two policies and the gate built on it.
 *
 * Every estimator here is a ratio of sums over decisions, V̂ = Σ aᵢ / Σ bᵢ (bᵢ = 1 except for
 * SNIPS, where bᵢ = wᵢ). The normal interval uses the per-decision influence terms
 * ψᵢ = (aᵢ − V̂ bᵢ) / b̄ (for bᵢ = 1 simply the centred terms; for SNIPS the delta method),
 * so one routine serves single estimates and paired differences alike.
 */
import { OpeErrorCode, OpeInputError } from './ope.exception';
import { validateDecisions } from './ope-input.validator';
import {
  type CiMethod,
  type Comparison,
  type Estimate,
  type EstimatorKind,
  type GateResult,
  type LoggedDecision,
  type LoggingStats,
  type OpeRng,
  type TargetEstimatorKind,
} from './ope.types';
import { normalQuantile, sampleVariance, sortedQuantile, sum } from './statistics.util';

/** Options shared by every estimator. */
export interface EstimatorOptions {
  /**
   * Cap M on the importance weights: w = min(π/μ, M). Lowers variance at the price of bias:
   * the part (w − M)⁺ of each weight is dropped, so for IPS/SNIPS the estimate moves by
   * −E[(π/μ − M)⁺ · r] (towards zero for positive rewards: the value of actions the target
   * favours far more than the logger is understated); for DR only the residual r − q̂ is
   * clipped, so the bias is −E[(π/μ − M)⁺ · (r − q̂)] and shrinks as the reward model improves.
   * Default: no clipping.
   */
  readonly clipWeightAt?: number;
  /** Two-sided level of the confidence interval. Default 0.95. */
  readonly confidenceLevel?: number;
  /**
   * Seeded randomness. When given, the interval is a percentile bootstrap over decisions
   * (and `stdError` the bootstrap standard deviation) instead of the normal approximation.
   */
  readonly rng?: OpeRng;
  /** Bootstrap resamples when `rng` is given. Default 1000. */
  readonly bootstrapResamples?: number;
}

/** Options of `comparison`: the estimator used for both policies. */
export interface ComparisonOptions extends EstimatorOptions {
  /** Default 'dr' (which is IPS wherever a decision has no reward model). */
  readonly estimator?: TargetEstimatorKind;
}

/** What the gate needs: both policies' views of the same logs and the bar to clear. */
export interface GateInput extends ComparisonOptions {
  /** The logs with the candidate's target probabilities (and reward model, for DR). */
  readonly candidate: readonly LoggedDecision[];
  /** The same logs with the production policy's target probabilities. */
  readonly production: readonly LoggedDecision[];
  /** Both policies need at least this effective sample size for the comparison to count. */
  readonly minEffectiveSampleSize: number;
  /**
   * true: the candidate must be better (the CI of V(candidate) − V(production) lies above 0).
   * false: it must merely not be worse (the CI does not lie entirely below 0).
   */
  readonly requireCiAboveZero: boolean;
}

/** Importance weights π(a_logged | x) / μ(a_logged | x), clipped if asked. */
export interface ImportanceWeights {
  readonly weights: Float64Array;
  readonly maxWeight: number;
  /** Share of decisions whose weight was clipped (0 without clipping). */
  readonly clippedShare: number;
  readonly effectiveSampleSize: number;
}

/** Inverse propensity scoring: mean of w·r. Unbiased (without clipping), high variance. */
export function ips(
  decisions: readonly LoggedDecision[],
  options: EstimatorOptions = {},
): Estimate {
  return estimate('ips', decisions, options);
}

/** Self-normalised IPS: Σ w·r / Σ w. Slightly biased, much steadier when weights are large. */
export function snips(
  decisions: readonly LoggedDecision[],
  options: EstimatorOptions = {},
): Estimate {
  return estimate('snips', decisions, options);
}

/**
 * Doubly robust (Dudík et al. 2011): mean of q̂(x, π) + w·(r − q̂(x, a_logged)). Unbiased if
 * either the propensities or the reward model are right; low variance when q̂ is good. Give
 * it a cross-fitted model (`crossFitRewardModel`) so q̂ has not seen the reward it corrects.
 */
export function doublyRobust(
  decisions: readonly LoggedDecision[],
  options: EstimatorOptions = {},
): Estimate {
  return estimate('dr', decisions, options);
}

/** The logging policy's own value: the mean logged reward. A reference, not an estimate of π. */
export function onPolicy(
  decisions: readonly LoggedDecision[],
  options: EstimatorOptions = {},
): Estimate {
  return estimate('on_policy', decisions, options);
}

/** One estimate by the named estimator. */
export function estimate(
  kind: EstimatorKind,
  decisions: readonly LoggedDecision[],
  options: EstimatorOptions = {},
): Estimate {
  validateDecisions(decisions);
  const opts = resolveOptions(options);
  return estimateValidated(kind, decisions, opts, weightsOf(decisions, opts.clipWeightAt));
}

/** The on-policy reference and every target estimator, in the order on_policy, ips, snips, dr. */
export function estimateAll(
  decisions: readonly LoggedDecision[],
  options: EstimatorOptions = {},
): Estimate[] {
  validateDecisions(decisions);
  const opts = resolveOptions(options);
  const kinds: readonly EstimatorKind[] = ['on_policy', 'ips', 'snips', 'dr'];
  const weights = weightsOf(decisions, opts.clipWeightAt);
  return kinds.map((k) => estimateValidated(k, decisions, opts, weights));
}

/**
 * V(target) − V(baseline) on the same logs, with an interval from the paired per-decision
 * terms: whatever both policies share (the same logged rewards, the same noise) cancels,
 * so the difference is far sharper than two separate intervals suggest. `target` and
 * `baseline` are the same decisions, each with its policy's target probabilities.
 */
export function comparison(
  target: readonly LoggedDecision[],
  baseline: readonly LoggedDecision[],
  options: ComparisonOptions = {},
): Comparison {
  validateDecisions(target);
  validateDecisions(baseline);
  assertSameLogs(target, baseline);
  const opts = resolveOptions(options);
  const kind = options.estimator ?? 'dr';
  const tw = weightsOf(target, opts.clipWeightAt);
  const bw = weightsOf(baseline, opts.clipWeightAt);
  const interval = ratioInterval(
    [ratioOf(kind, target, tw), ratioOf(kind, baseline, bw)],
    [1, -1],
    opts,
  );
  return {
    estimator: kind,
    difference: interval.value,
    stdError: interval.stdError,
    ci: interval.ci,
    confidenceLevel: opts.confidenceLevel,
    ciMethod: interval.ciMethod,
    n: target.length,
    target: estimateValidated(kind, target, opts, tw),
    baseline: estimateValidated(kind, baseline, opts, bw),
  };
}

/**
 * The release gate: may the candidate replace production? Fails, with a reason each, when
 * either policy's effective sample size is below the minimum, when the difference cannot
 * be estimated, and when the difference's CI does not clear the bar (`requireCiAboveZero`).
 */
export function gate(input: GateInput): GateResult {
  const { candidate, production, minEffectiveSampleSize, requireCiAboveZero, ...options } = input;
  const c = comparison(candidate, production, options);
  const reasons: string[] = [];
  const level = `${fmt(c.confidenceLevel * 100)}%`;
  for (const [who, est] of [
    ['candidate', c.target],
    ['production', c.baseline],
  ] as const) {
    if (!(est.effectiveSampleSize >= minEffectiveSampleSize)) {
      reasons.push(
        `${who}'s effective sample size ${fmt(est.effectiveSampleSize)} is below ` +
          `${fmt(minEffectiveSampleSize)}: too few logged decisions where the logging policy ` +
          `did what the ${who} would do`,
      );
    }
  }
  const [lo, hi] = c.ci;
  if (!Number.isFinite(c.difference)) {
    reasons.push(`the difference to production cannot be estimated (${c.estimator} is undefined)`);
  } else if (requireCiAboveZero && !(lo > 0)) {
    reasons.push(
      `the ${level} CI of candidate − production, [${fmt(lo)}, ${fmt(hi)}], does not lie above ` +
        `zero: no evidence the candidate is better`,
    );
  } else if (!requireCiAboveZero && hi < 0) {
    reasons.push(
      `the ${level} CI of candidate − production, [${fmt(lo)}, ${fmt(hi)}], lies below zero: ` +
        `the candidate is worse`,
    );
  }
  return { pass: reasons.length === 0, reasons, comparison: c };
}

/** Importance weights of the target policy on the logs (clipped at `clipWeightAt` if given). */
export function importanceWeights(
  decisions: readonly LoggedDecision[],
  clipWeightAt?: number,
): ImportanceWeights {
  validateDecisions(decisions);
  return weightsOf(decisions, resolveOptions({ clipWeightAt }).clipWeightAt);
}

/** Size and propensity profile of the logs and the logging policy's own value. */
export function describeLogs(
  decisions: readonly LoggedDecision[],
  lowPropensityThreshold = 0.01,
): LoggingStats {
  validateDecisions(decisions);
  let low = 0;
  let minPropensity = Infinity;
  let total = 0;
  for (const d of decisions) {
    if (d.loggingPropensity < lowPropensityThreshold) low++;
    minPropensity = Math.min(minPropensity, d.loggingPropensity);
    total += d.reward;
  }
  return {
    n: decisions.length,
    onPolicyValue: total / decisions.length,
    minPropensity,
    lowPropensityShare: low / decisions.length,
    lowPropensityThreshold,
  };
}

interface ResolvedOptions {
  readonly clipWeightAt: number;
  readonly confidenceLevel: number;
  readonly rng: OpeRng | undefined;
  readonly bootstrapResamples: number;
}

function resolveOptions(o: EstimatorOptions): ResolvedOptions {
  const clipWeightAt = o.clipWeightAt ?? Infinity;
  const confidenceLevel = o.confidenceLevel ?? 0.95;
  const bootstrapResamples = o.bootstrapResamples ?? 1000;
  if (!(clipWeightAt > 0)) {
    throw new OpeInputError(OpeErrorCode.INVALID_OPTION, `clipWeightAt must be > 0`);
  }
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) {
    throw new OpeInputError(OpeErrorCode.INVALID_OPTION, `confidenceLevel must be in (0, 1)`);
  }
  if (!(Number.isInteger(bootstrapResamples) && bootstrapResamples >= 10)) {
    throw new OpeInputError(
      OpeErrorCode.INVALID_OPTION,
      `bootstrapResamples must be an integer ≥ 10`,
    );
  }
  return { clipWeightAt, confidenceLevel, rng: o.rng, bootstrapResamples };
}

/** Σ num / Σ den, with den = 1 per decision when absent. */
interface Ratio {
  readonly num: Float64Array;
  readonly den?: Float64Array;
}

interface Interval {
  readonly value: number;
  readonly stdError: number;
  readonly ci: readonly [number, number];
  readonly ciMethod: CiMethod;
}

function estimateValidated(
  kind: EstimatorKind,
  decisions: readonly LoggedDecision[],
  opts: ResolvedOptions,
  weights: ImportanceWeights,
): Estimate {
  const interval = ratioInterval([ratioOf(kind, decisions, weights)], [1], opts);
  const usesWeights = kind !== 'on_policy';
  return {
    estimator: kind,
    value: interval.value,
    stdError: interval.stdError,
    ci: interval.ci,
    confidenceLevel: opts.confidenceLevel,
    ciMethod: interval.ciMethod,
    n: decisions.length,
    effectiveSampleSize: usesWeights ? weights.effectiveSampleSize : decisions.length,
    maxWeight: usesWeights ? weights.maxWeight : 1,
    ...(usesWeights && opts.clipWeightAt !== Infinity
      ? { clippedShare: weights.clippedShare }
      : {}),
  };
}

function ratioOf(
  kind: EstimatorKind,
  decisions: readonly LoggedDecision[],
  weights: ImportanceWeights,
): Ratio {
  const n = decisions.length;
  const w = weights.weights;
  const num = new Float64Array(n);
  switch (kind) {
    case 'on_policy':
      for (let i = 0; i < n; i++) num[i] = decisionAt(decisions, i).reward;
      return { num };
    case 'ips':
      for (let i = 0; i < n; i++) num[i] = (w[i] ?? 0) * decisionAt(decisions, i).reward;
      return { num };
    case 'snips':
      for (let i = 0; i < n; i++) num[i] = (w[i] ?? 0) * decisionAt(decisions, i).reward;
      return { num, den: w };
    case 'dr':
      for (let i = 0; i < n; i++) num[i] = drTerm(decisionAt(decisions, i), w[i] ?? 0);
      return { num };
  }
}

function drTerm(d: LoggedDecision, w: number): number {
  const q = d.rewardModel;
  if (q === undefined) return w * d.reward;
  let direct = 0;
  for (const [a, p] of d.targetProbabilities) direct += p * (q.get(a) ?? 0);
  return direct + w * (d.reward - (q.get(d.loggedAction) ?? 0));
}

function weightsOf(decisions: readonly LoggedDecision[], clipWeightAt: number): ImportanceWeights {
  const weights = new Float64Array(decisions.length);
  let maxWeight = 0;
  let clipped = 0;
  let s = 0;
  let s2 = 0;
  decisions.forEach((d, i) => {
    const raw = (d.targetProbabilities.get(d.loggedAction) ?? 0) / d.loggingPropensity;
    const w = raw > clipWeightAt ? clipWeightAt : raw;
    if (raw > clipWeightAt) clipped++;
    weights[i] = w;
    if (w > maxWeight) maxWeight = w;
    s += w;
    s2 += w * w;
  });
  return {
    weights,
    maxWeight,
    clippedShare: clipped / decisions.length,
    effectiveSampleSize: s2 > 0 ? (s * s) / s2 : 0,
  };
}

/** Value, SE and CI of Σₖ cₖ · (Σ numₖ / Σ denₖ) over the same decisions. */
function ratioInterval(
  parts: readonly Ratio[],
  coefficients: readonly number[],
  opts: ResolvedOptions,
): Interval {
  const n = parts[0]?.num.length ?? 0;
  const ratios = parts.map((p) => ({
    ...p,
    numSum: sum(p.num),
    denSum: p.den === undefined ? n : sum(p.den),
  }));
  let value = 0;
  ratios.forEach((r, k) => (value += (coefficients[k] ?? 0) * (r.numSum / r.denSum)));
  if (!Number.isFinite(value)) {
    return { value: NaN, stdError: NaN, ci: [NaN, NaN], ciMethod: 'normal' };
  }
  if (opts.rng !== undefined) return bootstrapInterval(value, ratios, coefficients, opts, opts.rng);

  const psi = new Float64Array(n);
  ratios.forEach((r, k) => {
    const v = r.numSum / r.denSum;
    const meanDen = r.denSum / n;
    const c = coefficients[k] ?? 0;
    for (let i = 0; i < n; i++) {
      const den = r.den === undefined ? 1 : (r.den[i] ?? 0);
      psi[i] = (psi[i] ?? 0) + (c * ((r.num[i] ?? 0) - v * den)) / meanDen;
    }
  });
  const stdError = Math.sqrt(sampleVariance(psi) / n);
  const z = normalQuantile(0.5 + opts.confidenceLevel / 2);
  return { value, stdError, ci: [value - z * stdError, value + z * stdError], ciMethod: 'normal' };
}

function bootstrapInterval(
  value: number,
  ratios: readonly { num: Float64Array; den?: Float64Array }[],
  coefficients: readonly number[],
  opts: ResolvedOptions,
  rng: OpeRng,
): Interval {
  const n = ratios[0]?.num.length ?? 0;
  const k = ratios.length;
  const numSums = new Float64Array(k);
  const denSums = new Float64Array(k);
  const replicates: number[] = [];
  for (let b = 0; b < opts.bootstrapResamples; b++) {
    numSums.fill(0);
    denSums.fill(0);
    for (let j = 0; j < n; j++) {
      // Truncation, not Math.floor: this is the hottest loop, and builtin lookups are slow in
      // vm contexts such as jest's. n·u < n ≤ 2³¹ for any log that fits in memory.
      const i = (rng.next() * n) | 0;
      for (let r = 0; r < k; r++) {
        const part = ratios[r];
        if (part === undefined) continue;
        numSums[r] = (numSums[r] ?? 0) + (part.num[i] ?? 0);
        denSums[r] = (denSums[r] ?? 0) + (part.den === undefined ? 1 : (part.den[i] ?? 0));
      }
    }
    let v = 0;
    for (let r = 0; r < k; r++) {
      v += ((coefficients[r] ?? 0) * (numSums[r] ?? 0)) / (denSums[r] ?? 0);
    }
    // A resample can miss every decision the target supports (SNIPS 0/0); it carries no information.
    if (Number.isFinite(v)) replicates.push(v);
  }
  const sorted = Float64Array.from(replicates).sort();
  const alpha = 1 - opts.confidenceLevel;
  return {
    value,
    stdError: Math.sqrt(sampleVariance(sorted)),
    ci: [sortedQuantile(sorted, alpha / 2), sortedQuantile(sorted, 1 - alpha / 2)],
    ciMethod: 'bootstrap',
  };
}

function assertSameLogs(a: readonly LoggedDecision[], b: readonly LoggedDecision[]): void {
  if (a.length !== b.length) {
    throw new OpeInputError(
      OpeErrorCode.MISMATCHED_LOGS,
      `the two policies are evaluated on ${a.length} and ${b.length} decisions; they need the same logs`,
    );
  }
  a.forEach((x, i) => {
    const y = decisionAt(b, i);
    if (
      x.loggedAction !== y.loggedAction ||
      x.loggingPropensity !== y.loggingPropensity ||
      x.reward !== y.reward
    ) {
      throw new OpeInputError(
        OpeErrorCode.MISMATCHED_LOGS,
        'logged action, propensity or reward differ between the two policies’ logs',
        i,
      );
    }
  });
}

function decisionAt(decisions: readonly LoggedDecision[], i: number): LoggedDecision {
  const d = decisions[i];
  if (d === undefined) throw new RangeError(`no decision at ${i}`);
  return d;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x);
}
