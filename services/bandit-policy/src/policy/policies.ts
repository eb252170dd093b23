import { type CampaignPolicy } from './campaign-policy';
import { EpsilonGreedyPolicy } from './epsilon-greedy.policy';
import { FixedRulePolicy } from './fixed-rule.policy';
import { LinUcbPolicy } from './lin-ucb.policy';
import { LinearThompsonPolicy } from './linear-thompson.policy';
import { assertUnreachable } from './policy.exception';
import { type CampaignArms, type PosteriorView } from './policy.types';
import { SquareCbPolicy } from './square-cb.policy';
import { ThompsonBetaPolicy } from './thompson-beta.policy';

/**
 * The campaign's policy, prepared for one decision.
 * @param rank tie order of the campaign's arms (lower wins), e.g. their order by offerId
 */
export function createCampaignPolicy(
  campaign: CampaignArms,
  posteriors: PosteriorView,
  rank: Int32Array,
): CampaignPolicy {
  const kind = campaign.policy;
  switch (kind) {
    case 'thompson_beta':
      return new ThompsonBetaPolicy(campaign, rank, posteriors);
    case 'linear_thompson':
      return new LinearThompsonPolicy(campaign, rank, posteriors);
    case 'lin_ucb':
      return new LinUcbPolicy(campaign, rank, posteriors);
    case 'epsilon_greedy':
      return new EpsilonGreedyPolicy(campaign, rank, posteriors);
    case 'square_cb':
      return new SquareCbPolicy(campaign, rank, posteriors);
    case 'fixed_rule':
      return new FixedRulePolicy(campaign, rank, posteriors);
    default:
      return assertUnreachable(kind);
  }
}
