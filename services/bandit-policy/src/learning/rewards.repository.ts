import { ident, queryRows, sql, toSafeInt, type ClickHouseClient, type SqlFragment } from '@offerstream/clickhouse';

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
    sql`SELECT reward_id, max(revision) AS revision,
               argMax(decision_id, revision) AS decision_id, argMax(shop_id, revision) AS shop_id,
               argMax(campaign_id, revision) AS campaign_id, argMax(offer_id, revision) AS offer_id,
               argMax(segment, revision) AS segment, argMax(purchased, revision) AS purchased,
               argMax(reward_value, revision) AS reward_value,
               argMax(policy_features, revision) AS policy_features,
               argMax(discount_cost_minor, revision) AS discount_cost_minor,
               argMax(served_at_ms, revision) AS served_at_ms
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
      revision: number;
      decision_id: string;
      shop_id: string;
      campaign_id: string;
      offer_id: string;
      segment: string;
      purchased: number;
      reward_value: number;
      policy_features: number[];
      discount_cost_minor: string | number;
      served_at_ms: string | number;
    }>(this.ch, rewardsQueries.latestSince(fromMs));
    return rows.map((r) => ({
      rewardId: r.reward_id,
      revision: r.revision,
      decisionId: r.decision_id,
      shopId: r.shop_id,
      campaignId: r.campaign_id,
      offerId: r.offer_id,
      segment: r.segment,
      purchased: r.purchased === 1,
      value: r.reward_value,
      x: r.policy_features,
      discountCostMinor: toSafeInt(r.discount_cost_minor),
      servedAtMs: toSafeInt(r.served_at_ms),
    }));
  }
}
