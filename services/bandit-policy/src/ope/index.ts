/** Off-policy evaluation of decision policies from logged decisions (pure: no I/O, no clock). */
export {
  comparison,
  describeLogs,
  doublyRobust,
  estimate,
  estimateAll,
  gate,
  importanceWeights,
  ips,
  onPolicy,
  snips,
  type ComparisonOptions,
  type EstimatorOptions,
  type GateInput,
  type ImportanceWeights,
} from './estimators';
export { OpeErrorCode, OpeInputError } from './ope.exception';
export { PROBABILITY_SUM_TOLERANCE, validateDecisions } from './ope-input.validator';
export { renderOpeHtml, renderOpeText, type OpeReport, type PolicyReport } from './ope-report';
export {
  NO_OFFER,
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
export {
  crossFitRewardModel,
  fitRewardModel,
  type RewardModel,
  type RewardModelOptions,
} from './reward-model';
