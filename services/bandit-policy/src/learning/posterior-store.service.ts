import { RidgeArmPosterior } from '../policy/linear-posterior';
import {
  POLICY_CONTEXT_DIM,
  type LinearArmPosterior,
  type PosteriorView,
} from '../policy/policy.types';

/** The part of a final reward the posteriors learn from. */
export interface LearnedReward {
  readonly rewardId: string;
  /** Tenant: ids are scoped by shop, so is everything learned. */
  readonly shopId: string;
  readonly revision: number;
  readonly campaignId: string;
  /** '' for a control (holdout / no-offer) reward. */
  readonly offerId: string;
  readonly segment: string;
  readonly purchased: boolean;
  /** Reward in the campaign objective's unit. */
  readonly value: number;
  /** The policy context vector of the rewarded offer; empty for control rewards. */
  readonly x: ArrayLike<number>;
}

interface Counts {
  n: number;
  conversions: number;
  /** Sum of the reward values. */
  value: number;
}

interface Applied {
  readonly revision: number;
  readonly purchased: boolean;
  readonly value: number;
}

const key2 = (a: string, b: string) => `${a}\u0000${b}`;
/** A campaign within its shop. */
const scope = (shopId: string, campaignId: string) => `${shopId}\u0001${campaignId}`;
const key3 = (a: string, b: string, c: string) => `${a}\u0000${b}\u0000${c}`;

/**
 * What the policies have learned: Beta conversion counts per offer × segment (and per
 * campaign × segment for showing nothing), ridge posteriors per offer over the policy
 * context. Updated once per reward revision — a re-delivered reward is recognised by its
 * id and revision; a later revision (refund, late event) replaces the earlier one's
 * contribution. State is sums, so the order rewards arrive in does not matter: every
 * replica folding the same rewards holds the same posteriors.
 */
export class PosteriorStore {
  private readonly offers = new Map<string, Counts>();
  private readonly baselines = new Map<string, Counts>();
  private readonly linears = new Map<string, RidgeArmPosterior>();
  private readonly applied = new Map<string, Applied>();
  private rewardsSeen = 0;

  constructor(
    /** Ridge λ of the linear posteriors. */
    private readonly lambda = 1,
    /** Most reward ids remembered to recognise re-deliveries and revisions. */
    private readonly maxRemembered = 1_000_000,
  ) {}

  /** Rewards folded so far (metrics). */
  get count(): number {
    return this.rewardsSeen;
  }

  /**
   * Folds one final reward revision. Returns false when it was already applied (same or
   * older revision).
   */
  learn(r: LearnedReward): boolean {
    const before = this.applied.get(r.rewardId);
    if (before && before.revision >= r.revision) return false;
    const counts = r.offerId === '' ? this.baselineCounts(r) : this.offerCounts(r);
    const campaign = scope(r.shopId, r.campaignId);
    if (before) {
      counts.conversions += Number(r.purchased) - Number(before.purchased);
      counts.value += r.value - before.value;
      if (r.offerId !== '' && r.x.length === POLICY_CONTEXT_DIM)
        this.linearOf(campaign, r.offerId).adjustReward(
          Float64Array.from(r.x),
          r.value - before.value,
        );
      this.applied.delete(r.rewardId);
    } else {
      counts.n++;
      counts.conversions += Number(r.purchased);
      counts.value += r.value;
      if (r.offerId !== '' && r.x.length === POLICY_CONTEXT_DIM)
        this.linearOf(campaign, r.offerId).update(Float64Array.from(r.x), r.value);
      this.rewardsSeen++;
    }
    this.applied.set(r.rewardId, { revision: r.revision, purchased: r.purchased, value: r.value });
    if (this.applied.size > this.maxRemembered) {
      // Maps iterate in insertion order: drop the oldest.
      const oldest = this.applied.keys().next().value;
      if (oldest !== undefined) this.applied.delete(oldest);
    }
    return true;
  }

  private offerCounts(r: LearnedReward): Counts {
    const k = key3(scope(r.shopId, r.campaignId), r.offerId, r.segment);
    let c = this.offers.get(k);
    if (!c) this.offers.set(k, (c = { n: 0, conversions: 0, value: 0 }));
    return c;
  }

  private baselineCounts(r: LearnedReward): Counts {
    const k = key2(scope(r.shopId, r.campaignId), r.segment);
    let c = this.baselines.get(k);
    if (!c) this.baselines.set(k, (c = { n: 0, conversions: 0, value: 0 }));
    return c;
  }

  private linearOf(campaign: string, offerId: string): RidgeArmPosterior {
    const k = key2(campaign, offerId);
    let p = this.linears.get(k);
    if (!p) this.linears.set(k, (p = new RidgeArmPosterior(POLICY_CONTEXT_DIM, this.lambda)));
    return p;
  }

  /** What a shop's policies read: its campaigns' posteriors (ids are scoped by shop). */
  forShop(shopId: string): PosteriorView {
    return {
      offerConversion: (campaignId, offerId, segment) => {
        const c = this.offers.get(key3(scope(shopId, campaignId), offerId, segment));
        return c
          ? { alpha: 1 + c.conversions, beta: 1 + c.n - c.conversions }
          : { alpha: 1, beta: 1 };
      },
      baselineConversion: (campaignId, segment) => {
        const c = this.baselines.get(key2(scope(shopId, campaignId), segment));
        return c
          ? { alpha: 1 + c.conversions, beta: 1 + c.n - c.conversions }
          : { alpha: 1, beta: 1 };
      },
      baselineValue: (campaignId, segment) => {
        const c = this.baselines.get(key2(scope(shopId, campaignId), segment));
        return c && c.n > 0 ? c.value / c.n : 0;
      },
      linear: (campaignId, offerId): LinearArmPosterior =>
        this.linearOf(scope(shopId, campaignId), offerId),
    };
  }

  /** Observations behind an offer's linear posterior, for explanations. */
  observations(shopId: string, campaignId: string, offerId: string): number {
    return this.linears.get(key2(scope(shopId, campaignId), offerId))?.count ?? 0;
  }
}
