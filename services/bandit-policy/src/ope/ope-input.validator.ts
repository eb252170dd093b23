import { OpeErrorCode, OpeInputError } from './ope.exception';
import { type LoggedDecision } from './ope.types';

/** How far target probabilities may sum from 1 (rounding in the policy's softmax and the like). */
export const PROBABILITY_SUM_TOLERANCE = 1e-6;

// Looked up once: this runs for every decision, and global lookups are slow inside vm
// contexts such as jest's (hundreds of ns each).
const isFiniteNumber = Number.isFinite;

/**
 * Checks every decision and throws an `OpeInputError` naming the first bad one. Estimators
 * call it themselves; it is exported for callers that want to reject logs early.
 */
export function validateDecisions(decisions: readonly LoggedDecision[]): void {
  if (decisions.length === 0) {
    throw new OpeInputError(OpeErrorCode.EMPTY_LOG, 'no logged decisions to evaluate');
  }
  decisions.forEach(validateDecision);
}

function validateDecision(d: LoggedDecision, i: number): void {
  const actions = d.actions;
  if (actions.length === 0 || actions.some((a, j) => actions.indexOf(a) !== j)) {
    throw new OpeInputError(
      OpeErrorCode.INVALID_ACTIONS,
      `actions must be non-empty and distinct, got [${d.actions.map(quote).join(', ')}]`,
      i,
    );
  }
  if (!actions.includes(d.loggedAction)) {
    throw new OpeInputError(
      OpeErrorCode.UNKNOWN_ACTION,
      `logged action ${quote(d.loggedAction)} is not one of the available actions`,
      i,
    );
  }
  const mu = d.loggingPropensity;
  if (!(isFiniteNumber(mu) && mu > 0 && mu <= 1)) {
    throw new OpeInputError(
      OpeErrorCode.INVALID_PROPENSITY,
      `logging propensity ${mu} is outside (0, 1]`,
      i,
    );
  }
  if (!isFiniteNumber(d.reward)) {
    throw new OpeInputError(OpeErrorCode.INVALID_REWARD, `reward ${d.reward} is not finite`, i);
  }
  let total = 0;
  for (const [a, p] of d.targetProbabilities) {
    if (!actions.includes(a)) {
      throw new OpeInputError(
        OpeErrorCode.UNKNOWN_ACTION,
        `target probability given for unavailable action ${quote(a)}`,
        i,
      );
    }
    if (!(isFiniteNumber(p) && p >= 0 && p <= 1)) {
      throw new OpeInputError(
        OpeErrorCode.INVALID_TARGET_PROBABILITIES,
        `target probability ${p} of ${quote(a)} is outside [0, 1]`,
        i,
      );
    }
    total += p;
  }
  if (total - 1 > PROBABILITY_SUM_TOLERANCE || 1 - total > PROBABILITY_SUM_TOLERANCE) {
    throw new OpeInputError(
      OpeErrorCode.INVALID_TARGET_PROBABILITIES,
      `target probabilities sum to ${total}, not 1`,
      i,
    );
  }
  if (d.rewardModel !== undefined) {
    for (const a of d.actions) {
      const q = d.rewardModel.get(a);
      if (q === undefined || !isFiniteNumber(q)) {
        throw new OpeInputError(
          OpeErrorCode.INVALID_REWARD_MODEL,
          `reward model prediction for ${quote(a)} is ${String(q)}`,
          i,
        );
      }
    }
  }
}

function quote(action: string): string {
  return action === '' ? '"" (no offer)' : JSON.stringify(action);
}
