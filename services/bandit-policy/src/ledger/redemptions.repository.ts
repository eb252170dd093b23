import {
  ident,
  joinSql,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';

/** What one decision's offer cost when it was redeemed. */
export interface Redemption {
  readonly decisionId: string;
  readonly offerId: string;
  readonly costMinor: number;
  readonly units: number;
}

export const redemptionsQueries = {
  /** Redemptions (offer_redeem events) of some users' decisions since `fromMs`. */
  of: (
    shopId: string,
    userIds: readonly string[],
    decisionIds: readonly string[],
    fromMs: number,
  ): SqlFragment =>
    sql`SELECT decision_id, offer_id, sum(discount_minor) AS cost, count() AS units
        FROM (SELECT DISTINCT event_id, decision_id, offer_id, discount_minor FROM ${ident('events')}
              WHERE shop_id = ${shopId} AND user_id IN (${joinSql(userIds.map((u) => sql`${u}`))})
                AND event_time >= toDateTime(${Math.floor(fromMs / 1000)})
                AND event_type = 'offer_redeem'
                AND decision_id IN (${joinSql(decisionIds.map((d) => sql`${d}`))}))
        GROUP BY decision_id, offer_id`,
};

/** Reads redemptions from the stored events (to settle reservations when offers expire). */
export class RedemptionsRepository {
  constructor(private readonly ch: ClickHouseClient) {}

  async of(
    shopId: string,
    userIds: readonly string[],
    decisionIds: readonly string[],
    fromMs: number,
  ): Promise<Redemption[]> {
    if (decisionIds.length === 0) return [];
    const rows = await queryRows<{
      decision_id: string;
      offer_id: string;
      cost: string;
      units: string;
    }>(this.ch, redemptionsQueries.of(shopId, userIds, decisionIds, fromMs));
    return rows.map((r) => ({
      decisionId: r.decision_id,
      offerId: r.offer_id,
      costMinor: toSafeInt(r.cost),
      units: toSafeInt(r.units),
    }));
  }
}
