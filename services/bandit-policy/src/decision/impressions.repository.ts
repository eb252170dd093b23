import {
  ident,
  joinSql,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';

/** One past impression of a campaign's offers to a user. */
export interface PastImpression {
  readonly campaignId: string;
  readonly atMs: number;
}

export const impressionsQueries = {
  /**
   * The user's shown slots since `fromMs`: non-deferred decisions count when returned,
   * deferred ones when their impression activated them (`decisions` is sorted by user).
   */
  shown: (shopId: string, userId: string, fromMs: number): SqlFragment =>
    sql`SELECT DISTINCT decision_id, served_at_ms, deferred, slot_campaign_ids
        FROM ${ident('decisions')}
        WHERE shop_id = ${shopId} AND user_id = ${userId}
          AND served_at >= toDateTime(${Math.floor(fromMs / 1000)}) AND length(slot_campaign_ids) > 0`,
  activated: (shopId: string, decisionIds: readonly string[]): SqlFragment =>
    sql`SELECT DISTINCT decision_id, activated_at_ms FROM ${ident('decision_activations')}
        WHERE shop_id = ${shopId} AND status = 'activated'
          AND decision_id IN (${joinSql(decisionIds.map((d) => sql`${d}`))})`,
};

/** Reads a user's past impressions from the decision log (frequency caps after a restart). */
export class ImpressionsRepository {
  constructor(private readonly ch: ClickHouseClient) {}

  async shown(shopId: string, userId: string, fromMs: number): Promise<PastImpression[]> {
    const rows = await queryRows<{
      decision_id: string;
      served_at_ms: string;
      deferred: number;
      slot_campaign_ids: string[];
    }>(this.ch, impressionsQueries.shown(shopId, userId, fromMs));
    const deferred = rows.filter((r) => r.deferred === 1).map((r) => r.decision_id);
    const activated = new Map<string, number>();
    if (deferred.length > 0)
      for (const a of await queryRows<{ decision_id: string; activated_at_ms: string }>(
        this.ch,
        impressionsQueries.activated(shopId, deferred),
      ))
        activated.set(a.decision_id, toSafeInt(a.activated_at_ms));
    const out: PastImpression[] = [];
    for (const r of rows) {
      const at = r.deferred === 1 ? activated.get(r.decision_id) : toSafeInt(r.served_at_ms);
      if (at === undefined) continue;
      for (const campaignId of new Set(r.slot_campaign_ids)) out.push({ campaignId, atMs: at });
    }
    return out;
  }
}
