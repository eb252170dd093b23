import {
  execSql,
  ident,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';

/** How a table is partitioned: `toYYYYMMDD(t)` (day) or `toYYYYMM(t)` (month). */
export type PartitionGranularity = 'day' | 'month';

/** One partition of a table, summed over its active parts. */
export interface PartitionInfo {
  /** The partition value as system.parts prints it, e.g. "20260923" or "202609". */
  readonly partition: string;
  /** Newest time in the partition (epoch seconds), from the parts' min-max index. */
  readonly maxTime: number;
  readonly rows: number;
  readonly parts: number;
}

/**
 * The SQL the repository runs (exported so compatibility checks run the very same text).
 * 18.16's system.parts has `partition`, `active` and `max_time` (filled from the min-max
 * index of a DateTime partition key; `max_date` stays 0000-00-00 for DateTime keys), as
 * current releases do.
 */
export const retentionQueries = {
  /** Active partitions of a table in the client's database. */
  partitions: (table: string): SqlFragment =>
    sql`SELECT partition, toUnixTimestamp(max(max_time)) AS max_time, sum(rows) AS rows, count() AS parts
FROM system.parts
WHERE database = currentDatabase() AND table = ${table} AND active
GROUP BY partition ORDER BY partition`,

  /**
   * The partition value an instant falls in, computed by the server so that its time zone
   * (which toYYYYMMDD uses when partitioning) decides, not ours.
   */
  partitionAt: (at: Date, granularity: PartitionGranularity): SqlFragment =>
    granularity === 'day'
      ? sql`SELECT toString(toYYYYMMDD(${at})) AS partition`
      : sql`SELECT toString(toYYYYMM(${at})) AS partition`,

  /** Drops one partition of a numeric (toYYYYMMDD / toYYYYMM) partition key. */
  dropPartition: (table: string, partition: number): SqlFragment =>
    sql`ALTER TABLE ${ident(table)} DROP PARTITION ${partition}`,
};

/** Partitions of ClickHouse tables: list them, drop them. */
export class RetentionRepository {
  constructor(private readonly client: ClickHouseClient) {}

  async partitions(table: string): Promise<PartitionInfo[]> {
    const rows = await queryRows<{
      partition: string;
      max_time: number | string;
      rows: number | string;
      parts: number | string;
    }>(this.client, retentionQueries.partitions(table));
    return rows.map((r) => ({
      partition: r.partition,
      maxTime: toSafeInt(r.max_time),
      rows: toSafeInt(r.rows),
      parts: toSafeInt(r.parts),
    }));
  }

  /** The partition value `at` falls in ("20260923" for day, "202609" for month). */
  async partitionAt(at: Date, granularity: PartitionGranularity): Promise<string> {
    // DateTime has whole seconds; the partition of the second is the partition of the instant.
    const second = new Date(Math.floor(at.getTime() / 1000) * 1000);
    const rows = await queryRows<{ partition: string }>(
      this.client,
      retentionQueries.partitionAt(second, granularity),
    );
    const p = rows[0]?.partition;
    if (p === undefined) throw new Error('the server returned no partition value');
    return p;
  }

  /**
   * Drops a partition with all its rows, at once (no mutation). Fails on a partition bigger
   * than the server's max_partition_size_to_drop (50 GB by default).
   */
  async dropPartition(table: string, partition: string): Promise<void> {
    if (!/^\d{6}(\d{2})?$/.test(partition)) {
      throw new RangeError(`not a day or month partition value: ${JSON.stringify(partition)}`);
    }
    await execSql(this.client, retentionQueries.dropPartition(table, Number(partition)));
  }
}
