import { queryRows, sql, type SqlFragment } from '@offerstream/clickhouse';
import { Event, EventType } from '@offerstream/contracts';
import {
  aggregatesQueries,
  AggregatesRepository,
  eventKey,
  EventsRepository,
  toEventRow,
  type ItemHour,
  type OfferHour,
  type UserHour,
} from '@offerstream/events';
import { freshDatabase } from '../../../test/support/infra';

const SHOP = 'shop-agg';
const H10 = Date.UTC(2026, 0, 15, 10);
const HOUR = 3_600_000;
const at = (hour: number, minute: number): Date =>
  new Date(H10 + (hour - 10) * HOUR + minute * 60_000);
const hour = (h: number): Date => new Date(H10 + (h - 10) * HOUR);
const INGESTED = new Date(Date.UTC(2026, 0, 15, 13));

function ev(
  eventId: string,
  type: EventType,
  time: Date,
  fields: Partial<Event> = {},
): ReturnType<typeof toEventRow> {
  return toEventRow(
    Event.fromPartial({
      eventId,
      type,
      shopId: SHOP,
      userId: 'u1',
      currency: 'EUR',
      eventTime: time,
      ...fields,
    }),
    INGESTED,
  );
}

const offer1 = { offerId: 'o1', campaignId: 'c1', decisionId: 'd1' };

const ZERO_USER: Omit<UserHour, 'hour'> = {
  views: 0,
  clicks: 0,
  searches: 0,
  addToCarts: 0,
  removeFromCarts: 0,
  purchases: 0,
  refunds: 0,
  offerImpressions: 0,
  offerClicks: 0,
  offerRedeems: 0,
  spendMinor: 0,
  refundedMinor: 0,
  discountMinor: 0,
};
const ZERO_ITEM: Omit<ItemHour, 'hour'> = {
  views: 0,
  clicks: 0,
  addToCarts: 0,
  purchases: 0,
  units: 0,
  revenueMinor: 0,
};

