import { queryRows, sql } from '@offerstream/clickhouse';
import { Event, EventType } from '@offerstream/contracts';
import { AggregatesRepository, eventKey, EventsRepository, toEventRow } from '@offerstream/events';
import { freshDatabase, testLogger } from '../../../test/support/infra';
import { RetentionRepository } from '../src/retention.repository';
import { RetentionService, type DroppedPartition } from '../src/retention.service';

const SHOP = 'shop-retention';
const DAY_MS = 86_400_000;

describe('retention drops whole expired partitions on the real server', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('drops the partitions of 60-day-old events and their aggregates, keeps recent ones', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const old = new Date(now.getTime() - 60 * DAY_MS);
    const recent = new Date(now.getTime() - 60_000);
    const row = (id: string, when: Date) =>
      toEventRow(
        Event.fromPartial({
          eventId: id,
          type: EventType.EVENT_TYPE_VIEW,
          shopId: SHOP,
          userId: 'u1',
          itemId: 'i1',
          eventTime: when,
        }),
        // Ingested when it happened, so event_dedup's partitions age with the events'.
        when,
      );
    const events = new EventsRepository(db.client);
    await events.insert([row('old-1', old), row('old-2', old), row('old-3', old)]);
    await events.insert([row('new-1', recent), row('new-2', recent)]);

    // The server's own partition values (its time zone partitions the tables).
    const [keys] = await queryRows<{
      oldDay: string;
      oldMonth: string;
      newDay: string;
      oldHour: number;
    }>(
      db.client,
      sql`SELECT toString(toYYYYMMDD(${old})) AS oldDay, toString(toYYYYMM(${old})) AS oldMonth,
                 toString(toYYYYMMDD(${recent})) AS newDay,
                 toUnixTimestamp(toStartOfHour(${old})) AS oldHour`,
    );
    const repository = new RetentionRepository(db.client);
    const sut = new RetentionService(repository, testLogger, {
      tables: [
        { name: 'events', partitionBy: 'day', maxAgeDays: 30 },
        { name: 'event_dedup', partitionBy: 'day', maxAgeDays: 30 },
        // A month-partitioned table: a 1-day limit still keeps the current month.
        { name: 'user_hourly', partitionBy: 'month', maxAgeDays: 1 },
        { name: 'item_hourly', partitionBy: 'month', maxAgeDays: 400 },
      ],
    });

    const dropped = await sut.runOnce(now);

    expect(dropped).toEqual<DroppedPartition[]>([
      { table: 'events', partition: keys!.oldDay, rows: 3, maxTime: old },
      { table: 'event_dedup', partition: keys!.oldDay, rows: 3, maxTime: old },
      // The view grouped the three events of one user and hour into one row.
      {
        table: 'user_hourly',
        partition: keys!.oldMonth,
        rows: 1,
        maxTime: new Date(keys!.oldHour * 1000),
      },
    ]);
    expect((await repository.partitions('events')).map((p) => p.partition)).toEqual([keys!.newDay]);
    expect(await events.countByType(SHOP)).toEqual({ view: 2 });
    const aggregates = new AggregatesRepository(db.client);
    expect(
      await aggregates.existingEventIds(
        ['old-1', 'new-1'].map((eventId) => ({ shopId: SHOP, eventId })),
      ),
    ).toEqual(new Set([eventKey(SHOP, 'new-1')]));
    const from = new Date(old.getTime() - DAY_MS);
    const to = new Date(now.getTime() + DAY_MS);
    expect((await aggregates.userHourly(SHOP, 'u1', from, to)).map((h) => h.views)).toEqual([2]);
    // item_hourly keeps 400 days: both hours are still there.
    expect((await aggregates.itemHourly(SHOP, 'i1', from, to)).map((h) => h.views)).toEqual([3, 2]);

    // Nothing left to drop: a second run is a no-op.
    expect(await sut.runOnce(now)).toEqual([]);
  });
});
