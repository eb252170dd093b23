import { queryRows, sql, type ClickHouseClient } from '@offerstream/clickhouse';

/** Rows stored in `events` for a user of shop-f (ingest has taken them in). */
export async function countRows(ch: ClickHouseClient, userId: string): Promise<number> {
  const rows = await queryRows<{ n: string }>(
    ch,
    sql`SELECT count() AS n FROM events WHERE shop_id = 'shop-f' AND user_id = ${userId}`,
  );
  return Number(rows[0]?.n ?? 0);
}