describe('hourly aggregates and the dedup index, maintained by materialized views', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let events: EventsRepository;
  let sut: AggregatesRepository;

  beforeAll(async () => {
    db = await freshDatabase();
    events = new EventsRepository(db.client);
    sut = new AggregatesRepository(db.client);
    // Three inserts, so one (key, hour) is spread over several parts until a merge: the reads
    // must sum rather than trust SummingMergeTree to have merged.
    await events.insert([
      ev('e1', EventType.EVENT_TYPE_VIEW, at(10, 5), { itemId: 'i1' }),
      ev('e2', EventType.EVENT_TYPE_VIEW, at(10, 20), { itemId: 'i1' }),
      ev('e3', EventType.EVENT_TYPE_CLICK, at(10, 30), { itemId: 'i1' }),
      ev('e4', EventType.EVENT_TYPE_SEARCH, at(10, 31), { searchQuery: 'running shoes' }),
      ev('e5', EventType.EVENT_TYPE_ADD_TO_CART, at(10, 32), {
        itemId: 'i1',
        quantity: 2,
        priceMinor: 1999,
      }),
      ev('e6', EventType.EVENT_TYPE_OFFER_IMPRESSION, at(10, 33), offer1),
      ev('e7', EventType.EVENT_TYPE_OFFER_IMPRESSION, at(10, 34), { ...offer1, userId: 'u2' }),
      ev('e8', EventType.EVENT_TYPE_OFFER_IMPRESSION, at(10, 35), offer1),
      ev('e9', EventType.EVENT_TYPE_OFFER_CLICK, at(10, 36), offer1),
      ev('e10', EventType.EVENT_TYPE_VIEW, at(10, 40), { itemId: 'i1', userId: 'u2' }),
      ev('o2-imp', EventType.EVENT_TYPE_OFFER_IMPRESSION, at(10, 10), {
        offerId: 'o2',
        campaignId: 'c1',
        decisionId: 'd2',
      }),
      ev('x1', EventType.EVENT_TYPE_VIEW, at(10, 6), { shopId: 'shop-other', itemId: 'i1' }),
    ]);
    await events.insert([
      ev('e11', EventType.EVENT_TYPE_PURCHASE, at(10, 50), {
        ...offer1,
        itemId: 'i1',
        orderId: 'o-1',
        priceMinor: 1999,
        quantity: 2,
        discountMinor: 300,
      }),
      ev('e12', EventType.EVENT_TYPE_OFFER_REDEEM, at(10, 51), {
        ...offer1,
        orderId: 'o-1',
        discountMinor: 300,
      }),
      // An order-level purchase: no item, quantity 0 counts as 1.
      ev('e13', EventType.EVENT_TYPE_PURCHASE, at(10, 52), { orderId: 'o-2', priceMinor: 5000 }),
      ev('e14', EventType.EVENT_TYPE_REMOVE_FROM_CART, at(10, 45), { itemId: 'i1', quantity: 1 }),
      ev("evt-'quoted\\", EventType.EVENT_TYPE_VIEW, at(10, 46), { itemId: 'i9' }),
    ]);
    await events.insert([
      ev('e15', EventType.EVENT_TYPE_REFUND, at(11, 10), {
        itemId: 'i1',
        orderId: 'o-1',
        priceMinor: 1999,
        quantity: 1,
        discountMinor: 150,
      }),
      ev('e16', EventType.EVENT_TYPE_OFFER_IMPRESSION, at(11, 15), offer1),
      ev('e17', EventType.EVENT_TYPE_OFFER_IMPRESSION, at(11, 20), { ...offer1, userId: 'u3' }),
      ev('e18', EventType.EVENT_TYPE_PURCHASE, at(11, 25), {
        ...offer1,
        userId: 'u3',
        itemId: 'i1',
        orderId: 'o-3',
        priceMinor: 1000,
        quantity: 1,
        discountMinor: 100,
      }),
      ev('e19', EventType.EVENT_TYPE_VIEW, at(11, 30), { itemId: 'i2' }),
      // Exactly on the hour: belongs to 12:00.
      ev('e20', EventType.EVENT_TYPE_VIEW, at(12, 0), { itemId: 'i1' }),
    ]);
  });
  afterAll(async () => {
    await db.drop();
  });

  it("sums a user's activity and money per hour", async () => {
    expect(await sut.userHourly(SHOP, 'u1', hour(10), hour(13))).toEqual<UserHour[]>([
      {
        ...ZERO_USER,
        hour: hour(10),
        // i1 twice and the quoted-id view of i9.
        views: 3,
        clicks: 1,
        searches: 1,
        addToCarts: 1,
        removeFromCarts: 1,
        purchases: 2,
        offerImpressions: 3,
        offerClicks: 1,
        offerRedeems: 1,
        // 1999 × 2 − 300, plus the order-level 5000 × max(0, 1).
        spendMinor: 3698 + 5000,
        // The purchase's and the redemption's discount.
        discountMinor: 600,
      },
      {
        ...ZERO_USER,
        hour: hour(11),
        views: 1,
        refunds: 1,
        offerImpressions: 1,
        refundedMinor: 1849,
      },
      { ...ZERO_USER, hour: hour(12), views: 1 },
    ]);
  });

  it('reads [from, to) on the start of the hour', async () => {
    const hours = (rows: { hour: Date }[]) => rows.map((r) => r.hour.toISOString());
    expect(hours(await sut.userHourly(SHOP, 'u1', hour(10), hour(12)))).toEqual([
      '2026-01-15T10:00:00.000Z',
      '2026-01-15T11:00:00.000Z',
    ]);
    // Sub-second bounds: 10:00:00.001 is after the start of hour 10.
    expect(
      hours(await sut.userHourly(SHOP, 'u1', new Date(H10 + 1), new Date(H10 + 2 * HOUR + 1))),
    ).toEqual(['2026-01-15T11:00:00.000Z', '2026-01-15T12:00:00.000Z']);
    expect(await sut.userHourly(SHOP, 'nobody', hour(0), hour(23))).toEqual([]);
    expect(await sut.userHourly('shop-other', 'u1', hour(10), hour(13))).toEqual([
      { ...ZERO_USER, hour: hour(10), views: 1 },
    ]);
  });

  it("sums an item's funnel per hour, without order-level purchases or other items", async () => {
    expect(await sut.itemHourly(SHOP, 'i1', hour(10), hour(13))).toEqual<ItemHour[]>([
      {
        ...ZERO_ITEM,
        hour: hour(10),
        views: 3,
        clicks: 1,
        addToCarts: 1,
        purchases: 1,
        units: 2,
        revenueMinor: 3698,
      },
      { ...ZERO_ITEM, hour: hour(11), purchases: 1, units: 1, revenueMinor: 900 },
      { ...ZERO_ITEM, hour: hour(12), views: 1 },
    ]);
    expect(await sut.itemHourly(SHOP, '', hour(10), hour(13))).toEqual([]);
  });

  it("sums an offer's funnel and cost per hour, with distinct users per hour", async () => {
    expect(await sut.offerHourly(SHOP, 'c1', 'o1', hour(10), hour(13))).toEqual<OfferHour[]>([
      {
        hour: hour(10),
        impressions: 3,
        clicks: 1,
        redemptions: 1,
        purchases: 1,
        revenueMinor: 3698,
        // Redemptions only: the purchase line repeats the same 300.
        discountCostMinor: 300,
        uniqueUsers: { impressions: 2, clicks: 1, redemptions: 1, purchases: 1 },
      },
      {
        hour: hour(11),
        impressions: 2,
        clicks: 0,
        redemptions: 0,
        purchases: 1,
        revenueMinor: 900,
        discountCostMinor: 0,
        uniqueUsers: { impressions: 2, clicks: 0, redemptions: 0, purchases: 1 },
      },
    ]);
    expect(
      (await sut.offerHourly(SHOP, 'c1', 'o2', hour(10), hour(13))).map((h) => h.impressions),
    ).toEqual([1]);
    expect(await sut.offerHourly(SHOP, 'c2', 'o1', hour(10), hour(13))).toEqual([]);
  });

  it('counts distinct users over a window, not the sum of hourly uniques', async () => {
    // u1 was shown o1 in both hours: 2 + 2 hourly, but u1, u2, u3 overall.
    expect(await sut.offerUniqueUsers(SHOP, 'c1', 'o1', hour(10), hour(13))).toEqual({
      impressions: 3,
      clicks: 1,
      redemptions: 1,
      purchases: 2,
    });
    expect(await sut.offerUniqueUsers(SHOP, 'c1', 'o1', hour(11), hour(12))).toEqual({
      impressions: 2,
      clicks: 0,
      redemptions: 0,
      purchases: 1,
    });
    expect(await sut.offerUniqueUsers(SHOP, 'c9', 'o9', hour(10), hour(13))).toEqual({
      impressions: 0,
      clicks: 0,
      redemptions: 0,
      purchases: 0,
    });
  });

  it('knows exactly which (shop, event id) pairs are stored', async () => {
    const found = await sut.existingEventIds([
      { shopId: SHOP, eventId: 'e1' },
      { shopId: SHOP, eventId: 'e20' },
      { shopId: SHOP, eventId: "evt-'quoted\\" },
      { shopId: SHOP, eventId: 'e1' },
      { shopId: SHOP, eventId: 'x1' },
      { shopId: 'shop-other', eventId: 'x1' },
      { shopId: 'shop-other', eventId: 'e1' },
      { shopId: SHOP, eventId: 'never-sent' },
    ]);
    expect([...found].sort()).toEqual(
      [
        eventKey(SHOP, 'e1'),
        eventKey(SHOP, 'e20'),
        eventKey(SHOP, "evt-'quoted\\"),
        eventKey('shop-other', 'x1'),
      ].sort(),
    );
    expect(await sut.existingEventIds([])).toEqual(new Set());
    expect(await sut.existingEventIds([{ shopId: SHOP, eventId: 'e5' }])).toEqual(
      new Set([eventKey(SHOP, 'e5')]),
    );
  });

  it('narrows every read by the primary key (the server refuses a full scan)', async () => {
    const pk = (q: SqlFragment) => queryRows(db.client, sql`${q} SETTINGS force_primary_key = 1`);
    const [from, to] = [hour(10), hour(13)];
    await expect(
      pk(aggregatesQueries.existingEventIds([{ shopId: SHOP, eventId: 'e1' }])),
    ).resolves.toHaveLength(1);
    await expect(pk(aggregatesQueries.userHourly(SHOP, 'u1', from, to))).resolves.toHaveLength(3);
    await expect(pk(aggregatesQueries.itemHourly(SHOP, 'i1', from, to))).resolves.toHaveLength(3);
    await expect(
      pk(aggregatesQueries.offerHourly(SHOP, 'c1', 'o1', from, to)),
    ).resolves.toHaveLength(2);
    await expect(
      pk(aggregatesQueries.offerHourlyUsers(SHOP, 'c1', 'o1', from, to)),
    ).resolves.toHaveLength(2);
    await expect(
      pk(aggregatesQueries.offerUniqueUsers(SHOP, 'c1', 'o1', from, to)),
    ).resolves.toHaveLength(1);
    // The check bites: a condition on no key column is refused.
    await expect(
      pk(sql`SELECT count() FROM event_dedup WHERE ingested_at > now()`),
    ).rejects.toThrow(/force_primary_key/);
  });

  it('looks up a batch far bigger than one query may carry', async () => {
    // Ids full of quotes render twice as long; 3000 of them are ~700 KB of SQL, well over
    // the server's 256 KiB max_query_size, so this only passes when the lookup is chunked.
    const id = (i: number) => `bulk-${i}-${"'".repeat(100)}`;
    const rows = Array.from({ length: 1200 }, (_, i) =>
      ev(id(i * 2), EventType.EVENT_TYPE_SEARCH, at(14, 0), {
        shopId: 'shop-bulk',
        searchQuery: 'q',
      }),
    );
    await events.insert(rows);
    const keys = Array.from({ length: 3000 }, (_, i) => ({ shopId: 'shop-bulk', eventId: id(i) }));

    const found = await sut.existingEventIds(keys);

    expect(found.size).toBe(1200);
    expect(found.has(eventKey('shop-bulk', id(2398)))).toBe(true);
    expect(found.has(eventKey('shop-bulk', id(2399)))).toBe(false);
  });

  it('counts a re-inserted event twice, which is why ingest checks event_dedup first', async () => {
    const again = ev('dup-1', EventType.EVENT_TYPE_VIEW, at(15, 5), {
      userId: 'u-dup',
      itemId: 'i1',
    });
    await events.insert([again]);
    expect(await sut.existingEventIds([{ shopId: SHOP, eventId: 'dup-1' }])).toEqual(
      new Set([eventKey(SHOP, 'dup-1')]),
    );
    await events.insert([again]);

    // The raw table collapses the duplicate (FINAL); the views saw two inserts.
    const raw = await events.countByType(SHOP);
    // e1, e2, e10, the quoted id, e19, e20 and dup-1 once.
    expect(raw.view).toBe(7);
    expect(await sut.userHourly(SHOP, 'u-dup', hour(15), hour(16))).toEqual([
      { ...ZERO_USER, hour: hour(15), views: 2 },
    ]);
  });
});
