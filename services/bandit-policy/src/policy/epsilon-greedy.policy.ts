import { policyParam } from './campaign-policy';
import { type CampaignArms, type PosteriorView } from './policy.types';
import { SequentialChoicePolicy } from './sequential-choice.policy';

/**
 * ε-greedy over the K options (remaining arms + "no offer"): the best with probability
 * 1 − ε + ε/K, every other option ε/K. `epsilon` is clamped to [0, 1]; the optional decay
 * of campaigns.proto is not applied here (the caller may pass an already-decayed ε).
 */
export class EpsilonGreedyPolicy extends SequentialChoicePolicy {
  private readonly epsilon: number;

  constructor(campaign: CampaignArms, rank: Int32Array, posteriors: PosteriorView) {
    super(campaign, rank, posteriors);
    this.epsilon = Math.min(1, Math.max(0, policyParam(campaign, 'epsilon')));
  }

  protected distribution(
    remaining: Uint8Array,
    remainingCount: number,
    probs: Float64Array,
  ): number {
    const explore = this.epsilon / (remainingCount + 1);
    for (let i = 0; i < this.size; i++) probs[i] = remaining[i] === 1 ? explore : 0;
    const best = this.bestRemaining(remaining);
    if (best < 0) return explore + (1 - this.epsilon);
    probs[best] = explore + (1 - this.epsilon);
    return explore;
  }

  details(arm: number): Record<string, number> {
    return { mean_value: this.value[arm]!, epsilon: this.epsilon, ...this.budgetDetails(arm) };
  }
}
