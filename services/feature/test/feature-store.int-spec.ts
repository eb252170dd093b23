import { execSql, ident, sql } from '@offerstream/clickhouse';
import { EventType } from '@offerstream/contracts';
import { EventsRepository, toEventRow } from '@offerstream/events';
import { HOUR_MS } from '@offerstream/features';
import { freshDatabase } from '../../../test/support/infra';
import { FeatureStoreRepository } from '../src/feature-store.repository';
import { event, type Db } from './support';

/**
 * A user load against the real ClickHouse while the hourly aggregates lag the raw events:
 * ClickHouse writes an insert into `events` before its materialized views, so a read can see
 * one without the other. The view is detached here to hold that moment open.
 */
describe('FeatureStoreRepository.loadUser', () => {
  let db: Db;
  let repo: FeatureStoreRepository;
  const user = 'u-settle';
  const now = Date.now();
  const events = [0, 1, 2].map((i) =>
    event(EventType.EVENT_TYPE_VIEW, user, 30 + i, { itemId: `sku-${i}` }),
  );
  const options = {
    fromMs: now - 30 * 24 * HOUR_MS,
    sequenceLength: 10,
    recentSinceMs: now - 60_000,
  };
  /** What user_hourly_mv would have written for `events` (they are all in one hour or two). */
  const aggregate = () =>
    execSql(
      db.client,
      sql`INSERT INTO ${ident('user_hourly')} (shop_id, user_id, hour, views)
SELECT shop_id, user_id, toStartOfHour(event_time), count() FROM ${ident('events')}
WHERE shop_id = ${'shop-f'} AND user_id = ${user} GROUP BY shop_id, user_id, toStartOfHour(event_time)`,
    );

  beforeAll(async () => {
    db = await freshDatabase();
    repo = new FeatureStoreRepository(db.client);
    await execSql(db.client, sql`DETACH TABLE ${ident('user_hourly_mv')}`);
    await new EventsRepository(db.client).insert(events.map((e) => toEventRow(e, new Date(now))));
  });

  afterAll(async () => {
    // A detached table's metadata would keep DROP DATABASE from removing the directory.
    await execSql(db.client, sql`ATTACH TABLE ${ident('user_hourly_mv')}`);
    await db?.drop();
  });

  it('reports the raw events its aggregates lack when told not to wait', async () => {
    const u = (await repo.loadUsers('shop-f', [user], options, { retries: 0, delayMs: 0 })).get(
      user,
    )!;
    expect(u.missingFromAggregates).toBe(3);
    expect(u.hours).toEqual([]);
    // The rest comes from the raw table: the stream must not count these ids again.
    expect([...u.recentIds].sort()).toEqual(events.map((e) => e.eventId).sort());
    expect(u.sequence.map((s) => s.eventId)).toEqual(events.map((e) => e.eventId).reverse());
  });

  it('reads again until the aggregates caught up, and returns them', async () => {
    const loading = repo.loadUsers('shop-f', [user], options, { retries: 8, delayMs: 20 });
    await new Promise((r) => setTimeout(r, 60));
    await aggregate();
    const u = (await loading).get(user)!;
    expect(u.missingFromAggregates).toBe(0);
    expect(u.hours.reduce((n, h) => n + h.values[0]!, 0)).toBe(3);
    expect(u.last.visit).toBe(events[0]!.eventTime!.getTime());
  });

  it('reads several users in one batch, each with its own rows', async () => {
    const got = await repo.loadUsers('shop-f', [user, 'u-nobody', user], options);
    expect([...got.keys()].sort()).toEqual(['u-nobody', user].sort());
    expect(got.get(user)!.sequence).toHaveLength(3);
    expect(got.get(user)!.missingFromAggregates).toBe(0);
    expect(got.get('u-nobody')).toEqual({
      hours: [],
      last: { visit: NaN, cart: NaN, purchase: NaN },
      sequence: [],
      recentIds: [],
      missingFromAggregates: 0,
    });
  });
});
