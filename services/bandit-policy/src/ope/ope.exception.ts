/** Why OPE refused its input. */
export enum OpeErrorCode {
  /** No decisions to evaluate. */
  EMPTY_LOG = 'EMPTY_LOG',
  /** A decision's action list is empty or repeats an action. */
  INVALID_ACTIONS = 'INVALID_ACTIONS',
  /** A logged action, probability or prediction names an action not in `actions`. */
  UNKNOWN_ACTION = 'UNKNOWN_ACTION',
  /** A logging propensity is not in (0, 1]. */
  INVALID_PROPENSITY = 'INVALID_PROPENSITY',
  /** A reward is not a finite number. */
  INVALID_REWARD = 'INVALID_REWARD',
  /** Target probabilities are not finite, outside [0, 1], or do not sum to 1 (±1e-6). */
  INVALID_TARGET_PROBABILITIES = 'INVALID_TARGET_PROBABILITIES',
  /** A reward-model prediction is missing or not finite. */
  INVALID_REWARD_MODEL = 'INVALID_REWARD_MODEL',
  /** Features are given for some decisions only, miss an action, differ in length, or are not finite. */
  INVALID_FEATURES = 'INVALID_FEATURES',
  /** Two log views that must describe the same decisions differ. */
  MISMATCHED_LOGS = 'MISMATCHED_LOGS',
  /** An option is out of range. */
  INVALID_OPTION = 'INVALID_OPTION',
}

/**
 * Bad OPE input. Shaped like the services' `DomainException` (a code enum plus a message)
 * but standalone: OPE runs offline and its errors never cross a transport.
 */
export class OpeInputError extends Error {
  constructor(
    readonly code: OpeErrorCode,
    message: string,
    /** Index of the offending decision in the input array; undefined when no single one is at fault. */
    readonly decisionIndex?: number,
  ) {
    super(decisionIndex === undefined ? message : `decision ${decisionIndex}: ${message}`);
    this.name = new.target.name;
  }
}
