import {
  ident,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';

/** A final reward as the posteriors and ledgers need it at start. */
export interface StoredReward {
  readonly rewardId: string;
  readonly revision: number;
  readonly decisionId: string;
  readonly shopId: string;
  readonly campaignId: string;
  readonly offerId: string;
  readonly segment: string;
  readonly purchased: boolean;
  readonly value: number;
  readonly x: readonly number[];
  readonly discountCostMinor: number;
  readonly servedAtMs: number;
}

export const rewardsQueries = {
  /** The latest revision of every final reward served since `fromMs`. */
  latestSince: (fromMs: number): SqlFragment =>
    sql`SELECT reward_id, max(revision) AS r_revision,
               argMax(decision_id, revision) AS r_decision_id, argMax(shop_id, revision) AS r_shop_id,
               argMax(campaign_id, revision) AS r_campaign_id, argMax(offer_id, revision) AS r_offer_id,
               argMax(segment, revision) AS r_segment, argMax(purchased, revision) AS r_purchased,
               argMax(reward_value, revision) AS r_reward_value,
               argMax(policy_features, revision) AS r_policy_features,
               argMax(discount_cost_minor, revision) AS r_discount_cost_minor,
               argMax(served_at_ms, revision) AS r_served_at_ms
        FROM ${ident('rewards')}
        WHERE final = 1 AND served_at >= toDateTime(${Math.floor(fromMs / 1000)})
        GROUP BY reward_id`,
};

/** Reads the rewards table (the posteriors' history). */
export class RewardsRepository {
  constructor(private readonly ch: ClickHouseClient) {}

  async latestSince(fromMs: number): Promise<StoredReward[]> {
    const rows = await queryRows<{
      reward_id: string;
      r_revision: number;
      r_decision_id: string;
      r_shop_id: string;
      r_campaign_id: string;
      r_offer_id: string;
      r_segment: string;
      r_purchased: number;
      r_reward_value: number;
      r_policy_features: number[];
      r_discount_cost_minor: string | number;
      r_served_at_ms: string | number;
    }>(this.ch, rewardsQueries.latestSince(fromMs));
    return rows.map((r) => ({
      rewardId: r.reward_id,
      revision: r.r_revision,
      decisionId: r.r_decision_id,
      shopId: r.r_shop_id,
      campaignId: r.r_campaign_id,
      offerId: r.r_offer_id,
      segment: r.r_segment,
      purchased: r.r_purchased === 1,
      value: r.r_reward_value,
      x: r.r_policy_features,
      discountCostMinor: toSafeInt(r.r_discount_cost_minor),
      servedAtMs: toSafeInt(r.r_served_at_ms),
    }));
  }
}
