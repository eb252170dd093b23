import { type ArmList, BaseCampaignPolicy, dot, policyParam } from './campaign-policy';
import { type CampaignArms, type PosteriorView } from './policy.types';
import { type Sampler } from './sampling';

/**
 * LinUCB: value xᵀθ̂ + α·√(xᵀA⁻¹x) minus the mean reward of showing nothing, budget-priced;
 * the arms that beat "no offer" (0) are ranked by it. Deterministic given its inputs; a
 * choice counts as explored when the optimism bonus changed it from the means-only ranking.
 */
export class LinUcbPolicy extends BaseCampaignPolicy {
  readonly exact = true;
  readonly deterministic = true;
  private readonly alpha: number;
  /** The mean reward of showing nothing, which an offer's xᵀθ must beat. */
  private readonly baseline: number;
  private readonly meanValue: Float64Array;
  private readonly bonus: Float64Array;
  private readonly ucbValue: Float64Array;

  constructor(campaign: CampaignArms, rank: Int32Array, posteriors: PosteriorView) {
    super(campaign, rank);
    const n = this.size;
    this.baseline = posteriors.baselineValue(campaign.campaignId, campaign.segment);
    this.alpha = policyParam(campaign, 'alpha');
    this.meanValue = new Float64Array(n);
    this.bonus = new Float64Array(n);
    this.ucbValue = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const arm = this.arm(i);
      const posterior = posteriors.linear(campaign.campaignId, arm.offerId);
      this.meanValue[i] = dot(posterior.mean(), arm.x) - this.baseline - this.budgetCost[i]!;
      this.bonus[i] = this.alpha * Math.sqrt(Math.max(0, posterior.variance(arm.x)));
      this.ucbValue[i] = this.meanValue[i]! + this.bonus[i]!;
    }
  }

  greedyList(maxLength: number, out: ArmList): void {
    this.rankPositive(this.meanValue, maxLength, out);
  }

  drawList(_sampler: Sampler, maxLength: number, out: ArmList): void {
    this.rankPositive(this.ucbValue, maxLength, out);
  }

  details(arm: number): Record<string, number> {
    return {
      mean_value: this.meanValue[arm]!,
      baseline_value: this.baseline,
      ucb_bonus: this.bonus[arm]!,
      ucb_value: this.ucbValue[arm]!,
      alpha: this.alpha,
      ...this.budgetDetails(arm),
    };
  }
}
