import { PolicyType } from '@offerstream/contracts';
import type { Logger } from '@offerstream/logging';
import { ArmList } from '../policy/campaign-policy';
import { createCampaignPolicy } from '../policy/policies';
import type { CampaignArms, PolicyKind, PosteriorView } from '../policy/policy.types';

const LEARNERS: Partial<Record<number, PolicyKind>> = {
  [PolicyType.POLICY_TYPE_THOMPSON_BETA]: 'thompson_beta',
  [PolicyType.POLICY_TYPE_LINEAR_THOMPSON]: 'linear_thompson',
  [PolicyType.POLICY_TYPE_LIN_UCB]: 'lin_ucb',
  [PolicyType.POLICY_TYPE_EPSILON_GREEDY]: 'epsilon_greedy',
  [PolicyType.POLICY_TYPE_SQUARE_CB]: 'square_cb',
};

interface Track {
  readonly window: Uint8Array;
  next: number;
  seen: number;
  agreed: number;
  graduated: boolean;
}

/** The arm a policy's means alone put first, or undefined for "no offer". */
export function greedyTop(c: CampaignArms, posteriors: PosteriorView): string | undefined {
  const rank = Int32Array.from(
    c.arms.map((_, i) => i).sort((a, b) => (c.arms[a]!.offerId < c.arms[b]!.offerId ? -1 : 1)),
  );
  const order = new Int32Array(rank.length);
  rank.forEach((arm, pos) => (order[arm] = pos));
  const list = new ArmList(1);
  createCampaignPolicy(c, posteriors, order).greedyList(1, list);
  return list.length > 0 ? c.arms[list.arm[0]!]!.offerId : undefined;
}

/**
 * Apprentice mode (a FIXED_RULE campaign with a `learner`): the business rule serves while
 * the learner, in its shadow, says what it would have shown; once the learner agrees with
 * the rule on `graduate_agreement` of the last `graduate_min_decisions` decisions, the
 * learner takes over. Agreement is tracked per replica (each replica graduates on its own
 * traffic, which is the same traffic in distribution).
 */
export class ApprenticeService {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly logger: Logger) {}

  /** The policy to serve for `c` now (the rule, or the learner once it graduated). */
  resolve(c: CampaignArms, posteriors: PosteriorView): CampaignArms {
    const learnerType = c.params.learner;
    if (c.policy !== 'fixed_rule' || learnerType === undefined) return c;
    const kind = LEARNERS[learnerType];
    if (!kind) return c;
    const minDecisions = Math.max(1, Math.round(c.params.graduate_min_decisions ?? 1000));
    const threshold = c.params.graduate_agreement ?? 0.9;
    let t = this.tracks.get(c.campaignId);
    if (!t || t.window.length !== minDecisions) {
      t = { window: new Uint8Array(minDecisions), next: 0, seen: 0, agreed: 0, graduated: false };
      this.tracks.set(c.campaignId, t);
    }
    const learner: CampaignArms = { ...c, policy: kind, params: {} };
    if (t.graduated) return learner;
    const ruleTop = [...c.arms].sort((a, b) => a.ruleOrder - b.ruleOrder)[0]?.offerId;
    const agree = greedyTop(learner, posteriors) === ruleTop ? 1 : 0;
    if (t.seen === minDecisions) t.agreed -= t.window[t.next]!;
    else t.seen++;
    t.window[t.next] = agree;
    t.agreed += agree;
    t.next = (t.next + 1) % minDecisions;
    if (t.seen >= minDecisions && t.agreed / t.seen >= threshold) {
      t.graduated = true;
      this.logger.info(
        { campaignId: c.campaignId, learner: kind, agreement: t.agreed / t.seen },
        'apprentice graduated: the learner now serves this campaign',
      );
    }
    return c;
  }

  /** Agreement so far (tests, metrics). */
  agreement(campaignId: string): { seen: number; agreed: number; graduated: boolean } | undefined {
    const t = this.tracks.get(campaignId);
    return t && { seen: t.seen, agreed: t.agreed, graduated: t.graduated };
  }
}
