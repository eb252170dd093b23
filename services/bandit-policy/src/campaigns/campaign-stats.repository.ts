import {
  ident,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';

export interface OfferFunnel {
  readonly offerId: string;
  readonly impressions: number;
  readonly clicks: number;
  readonly redemptions: number;
  readonly spentMinor: number;
}

export const campaignStatsQueries = {
  /** Impressions, clicks, redemptions and discount cost per offer (from the hourly aggregates). */
  funnel: (shopId: string, campaignId: string, sinceMs: number): SqlFragment =>
    sql`SELECT offer_id, sum(impressions) AS impressions, sum(clicks) AS clicks,
               sum(redemptions) AS redemptions, sum(discount_cost_minor) AS spent
        FROM ${ident('offer_hourly')}
        WHERE shop_id = ${shopId} AND campaign_id = ${campaignId}
          AND hour >= toDateTime(${Math.floor(sinceMs / 1000)})
        GROUP BY offer_id`,
  /** Decisions that considered the campaign, and those where the user was held out. */
  decisions: (shopId: string, campaignId: string): SqlFragment =>
    sql`SELECT uniqExact(decision_id) AS decisions, uniqExactIf(decision_id, holdout = 1) AS holdout
        FROM ${ident('decision_candidates')}
        WHERE shop_id = ${shopId} AND campaign_id = ${campaignId}`,
};

/** Campaign figures from ClickHouse for CampaignService.GetCampaignStats. */
export class CampaignStatsRepository {
  constructor(private readonly ch: ClickHouseClient) {}

  async funnel(shopId: string, campaignId: string, sinceMs = 0): Promise<OfferFunnel[]> {
    const rows = await queryRows<{
      offer_id: string;
      impressions: string;
      clicks: string;
      redemptions: string;
      spent: string;
    }>(this.ch, campaignStatsQueries.funnel(shopId, campaignId, sinceMs));
    return rows.map((r) => ({
      offerId: r.offer_id,
      impressions: toSafeInt(r.impressions),
      clicks: toSafeInt(r.clicks),
      redemptions: toSafeInt(r.redemptions),
      spentMinor: toSafeInt(r.spent),
    }));
  }

  async decisions(
    shopId: string,
    campaignId: string,
  ): Promise<{ decisions: number; holdout: number }> {
    const [r] = await queryRows<{ decisions: string; holdout: string }>(
      this.ch,
      campaignStatsQueries.decisions(shopId, campaignId),
    );
    return { decisions: toSafeInt(r?.decisions ?? 0), holdout: toSafeInt(r?.holdout ?? 0) };
  }
}
