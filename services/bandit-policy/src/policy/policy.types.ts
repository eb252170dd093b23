/**
 * The contract between GetOffers' orchestration and the decision policies (pure logic:
 * no I/O, no clock, randomness only through the injected `Rng`).
 *
 * A decision gives the policies every *eligible* candidate (schedule, segment rules,
 * frequency caps, holdout, budget and stock already checked: every arm here can be
 * reserved), grouped by campaign. Each campaign's policy scores its own arms; the
 * slate is then assembled across campaigns; the propensity of every slot is the
 * probability of the *final* choice given exactly these inputs.
 */

/** The algorithms a campaign can choose (PolicyType in campaigns.proto). */
export type PolicyKind =
  'thompson_beta' | 'linear_thompson' | 'lin_ucb' | 'epsilon_greedy' | 'square_cb' | 'fixed_rule';

/** How a slot's propensity was obtained (PropensityMethod in decisions.proto). */
export type PropensityMethod = 'exact' | 'monte_carlo' | 'deterministic';

/** Seeded randomness; the only source of chance a policy may use. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** Beta(alpha, beta) posterior of a conversion probability. */
export interface BetaParams {
  readonly alpha: number;
  readonly beta: number;
}

/**
 * Ridge-regression posterior of one arm of a linear policy (reward ≈ xᵀθ):
 * A = λI + Σ x xᵀ, b = Σ r x. Implementations keep A⁻¹ (Sherman–Morrison) and its Cholesky
 * factor up to date so that scoring is O(d²).
 */
export interface LinearArmPosterior {
  readonly dim: number;
  /** θ̂ = A⁻¹ b. */
  mean(): Float64Array;
  /** xᵀ A⁻¹ x. */
  variance(x: Float64Array): number;
  /** A draw of θ ~ N(θ̂, v² A⁻¹). */
  sample(rng: Rng, v: number): Float64Array;
  /** Observations folded in so far. */
  readonly count: number;
}

/** Read access to learned state, keyed as the reward consumer updates it. */
export interface PosteriorView {
  /** Conversion posterior of an offer for a user segment (cold-start Thompson). */
  offerConversion(campaignId: string, offerId: string, segment: string): BetaParams;
  /** Conversion posterior of showing this campaign nothing (holdout / no-offer outcomes). */
  baselineConversion(campaignId: string, segment: string): BetaParams;
  /**
   * Mean reward value of showing this campaign nothing, for a user segment (holdout /
   * no-offer outcomes; 0 before any): what the linear policies' xᵀθ — the reward *with* an
   * offer — must beat for the offer to add value.
   */
  baselineValue(campaignId: string, segment: string): number;
  /** Linear posterior of an offer (linear Thompson, LinUCB). */
  linear(campaignId: string, offerId: string): LinearArmPosterior;
}

/** One eligible offer, with everything any policy may need about it. */
export interface PolicyArm {
  readonly offerId: string;
  readonly campaignId: string;
  /** Position of the offer in its campaign (the fixed rule prefers the lowest). */
  readonly ruleOrder: number;
  /** The policy context vector (linear policies), length POLICY_CONTEXT_DIM. */
  readonly x: Float64Array;
  /**
   * The model's expected incremental value of showing this offer, in the campaign
   * objective's unit (minor units of profit/revenue, or conversions); undefined when no
   * model scored it (cold start, scoring down).
   */
  readonly modelValue: number | undefined;
  /** Expected margin of a purchase by this user, minor units (Thompson's value mapping). */
  readonly marginMinor: number;
  /** Cost of one redemption of this offer, minor units (discount given, shipping absorbed). */
  readonly redemptionCostMinor: number;
  /**
   * Expected cost of showing it, minor units (≈ P(redeem) × redemption cost): what budget
   * pacing prices with the campaign's λ.
   */
  readonly expectedCostMinor: number;
}

/** What a campaign contributes to one decision. */
export interface CampaignArms {
  readonly campaignId: string;
  readonly policy: PolicyKind;
  /** Hyper-parameters by name (validated when the campaign was accepted). */
  readonly params: Readonly<Record<string, number>>;
  /** What the values mean; Thompson's value mapping depends on it. */
  readonly objective: 'incremental_profit' | 'conversions' | 'revenue';
  /** Budget pacing's Lagrange multiplier λ ≥ 0: values are reduced by λ × expectedCostMinor. */
  readonly budgetPrice: number;
  /** The user's segment (key of the Beta posteriors). */
  readonly segment: string;
  readonly arms: readonly PolicyArm[];
}

/** One filled slot. */
export interface ChosenSlot {
  /** 1-based. */
  readonly rank: number;
  readonly arm: PolicyArm;
  /** P(this offer in this slot | inputs), in (0, 1]. */
  readonly propensity: number;
  readonly method: PropensityMethod;
  /** Draws used for a Monte-Carlo propensity (0 otherwise). */
  readonly samples: number;
  /** True when the choice is not the one the policy's means alone would have made. */
  readonly explored: boolean;
  /** The (budget-priced) value that ranked it, in the objective's unit. */
  readonly value: number;
  /** Policy-specific numbers for the log, e.g. { sampled_value, ucb_bonus, epsilon }. */
  readonly details: Readonly<Record<string, number>>;
}

export interface SlateDecision {
  /** Filled slots by rank; may be fewer than asked (nothing worth showing). */
  readonly slots: readonly ChosenSlot[];
  /** P(the answer is empty | inputs). */
  readonly noOfferPropensity: number;
  /** P(offer in any slot | inputs), by offerId, for every arm given. */
  readonly selectionProbability: ReadonlyMap<string, number>;
}

export interface SlateRequest {
  readonly campaigns: readonly CampaignArms[];
  /** Slots to fill, 1..10. */
  readonly slots: number;
  readonly posteriors: PosteriorView;
  readonly rng: Rng;
  /** Most posterior re-draws for a Monte-Carlo propensity. */
  readonly propensitySamples: number;
}

/** Dimension of PolicyArm.x. */
export const POLICY_CONTEXT_DIM = 12;
