import { type ArmList, BaseCampaignPolicy, modelOrLinearValue } from './campaign-policy';
import { type CampaignArms, type PosteriorView } from './policy.types';
import { type Sampler } from './sampling';

/**
 * No learning: the campaign's offers in rule order (lowest `ruleOrder` first, ties by
 * offerId), always shown — campaigns.proto promises "always the best eligible offer", so
 * "no offer" does not compete here. The budget-priced model value (else the linear
 * posterior's mean) only places the campaign's offers against other campaigns' in the slate.
 */
export class FixedRulePolicy extends BaseCampaignPolicy {
  readonly exact = true;
  readonly deterministic = true;
  private readonly value: Float64Array;
  private readonly order: Int32Array;

  constructor(campaign: CampaignArms, rank: Int32Array, posteriors: PosteriorView) {
    super(campaign, rank);
    const n = this.size;
    this.value = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.value[i] = modelOrLinearValue(campaign, this.arm(i), posteriors) - this.budgetCost[i]!;
    }
    this.order = Int32Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => this.arm(a).ruleOrder - this.arm(b).ruleOrder || rank[a]! - rank[b]!,
    );
  }

  greedyList(maxLength: number, out: ArmList): void {
    out.length = 0;
    const limit = Math.min(maxLength, this.size);
    for (let k = 0; k < limit; k++) {
      const i = this.order[k]!;
      out.push(i, this.value[i]!);
    }
  }

  drawList(_sampler: Sampler, maxLength: number, out: ArmList): void {
    this.greedyList(maxLength, out);
  }

  details(arm: number): Record<string, number> {
    return {
      mean_value: this.value[arm]!,
      rule_order: this.arm(arm).ruleOrder,
      ...this.budgetDetails(arm),
    };
  }
}
