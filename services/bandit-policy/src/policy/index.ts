/**
 * Decision policies of the bandit-policy service: pure functions of their inputs and an
 * injected random stream (see policy.types.ts for the contract).
 */
export * from './policy.types';
export { BudgetPacer, plannedSpend, type BudgetPacerOptions } from './budget-pacer.service';
export { POLICY_DEFAULTS, policyParam } from './campaign-policy';
export { RidgeArmPosterior, type RidgeArmSnapshot } from './linear-posterior';
export { PolicyErrorCode, PolicyException } from './policy.exception';
export { childRng, forkRng, seededRng, Sfc32Rng } from './rng';
export { BetaDistribution, Sampler, sampleBeta, sampleGamma, sampleNormal } from './sampling';
export {
  decideSlate,
  EXACT_STATE_CAP,
  MAX_SLOTS,
  slateDistribution,
  type SlateDistribution,
} from './slate';
