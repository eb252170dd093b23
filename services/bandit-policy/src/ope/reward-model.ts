/**
 * A small direct-method reward model q̂(x, a) for the doubly robust estimator: one ridge
 * regression per action over the decision's feature vector for that action, or per-action
 * mean rewards when the logs carry no features.
 */
import { OpeErrorCode, OpeInputError } from './ope.exception';
import { validateDecisions } from './ope-input.validator';
import { type LoggedDecision } from './ope.types';

/** Options of the reward-model fitters. */
export interface RewardModelOptions {
  /** L2 penalty λ on the feature weights (the intercept is not penalised). Default 1. */
  readonly ridge?: number;
  /** Folds for cross-fitting, at least 2. Default 2. */
  readonly folds?: number;
}

/** A fitted reward model. */
export interface RewardModel {
  /** q̂(x, a) for every available action of the decision. */
  predict(decision: LoggedDecision): Map<string, number>;
}

type ActionModel =
  | { readonly kind: 'mean'; readonly mean: number }
  | { readonly kind: 'ridge'; readonly intercept: number; readonly theta: Float64Array };

/**
 * Fits q̂ on the given decisions: for each action, on the decisions that logged it. An
 * action never logged is predicted at the overall mean reward. Use `crossFitRewardModel`
 * for DR; a model scored on its own training decisions makes DR overconfident.
 */
export function fitRewardModel(
  decisions: readonly LoggedDecision[],
  options: RewardModelOptions = {},
): RewardModel {
  validateDecisions(decisions);
  const dim = featureDimension(decisions);
  return fitOn(decisions, decisions.keys(), dim, ridgeOf(options));
}

/**
 * The decisions with `rewardModel` set by cross-fitting: decision i (fold i mod k) gets
 * predictions from a model fitted on the other folds only, so DR's correction term never
 * uses a prediction that has seen its own reward. Folds interleave, so a drift over
 * the logging period falls evenly into each.
 */
export function crossFitRewardModel<D extends LoggedDecision>(
  decisions: readonly D[],
  options: RewardModelOptions = {},
): D[] {
  validateDecisions(decisions);
  const folds = options.folds ?? 2;
  if (!(Number.isInteger(folds) && folds >= 2 && folds <= decisions.length)) {
    throw new OpeInputError(
      OpeErrorCode.INVALID_OPTION,
      `folds must be an integer in [2, ${decisions.length}], got ${folds}`,
    );
  }
  const dim = featureDimension(decisions);
  const lambda = ridgeOf(options);
  const models: RewardModel[] = [];
  for (let f = 0; f < folds; f++) {
    const training = [...decisions.keys()].filter((i) => i % folds !== f);
    models.push(fitOn(decisions, training, dim, lambda));
  }
  return decisions.map((d, i) => {
    const model = models[i % folds];
    if (model === undefined) throw new RangeError(`no model for fold ${i % folds}`);
    return { ...d, rewardModel: model.predict(d) };
  });
}

function ridgeOf(options: RewardModelOptions): number {
  const lambda = options.ridge ?? 1;
  if (!(Number.isFinite(lambda) && lambda > 0)) {
    throw new OpeInputError(OpeErrorCode.INVALID_OPTION, `ridge must be > 0, got ${lambda}`);
  }
  return lambda;
}

/** The common feature length, or undefined when no decision has features. */
function featureDimension(decisions: readonly LoggedDecision[]): number | undefined {
  const first = decisions[0]?.features;
  if (first === undefined) {
    const i = decisions.findIndex((d) => d.features !== undefined);
    if (i >= 0) {
      throw new OpeInputError(
        OpeErrorCode.INVALID_FEATURES,
        'has features but decision 0 has none: give features for every decision or none',
        i,
      );
    }
    return undefined;
  }
  const dim = first.values().next().value?.length ?? 0;
  decisions.forEach((d, i) => {
    if (d.features === undefined) {
      throw new OpeInputError(
        OpeErrorCode.INVALID_FEATURES,
        'has no features but decision 0 has: give features for every decision or none',
        i,
      );
    }
    for (const a of d.actions) {
      const x = d.features.get(a);
      if (x === undefined || x.length !== dim || !allFinite(x)) {
        throw new OpeInputError(
          OpeErrorCode.INVALID_FEATURES,
          `features of ${JSON.stringify(a)} must be ${dim} finite numbers`,
          i,
        );
      }
    }
  });
  return dim;
}

