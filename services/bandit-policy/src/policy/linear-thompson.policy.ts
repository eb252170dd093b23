import { type ArmList, BaseCampaignPolicy, dot, policyParam } from './campaign-policy';
import { type CampaignArms, type PosteriorView } from './policy.types';
import { type Sampler } from './sampling';

/**
 * Linear Thompson sampling: θ ~ N(θ̂, v²A⁻¹) per arm, value xᵀθ (the reward with the offer)
 * minus the mean reward of showing nothing, budget-priced; the arms whose draw beats "no
 * offer" (0) are ranked by it.
 *
 * Only xᵀθ is ever used, and for one arm it is exactly N(xᵀθ̂, v²·xᵀA⁻¹x); arms draw from
 * independent posteriors. So each arm's value is drawn as that scalar normal: the same
 * distribution as `posterior.sample(rng, v)` followed by a dot product, at O(1) per arm
 * and draw instead of O(d²) — which is what makes hundreds of Monte-Carlo re-draws cheap.
 */
export class LinearThompsonPolicy extends BaseCampaignPolicy {
  readonly exact = false;
  readonly deterministic = false;
  private readonly v: number;
  /** The mean reward of showing nothing, which an offer's xᵀθ must beat. */
  private readonly baseline: number;
  private readonly meanValue: Float64Array;
  private readonly sd: Float64Array;
  private readonly sampledValue: Float64Array;

  constructor(campaign: CampaignArms, rank: Int32Array, posteriors: PosteriorView) {
    super(campaign, rank);
    const n = this.size;
    this.baseline = posteriors.baselineValue(campaign.campaignId, campaign.segment);
    this.v = policyParam(campaign, 'v');
    this.meanValue = new Float64Array(n);
    this.sd = new Float64Array(n);
    this.sampledValue = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const arm = this.arm(i);
      const posterior = posteriors.linear(campaign.campaignId, arm.offerId);
      this.meanValue[i] = dot(posterior.mean(), arm.x) - this.baseline - this.budgetCost[i]!;
      this.sd[i] = Math.abs(this.v) * Math.sqrt(Math.max(0, posterior.variance(arm.x)));
    }
  }

  greedyList(maxLength: number, out: ArmList): void {
    this.rankPositive(this.meanValue, maxLength, out);
  }

  drawList(sampler: Sampler, maxLength: number, out: ArmList): void {
    for (let i = 0; i < this.size; i++) {
      this.sampledValue[i] = this.meanValue[i]! + this.sd[i]! * sampler.normal();
    }
    this.rankPositive(this.sampledValue, maxLength, out);
  }

  details(arm: number): Record<string, number> {
    return {
      sampled_value: this.sampledValue[arm]!,
      mean_value: this.meanValue[arm]!,
      baseline_value: this.baseline,
      posterior_sd: this.sd[arm]!,
      v: this.v,
      ...this.budgetDetails(arm),
    };
  }
}
