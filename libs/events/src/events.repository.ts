import {
  ident,
  insertTabSeparated,
  joinSql,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';
import { eventKey } from './aggregates.repository';
import { EVENT_COLUMNS, type EventRow } from './event-row';

/** The SQL the repository runs (exported so compatibility checks run the very same text). */
export const eventsQueries = {
  countByType: (shopId: string): SqlFragment =>
    sql`SELECT event_type, count() AS n FROM ${ident('events')} FINAL WHERE shop_id = ${shopId} GROUP BY event_type ORDER BY event_type`,
  findById: (shopId: string, eventId: string): SqlFragment =>
    sql`SELECT *, toUnixTimestamp(event_time) AS event_time, toUnixTimestamp(ingested_at) AS ingested_at
        FROM ${ident('events')} FINAL WHERE shop_id = ${shopId} AND event_id = ${eventId} LIMIT 1`,
  /** Which of these events the table holds, looked up by its full sort key (a primary-key read). */
  storedAmong: (
    keys: readonly { shopId: string; userId: string; eventTime: Date; eventId: string }[],
  ): SqlFragment =>
    sql`SELECT DISTINCT shop_id, event_id FROM ${ident('events')}
        WHERE (shop_id, user_id, event_time, event_id) IN (${joinSql(
          keys.map(
            (k) =>
              sql`(${k.shopId}, ${k.userId}, toDateTime(${Math.floor(k.eventTime.getTime() / 1000)}), ${k.eventId})`,
          ),
        )})`,
};

/** Keys per storedAmong query: keeps the statement well under max_query_size (256 KiB). */
const STORED_AMONG_CHUNK = 500;

/** Reads and writes the ClickHouse `events` table. */
export class EventsRepository {
  constructor(private readonly client: ClickHouseClient) {}

  /**
   * Inserts rows and resolves once ClickHouse acknowledged them. Re-inserting the same
   * events (a retry, a re-delivery) is harmless: rows collapse on their sort key.
   * DateTime columns are sent as epoch seconds, which every server version reads as UTC.
   */
  async insert(rows: readonly EventRow[]): Promise<void> {
    await insertTabSeparated(this.client, 'events', EVENT_COLUMNS, rows);
  }

  /**
   * Keys (`eventKey`) of the given events that are already stored — asked after a failed or
   * interrupted insert, whose rows may have landed even though the answer did not.
   */
  async storedAmong(
    events: readonly {
      shopId: string;
      userId: string;
      eventTime?: Date | undefined;
      eventId: string;
    }[],
  ): Promise<Set<string>> {
    const found = new Set<string>();
    const keys = events.flatMap((e) =>
      e.eventTime
        ? [{ shopId: e.shopId, userId: e.userId, eventTime: e.eventTime, eventId: e.eventId }]
        : [],
    );
    for (let i = 0; i < keys.length; i += STORED_AMONG_CHUNK) {
      const rows = await queryRows<{ shop_id: string; event_id: string }>(
        this.client,
        eventsQueries.storedAmong(keys.slice(i, i + STORED_AMONG_CHUNK)),
      );
      for (const r of rows) found.add(eventKey(r.shop_id, r.event_id));
    }
    return found;
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
