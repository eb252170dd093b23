import {
  ident,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';
import type { HourlyDecisions } from './traffic-profile';

export const trafficQueries = {
  /**
   * Decisions per shop and UTC hour of the day since `fromMs` (holdout and empty answers
   * included: every GetOffers is traffic), and the earliest of them. The hour is computed
   * from the Unix time, so the server's time zone plays no part. `uniq` counts a
   * re-delivered decision once before the table's merge does, approximately, which is all
   * a shape needs.
   */
  hourly: (fromMs: number): SqlFragment =>
    sql`SELECT shop_id, modulo(intDiv(toUInt32(served_at), 3600), 24) AS hour,
               uniq(decision_id) AS decisions, min(served_at_ms) AS first_ms
        FROM ${ident('decisions')}
        WHERE served_at >= toDateTime(${Math.floor(fromMs / 1000)})
        GROUP BY shop_id, hour
        ORDER BY shop_id, hour`,
};

/** Reads every shop's decisions per hour of the day from the decision log (budget pacing's plan shape). */
export class TrafficProfileRepository {
  constructor(private readonly ch: ClickHouseClient) {}

  async hourly(fromMs: number): Promise<HourlyDecisions[]> {
    const rows = await queryRows<{
      shop_id: string;
      hour: number | string;
      decisions: number | string;
      first_ms: number | string;
    }>(this.ch, trafficQueries.hourly(fromMs));
    return rows.map((r) => ({
      shopId: r.shop_id,
      hour: toSafeInt(r.hour),
      decisions: toSafeInt(r.decisions),
      firstMs: toSafeInt(r.first_ms),
    }));
  }
}