function fitOn(
  decisions: readonly LoggedDecision[],
  training: Iterable<number>,
  dim: number | undefined,
  lambda: number,
): RewardModel {
  const byAction = new Map<string, { y: number[]; x: Float64Array[] }>();
  let total = 0;
  let count = 0;
  for (const i of training) {
    const d = decisions[i];
    if (d === undefined) continue;
    let rows = byAction.get(d.loggedAction);
    if (rows === undefined) {
      rows = { y: [], x: [] };
      byAction.set(d.loggedAction, rows);
    }
    rows.y.push(d.reward);
    const x = d.features?.get(d.loggedAction);
    if (x !== undefined) rows.x.push(x);
    total += d.reward;
    count++;
  }
  const fallback = count > 0 ? total / count : 0;
  const models = new Map<string, ActionModel>();
  for (const [a, rows] of byAction) {
    models.set(
      a,
      dim === undefined ? { kind: 'mean', mean: mean(rows.y) } : fitRidge(rows.x, rows.y, lambda),
    );
  }
  return {
    predict(d) {
      const out = new Map<string, number>();
      for (const a of d.actions) {
        const m = models.get(a);
        if (m === undefined) {
          out.set(a, fallback);
        } else if (m.kind === 'mean') {
          out.set(a, m.mean);
        } else {
          const x = d.features?.get(a);
          out.set(a, x === undefined ? fallback : m.intercept + dot(m.theta, x));
        }
      }
      return out;
    },
  };
}

/** Ridge on centred data, so the intercept is the unpenalised mean offset. */
function fitRidge(xs: readonly Float64Array[], ys: readonly number[], lambda: number): ActionModel {
  const n = ys.length;
  const d = xs[0]?.length ?? 0;
  const xMean = new Float64Array(d);
  for (const x of xs) for (let j = 0; j < d; j++) xMean[j] = (xMean[j] ?? 0) + (x[j] ?? 0) / n;
  const yMean = mean(ys);
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  xs.forEach((x, r) => {
    const y = (ys[r] ?? 0) - yMean;
    for (let j = 0; j < d; j++) {
      const xj = (x[j] ?? 0) - (xMean[j] ?? 0);
      b[j] = (b[j] ?? 0) + xj * y;
      for (let k = 0; k <= j; k++) {
        a[j * d + k] = (a[j * d + k] ?? 0) + xj * ((x[k] ?? 0) - (xMean[k] ?? 0));
      }
    }
  });
  for (let j = 0; j < d; j++) a[j * d + j] = (a[j * d + j] ?? 0) + lambda;
  const theta = choleskySolve(a, b, d);
  return { kind: 'ridge', intercept: yMean - dot(theta, xMean), theta };
}

/** Solves A θ = b for symmetric positive definite A (lower triangle given, row-major). */
function choleskySolve(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      let s = a[j * d + k] ?? 0;
      for (let m = 0; m < k; m++) s -= (l[j * d + m] ?? 0) * (l[k * d + m] ?? 0);
      l[j * d + k] = j === k ? Math.sqrt(s) : s / (l[k * d + k] ?? 1);
    }
  }
  const z = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = b[j] ?? 0;
    for (let m = 0; m < j; m++) s -= (l[j * d + m] ?? 0) * (z[m] ?? 0);
    z[j] = s / (l[j * d + j] ?? 1);
  }
  const theta = new Float64Array(d);
  for (let j = d - 1; j >= 0; j--) {
    let s = z[j] ?? 0;
    for (let m = j + 1; m < d; m++) s -= (l[m * d + j] ?? 0) * (theta[m] ?? 0);
    theta[j] = s / (l[j * d + j] ?? 1);
  }
  return theta;
}

function allFinite(x: Float64Array): boolean {
  // x − x is NaN for ±Infinity and NaN: no builtin lookup in this per-decision check.
  for (let j = 0; j < x.length; j++) if ((x[j] ?? NaN) - (x[j] ?? NaN) !== 0) return false;
  return true;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length > 0 ? s / xs.length : 0;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] ?? 0) * (b[j] ?? 0);
  return s;
}
