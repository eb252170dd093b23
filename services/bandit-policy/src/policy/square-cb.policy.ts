import { policyParam } from './campaign-policy';
import { type CampaignArms, type PosteriorView } from './policy.types';
import { SequentialChoicePolicy } from './sequential-choice.policy';

/**
 * SquareCB (Foster & Rakhlin 2020), inverse-gap weighting over the K options (remaining
 * arms + "no offer" at value 0): p(a) = 1 / (K + γ·(v* − v(a))/s) for every option but the
 * best, which gets the rest.
 *
 * γ was tuned for rewards in [0, 1], but values here are in minor units of a currency (or
 * in conversions), so gaps are divided by a scale s: the campaign's `scale` parameter when
 * given and positive, otherwise the largest |value| among its arms in this decision. Gaps
 * then lie in [0, 2] whatever the currency, and γ = 100 means the same everywhere.
 */
export class SquareCbPolicy extends SequentialChoicePolicy {
  private readonly gamma: number;
  private readonly scale: number;

  constructor(campaign: CampaignArms, rank: Int32Array, posteriors: PosteriorView) {
    super(campaign, rank, posteriors);
    this.gamma = Math.max(0, policyParam(campaign, 'gamma'));
    const given = campaign.params['scale'];
    let largest = 0;
    for (let i = 0; i < this.size; i++) largest = Math.max(largest, Math.abs(this.value[i]!));
    // All values 0: every gap is 0 and any positive scale gives the same (uniform) answer.
    this.scale = given !== undefined && given > 0 ? given : largest > 0 ? largest : 1;
  }

  protected distribution(
    remaining: Uint8Array,
    remainingCount: number,
    probs: Float64Array,
  ): number {
    const k = remainingCount + 1;
    const g = this.gamma / this.scale;
    const best = this.bestRemaining(remaining);
    const vStar = best < 0 ? 0 : this.value[best]!;
    let others = 0;
    for (let i = 0; i < this.size; i++) {
      if (remaining[i] !== 1 || i === best) {
        probs[i] = 0;
        continue;
      }
      const p = 1 / (k + g * (vStar - this.value[i]!));
      probs[i] = p;
      others += p;
    }
    if (best < 0) return 1 - others;
    const pNone = 1 / (k + g * vStar);
    probs[best] = 1 - others - pNone;
    return pNone;
  }

  details(arm: number): Record<string, number> {
    return {
      mean_value: this.value[arm]!,
      gamma: this.gamma,
      gap_scale: this.scale,
      ...this.budgetDetails(arm),
    };
  }
}
