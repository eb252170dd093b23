import { type ArmList, BaseCampaignPolicy, policyParam } from './campaign-policy';
import { assertUnreachable } from './policy.exception';
import { type CampaignArms, type PosteriorView } from './policy.types';
import { BetaDistribution, type Sampler } from './sampling';

/** Beta shapes are kept at least this large: a prior below the counts' own can reach 0. */
const MIN_SHAPE = 1e-6;

/**
 * Cold-start Thompson sampling on conversion rates. One decision draws θ₀ ~ Beta(baseline)
 * once and θₒ ~ Beta(offer) for every arm, values each arm against showing nothing, and
 * ranks the arms whose value beats "no offer" (0):
 * - incremental_profit: θₒ·(margin − redemption cost) − θ₀·margin
 * - conversions: θₒ − θ₀
 * - revenue: (θₒ − θ₀)·margin — the arm carries no basket value, so the expected margin
 *   stands in for it (it ranks offers the same way when margin is a fixed share of revenue).
 * Each value is then budget-priced (− λ × expected cost).
 *
 * Priors. Showing nothing is Beta(1, 1) plus its counts. An offer's prior, by default, is
 * empirical Bayes: the baseline's posterior mean m₀ worth `prior_strength` observations,
 * Beta(s·m₀, s·(1 − m₀)) — an untried offer is presumed to convert like showing nothing
 * (zero uplift, so its value is minus its cost) until its own outcomes say otherwise. A flat
 * Beta(1, 1) instead (prior_strength 0) presumes a 50 % conversion rate for every untried
 * offer and pays for that optimism in discounts to users who buy anyway. Explicit
 * `prior_alpha`/`prior_beta` replace both priors: (prior_alpha − 1, prior_beta − 1) are
 * added to the posterior view's Beta(1, 1)-based parameters.
 */
export class ThompsonBetaPolicy extends BaseCampaignPolicy {
  readonly exact = false;
  readonly deterministic = false;
  private readonly offer: BetaDistribution[] = [];
  private readonly baseline: BetaDistribution;
  /** Value = θₒ·gain − θ₀·loss − budget cost. */
  private readonly gain: Float64Array;
  private readonly loss: Float64Array;
  private readonly meanValue: Float64Array;
  private readonly sampledValue: Float64Array;
  private readonly sampledTheta: Float64Array;
  private sampledBaseline = Number.NaN;

  constructor(campaign: CampaignArms, rank: Int32Array, posteriors: PosteriorView) {
    super(campaign, rank);
    const n = this.size;
    const explicit =
      campaign.params['prior_alpha'] !== undefined || campaign.params['prior_beta'] !== undefined;
    const extraAlpha = policyParam(campaign, 'prior_alpha') - 1;
    const extraBeta = policyParam(campaign, 'prior_beta') - 1;
    const baseline = posteriors.baselineConversion(campaign.campaignId, campaign.segment);
    this.baseline = new BetaDistribution(
      Math.max(MIN_SHAPE, baseline.alpha + extraAlpha),
      Math.max(MIN_SHAPE, baseline.beta + extraBeta),
    );
    // The offers' prior (a₀, b₀) replaces the Beta(1, 1) inside the view's parameters.
    const strength = explicit ? 0 : policyParam(campaign, 'prior_strength');
    const m0 = this.baseline.mean;
    const [a0, b0] = explicit
      ? [1 + extraAlpha, 1 + extraBeta]
      : strength > 0
        ? [strength * m0, strength * (1 - m0)]
        : [1, 1];
    this.gain = new Float64Array(n);
    this.loss = new Float64Array(n);
    this.meanValue = new Float64Array(n);
    this.sampledValue = new Float64Array(n);
    this.sampledTheta = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const arm = this.arm(i);
      const p = posteriors.offerConversion(campaign.campaignId, arm.offerId, campaign.segment);
      const offer = new BetaDistribution(
        Math.max(MIN_SHAPE, p.alpha - 1 + a0),
        Math.max(MIN_SHAPE, p.beta - 1 + b0),
      );
      this.offer.push(offer);
      const objective = campaign.objective;
      switch (objective) {
        case 'incremental_profit':
          this.gain[i] = arm.marginMinor - arm.redemptionCostMinor;
          this.loss[i] = arm.marginMinor;
          break;
        case 'conversions':
          this.gain[i] = 1;
          this.loss[i] = 1;
          break;
        case 'revenue':
          this.gain[i] = arm.marginMinor;
          this.loss[i] = arm.marginMinor;
          break;
        default:
          assertUnreachable(objective);
      }
      // The value is linear in (θₒ, θ₀), so its mean is the value at the posterior means.
      this.meanValue[i] =
        offer.mean * this.gain[i]! - this.baseline.mean * this.loss[i]! - this.budgetCost[i]!;
    }
  }

  greedyList(maxLength: number, out: ArmList): void {
    this.rankPositive(this.meanValue, maxLength, out);
  }

  drawList(sampler: Sampler, maxLength: number, out: ArmList): void {
    const theta0 = this.baseline.draw(sampler);
    this.sampledBaseline = theta0;
    for (let i = 0; i < this.size; i++) {
      const theta = this.offer[i]!.draw(sampler);
      this.sampledTheta[i] = theta;
      this.sampledValue[i] = theta * this.gain[i]! - theta0 * this.loss[i]! - this.budgetCost[i]!;
    }
    this.rankPositive(this.sampledValue, maxLength, out);
  }

  details(arm: number): Record<string, number> {
    return {
      sampled_value: this.sampledValue[arm]!,
      mean_value: this.meanValue[arm]!,
      theta_offer: this.sampledTheta[arm]!,
      theta_baseline: this.sampledBaseline,
      ...this.budgetDetails(arm),
    };
  }
}
