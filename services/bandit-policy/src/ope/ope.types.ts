/**
 * Off-policy evaluation (OPE): the input records and the estimates (pure data, no I/O).
 *
 * Slates: OPE here takes the single-slot view. A slate decision is evaluated for its
 * first slot, with slot 1's *marginal* propensity under the logging policy and the target
 * policy's marginal probabilities for slot 1. Other slots can be evaluated the same way as
 * separate logs (one `LoggedDecision` per slot, with that slot's marginals and reward);
 * that is only unbiased when a slot's reward does not depend on what the other slots show,
 * so treat per-slot numbers below slot 1 as indicative.
 */

/** The action of showing nothing. It is an ordinary action: a policy may choose it. */
export const NO_OFFER = '';

/** One logged decision of the logging policy μ, seen from one slot. */
export interface LoggedDecision {
  /** The actions available in this context (offer ids; `NO_OFFER` when showing nothing was allowed). */
  readonly actions: readonly string[];
  /** What the logging policy did; one of `actions`. */
  readonly loggedAction: string;
  /** μ(loggedAction | x), in (0, 1]. */
  readonly loggingPropensity: number;
  /** Observed reward of the logged action (e.g. incremental profit in minor units, or 0/1). */
  readonly reward: number;
  /** π(a | x) of the target policy; actions absent from the map have probability 0. Sums to 1. */
  readonly targetProbabilities: ReadonlyMap<string, number>;
  /**
   * q̂(x, a) for every action, used by the doubly robust estimator. When absent, q̂ = 0 for
   * this decision and its DR term equals its IPS term.
   */
  readonly rewardModel?: ReadonlyMap<string, number>;
  /**
   * Numeric context vector per action (all of one length), used only by the reward-model
   * fitter (`fitRewardModel`, `crossFitRewardModel`). Callers with one context vector per
   * decision map every action to the same array.
   */
  readonly features?: ReadonlyMap<string, Float64Array>;
}

/** The estimators of a policy's value (mean reward per decision). */
export type EstimatorKind = 'ips' | 'snips' | 'dr' | 'on_policy';

/** The estimators that evaluate a target policy (`on_policy` only describes the logs). */
export type TargetEstimatorKind = Exclude<EstimatorKind, 'on_policy'>;

/** How a confidence interval was obtained. */
export type CiMethod = 'normal' | 'bootstrap';

/** Seeded randomness, injected; used only for bootstrap intervals. */
export interface OpeRng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** An estimate of one policy's value by one estimator. */
export interface Estimate {
  readonly estimator: EstimatorKind;
  /** Estimated mean reward per decision; NaN when undefined (SNIPS with all weights 0). */
  readonly value: number;
  /** Standard error of `value` (delta method / sample sd of the per-decision terms, or bootstrap sd). */
  readonly stdError: number;
  /** Confidence interval at `confidenceLevel`. */
  readonly ci: readonly [lo: number, hi: number];
  readonly confidenceLevel: number;
  readonly ciMethod: CiMethod;
  /** Logged decisions used. */
  readonly n: number;
  /** (Σw)² / Σw² of the importance weights used (n for `on_policy`). */
  readonly effectiveSampleSize: number;
  /** Largest importance weight used (after clipping; 1 for `on_policy`). */
  readonly maxWeight: number;
  /** Share of decisions whose weight was clipped; present only when clipping was asked for. */
  readonly clippedShare?: number;
}

/** The estimated difference V(target) − V(baseline) of two policies on the same logs. */
export interface Comparison {
  readonly estimator: TargetEstimatorKind;
  readonly difference: number;
  /** From the paired per-decision terms, so what both policies share cancels out. */
  readonly stdError: number;
  readonly ci: readonly [lo: number, hi: number];
  readonly confidenceLevel: number;
  readonly ciMethod: CiMethod;
  readonly n: number;
  readonly target: Estimate;
  readonly baseline: Estimate;
}

/** The verdict of the OPE gate on a candidate policy. */
export interface GateResult {
  readonly pass: boolean;
  /** Why the candidate was refused (empty when it passes). */
  readonly reasons: string[];
  /** The comparison the verdict rests on. */
  readonly comparison: Comparison;
}

/** What the logs themselves look like, independent of any target policy. */
export interface LoggingStats {
  readonly n: number;
  /** The logging policy's own value: mean logged reward. */
  readonly onPolicyValue: number;
  /** Smallest logged propensity. */
  readonly minPropensity: number;
  /** Share of decisions whose logged action had propensity below `lowPropensityThreshold`. */
  readonly lowPropensityShare: number;
  readonly lowPropensityThreshold: number;
}
