import {
  ident,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';
import type { EventRow } from './event-row';

/** The SQL the repository runs (exported so compatibility checks run the very same text). */
export const eventsQueries = {
  countByType: (shopId: string): SqlFragment =>
    sql`SELECT event_type, count() AS n FROM ${ident('events')} FINAL WHERE shop_id = ${shopId} GROUP BY event_type ORDER BY event_type`,
  findById: (shopId: string, eventId: string): SqlFragment =>
    sql`SELECT *, toUnixTimestamp(event_time) AS event_time, toUnixTimestamp(ingested_at) AS ingested_at
        FROM ${ident('events')} FINAL WHERE shop_id = ${shopId} AND event_id = ${eventId} LIMIT 1`,
};

/** Reads and writes the ClickHouse `events` table. */
export class EventsRepository {
  constructor(private readonly client: ClickHouseClient) {}

  /**
   * Inserts rows and resolves once ClickHouse acknowledged them. Re-inserting the same
   * events (a retry, a re-delivery) is harmless: rows collapse on their sort key.
   * DateTime columns are sent as epoch seconds, which every server version reads as UTC.
   */
  async insert(rows: readonly EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table: 'events', values: [...rows], format: 'JSONEachRow' });
  }

  /** Distinct events for a shop, counted by type (re-deliveries counted once). */
  async countByType(shopId: string): Promise<Record<string, number>> {
    const rows = await queryRows<{ event_type: string; n: string }>(
      this.client,
      eventsQueries.countByType(shopId),
    );
    return Object.fromEntries(rows.map((r) => [r.event_type, Number(r.n)]));
  }

  /** One event by id, as stored (the newest version when duplicates have not merged yet). */
  async findById(shopId: string, eventId: string): Promise<EventRow | undefined> {
    const rows = await queryRows<Record<keyof EventRow, unknown>>(
      this.client,
      eventsQueries.findById(shopId, eventId),
    );
    return rows[0] && fromStored(rows[0]);
  }
}

/** ClickHouse's JSON quotes 64-bit integers; bring them back to numbers. */
function fromStored(r: Record<keyof EventRow, unknown>): EventRow {
  const int = (v: unknown) => toSafeInt(v as string | number);
  return {
    ...(r as unknown as EventRow),
    event_time: int(r.event_time),
    event_time_ms: int(r.event_time_ms),
    price_minor: int(r.price_minor),
    discount_minor: int(r.discount_minor),
    unit_cost_minor: r.unit_cost_minor === null ? null : int(r.unit_cost_minor),
    ingested_at: int(r.ingested_at),
  };
}
