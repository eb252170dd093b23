import {
  ident,
  joinSql,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';
import { USER_HOURLY_SUMS } from '@offerstream/events';
import {
  EVENT_TYPES,
  HOUR_MS,
  USER_COUNT_FIELDS,
  USER_FIELDS,
  hourOf,
  ids as idPool,
  type EventTypeName,
  type LastSeen,
  type SequenceItem,
} from '@offerstream/features';

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The SQL the feature service sends (also run on current ClickHouse by test/compat). */
export const featureQueries = {
  /** Hourly aggregates of some users from `fromMs`'s hour on. */
  userHours: (shopId: string, userIds: readonly string[], fromMs: number): SqlFragment =>
    sql`SELECT user_id, toUnixTimestamp(hour) AS hour_ts, ${USER_HOURLY_SUMS}
FROM ${ident('user_hourly')}
WHERE shop_id = ${shopId} AND user_id IN (${joinSql(userIds.map((u) => sql`${u}`))})
  AND hour >= toDateTime(${seconds(hourOf(fromMs) * HOUR_MS)})
GROUP BY user_id, hour
ORDER BY user_id, hour`,

  /**
   * One read of some users' raw events: recency, how many counted events the window holds
   * (to check the hourly aggregates against) and the ids stored since `recentSinceMs`.
   * The window starts at `fromMs`'s hour, as the hourly aggregates do; recency at `fromMs`.
   * Users without events in the window have no row.
   */
  userSummary: (
    shopId: string,
    userIds: readonly string[],
    fromMs: number,
    recentSinceMs: number,
  ): SqlFragment => {
    const fromHour = seconds(hourOf(fromMs) * HOUR_MS);
    return sql`SELECT user_id, maxIf(event_time_ms, event_time_ms >= ${fromMs}) AS visit,
       maxIf(event_time_ms, event_time_ms >= ${fromMs} AND event_type = 'add_to_cart') AS cart,
       maxIf(event_time_ms, event_time_ms >= ${fromMs} AND event_type = 'purchase') AS purchase,
       uniqExactIf(event_id, event_type IN (${joinSql(EVENT_TYPES.map((t) => sql`${t}`))})) AS counted,
       arraySort(groupUniqArrayIf(event_id, ingested_at >= toDateTime(${seconds(recentSinceMs)}))) AS recent_ids
FROM ${ident('events')}
WHERE shop_id = ${shopId} AND user_id IN (${joinSql(userIds.map((u) => sql`${u}`))})
  AND event_time >= toDateTime(${fromHour})
GROUP BY user_id`;
  },

  /** The newest `limit` events of each of some users, newest first per user. */
  sequence: (
    shopId: string,
    userIds: readonly string[],
    fromMs: number,
    limit: number,
  ): SqlFragment =>
    sql`SELECT user_id, event_id, event_type, event_time_ms, item_id, category_id, offer_id, price_minor
FROM (
  SELECT DISTINCT user_id, event_id, event_type, event_time_ms, item_id, category_id, offer_id, price_minor
  FROM ${ident('events')}
  WHERE shop_id = ${shopId} AND user_id IN (${joinSql(userIds.map((u) => sql`${u}`))})
    AND event_time >= toDateTime(${seconds(fromMs)}) AND event_time_ms >= ${fromMs})
ORDER BY user_id, event_time_ms DESC, event_id DESC
LIMIT ${limit} BY user_id`,

  itemHours: (shopId: string, itemIds: readonly string[], fromMs: number): SqlFragment =>
    sql`SELECT item_id, toUnixTimestamp(hour) AS hour_ts,
       sum(views) AS views, sum(clicks) AS clicks, sum(add_to_carts) AS add_to_carts,
       sum(purchases) AS purchases, sum(units) AS units, sum(revenue_minor) AS revenue_minor
FROM ${ident('item_hourly')}
WHERE shop_id = ${shopId} AND item_id IN (${joinSql(itemIds.map((i) => sql`${i}`))})
  AND hour >= toDateTime(${seconds(fromMs)})
GROUP BY item_id, hour
ORDER BY item_id, hour`,

  itemLatest: (shopId: string, itemIds: readonly string[]): SqlFragment =>
    sql`SELECT item_id, argMaxMerge(latest_price_minor) AS price_minor, maxMerge(latest_price_at) AS price_at,
       argMaxMerge(latest_category_id) AS category_id, maxMerge(latest_category_at) AS category_at
FROM ${ident('item_latest')}
WHERE shop_id = ${shopId} AND item_id IN (${joinSql(itemIds.map((i) => sql`${i}`))})
GROUP BY shop_id, item_id`,

  offerHours: (shopId: string, offerIds: readonly string[], fromMs: number): SqlFragment =>
    sql`SELECT campaign_id, offer_id, toUnixTimestamp(hour) AS hour_ts,
       sum(impressions) AS impressions, sum(clicks) AS clicks, sum(redemptions) AS redemptions,
       sum(purchases) AS purchases, sum(revenue_minor) AS revenue_minor,
       sum(discount_cost_minor) AS discount_cost_minor
FROM ${ident('offer_hourly')}
WHERE shop_id = ${shopId} AND offer_id IN (${joinSql(offerIds.map((i) => sql`${i}`))})
  AND hour >= toDateTime(${seconds(fromMs)})
GROUP BY campaign_id, offer_id, hour
ORDER BY campaign_id, offer_id, hour`,

  offerLifetime: (shopId: string, offerIds: readonly string[]): SqlFragment =>
    sql`SELECT campaign_id, offer_id, sum(redemptions) AS redemptions
FROM ${ident('offer_hourly')}
WHERE shop_id = ${shopId} AND offer_id IN (${joinSql(offerIds.map((i) => sql`${i}`))})
GROUP BY campaign_id, offer_id`,

  campaignSpent: (shopId: string, campaignIds: readonly string[]): SqlFragment =>
    sql`SELECT campaign_id, sum(discount_cost_minor) AS spent
FROM ${ident('offer_hourly')}
WHERE shop_id = ${shopId} AND campaign_id IN (${joinSql(campaignIds.map((i) => sql`${i}`))})
GROUP BY campaign_id`,
};

type Int = number | string;

/** What ClickHouse holds about one user, as of the load. */
export interface StoredUser {
  /** Hour bucket → user_hourly values (USER_FIELDS order). */
  readonly hours: { hour: number; values: number[] }[];
  readonly last: LastSeen;
  /** Most recent events, oldest first. */
  readonly sequence: SequenceItem[];
  /** Ids of the user's events stored since `recentSinceMs` (to tell which streamed ones are in). */
  readonly recentIds: string[];
  /**
   * Counted events the raw table held that the hourly aggregates did not (0 once the
   * materialized views caught up; see `FeatureStoreRepository.loadUser`).
   */
  readonly missingFromAggregates: number;
}

/** How long a user load waits for the hourly aggregates to catch up with the raw events. */
export interface SettleOptions {
  /** Reads after the first one (0 = never wait). */
  readonly retries: number;
  /** Wait before the first re-read; doubled for each next one. */
  readonly delayMs: number;
}

export const DEFAULT_SETTLE: SettleOptions = { retries: 5, delayMs: 10 };

export interface StoredItem {
  readonly hours: { hour: number; values: number[] }[];
  readonly priceMinor: number;
  /** When the price was seen (event_time_ms; -1 = never). */
  readonly priceAtMs: number;
  readonly categoryId: string;
  readonly categoryAtMs: number;
}

export interface StoredOffer {
  readonly campaignId: string;
  readonly hours: { hour: number; values: number[] }[];
  readonly lifetimeRedemptions: number;
}

const positiveOrNaN = (v: Int) => {
  const n = toSafeInt(v);
  return n > 0 ? n : NaN;
};

/** Feature state as ClickHouse holds it: raw events and hourly aggregates. */
export class FeatureStoreRepository {
  constructor(private readonly client: ClickHouseClient) {}

  /**
   * Users as ClickHouse holds them, consistent with the raw events; one set of reads for all
   * of them (the server's cost is mostly per query, so a batch costs about what one user
   * does).
   *
   * ClickHouse writes an insert's block into `events` first and into the materialized views
   * after, with nothing atomic across tables, so a read can catch raw rows whose hourly
   * aggregates are not there yet; a user loaded then would lack those counts for as long as
   * it stays in memory (the stream dedupes them as stored). Hence the order: the aggregates
   * and the sequences first, then one read of the raw table (recency, the counted events of
   * the window, the recently stored ids). Whatever the first reads hold is in the ids (the
   * stream will not count it again); raw events the aggregates missed show as a count the
   * aggregates do not reach, and those users are read again after a short wait. After
   * `settle.retries` re-reads they are returned as they are, with `missingFromAggregates` > 0.
   */
  async loadUsers(
    shopId: string,
    userIds: readonly string[],
    o: { fromMs: number; sequenceLength: number; recentSinceMs: number },
    settle: SettleOptions = DEFAULT_SETTLE,
  ): Promise<Map<string, StoredUser>> {
    const out = new Map<string, StoredUser>();
    let todo = [...new Set(userIds)];
    for (let attempt = 0; todo.length > 0; attempt++) {
      const got = await this.readUsers(shopId, todo, o);
      todo = [];
      for (const [id, user] of got)
        if (user.missingFromAggregates > 0 && attempt < settle.retries) todo.push(id);
        else out.set(id, user);
      if (todo.length > 0) await new Promise((r) => setTimeout(r, settle.delayMs * 2 ** attempt));
    }
    return out;
  }

  private async readUsers(
    shopId: string,
    userIds: readonly string[],
    o: { fromMs: number; sequenceLength: number; recentSinceMs: number },
  ): Promise<Map<string, StoredUser>> {
    const [hours, seq] = await Promise.all([
      queryRows<Record<(typeof USER_FIELDS)[number], Int> & { user_id: string; hour_ts: Int }>(
        this.client,
        featureQueries.userHours(shopId, userIds, o.fromMs),
      ),
      queryRows<{
        user_id: string;
        event_id: string;
        event_type: string;
        event_time_ms: Int;
        item_id: string;
        category_id: string;
        offer_id: string;
        price_minor: Int;
      }>(this.client, featureQueries.sequence(shopId, userIds, o.fromMs, o.sequenceLength)),
    ]);
    const summaries = await queryRows<{
      user_id: string;
      visit: Int;
      cart: Int;
      purchase: Int;
      counted: Int;
      recent_ids: string[];
    }>(this.client, featureQueries.userSummary(shopId, userIds, o.fromMs, o.recentSinceMs));
    const users = new Map(
      userIds.map((id) => [
        id,
        {
          hours: [] as { hour: number; values: number[] }[],
          newestFirst: [] as SequenceItem[],
          summary: undefined as (typeof summaries)[number] | undefined,
        },
      ]),
    );
    for (const h of hours)
      users.get(h.user_id)?.hours.push({
        hour: toSafeInt(h.hour_ts) / 3600,
        values: USER_FIELDS.map((f) => toSafeInt(h[f])),
      });
    for (const r of seq)
      users.get(r.user_id)?.newestFirst.push({
        eventId: r.event_id,
        type: r.event_type as EventTypeName,
        timeMs: toSafeInt(r.event_time_ms),
        itemId: idPool.get(r.item_id),
        categoryId: idPool.get(r.category_id),
        offerId: idPool.get(r.offer_id),
        priceMinor: toSafeInt(r.price_minor),
      });
    for (const r of summaries) {
      const u = users.get(r.user_id);
      if (u) u.summary = r;
    }
    const out = new Map<string, StoredUser>();
    for (const [id, u] of users) {
      const s = u.summary;
      // Counted events in the aggregates (the ten per-type counters of each hour).
      const aggregated = u.hours.reduce(
        (n, h) => n + USER_COUNT_FIELDS.reduce((m, i) => m + h.values[i]!, 0),
        0,
      );
      out.set(id, {
        hours: u.hours,
        last: s
          ? {
              visit: positiveOrNaN(s.visit),
              cart: positiveOrNaN(s.cart),
              purchase: positiveOrNaN(s.purchase),
            }
          : { visit: NaN, cart: NaN, purchase: NaN },
        sequence: u.newestFirst.reverse(),
        recentIds: s?.recent_ids ?? [],
        missingFromAggregates: Math.max(0, toSafeInt(s?.counted ?? 0) - aggregated),
      });
    }
    return out;
  }

  async loadItems(
    shopId: string,
    itemIds: readonly string[],
    fromMs: number,
  ): Promise<Map<string, StoredItem>> {
    const out = new Map<string, StoredItem>();
    if (itemIds.length === 0) return out;
    for (const id of itemIds)
      out.set(id, { hours: [], priceMinor: 0, priceAtMs: -1, categoryId: '', categoryAtMs: -1 });
    const [hours, latest] = await Promise.all([
      queryRows<Record<string, Int> & { item_id: string }>(
        this.client,
        featureQueries.itemHours(shopId, itemIds, fromMs),
      ),
      queryRows<{
        item_id: string;
        price_minor: Int;
        price_at: Int;
        category_id: string;
        category_at: Int;
      }>(this.client, featureQueries.itemLatest(shopId, itemIds)),
    ]);
    for (const r of hours)
      out.get(r.item_id)?.hours.push({
        hour: toSafeInt(r.hour_ts!) / 3600,
        values: ['views', 'clicks', 'add_to_carts', 'purchases', 'units', 'revenue_minor'].map(
          (k) => toSafeInt(r[k]!),
        ),
      });
    for (const r of latest) {
      const item = out.get(r.item_id);
      if (item)
        out.set(r.item_id, {
          ...item,
          priceMinor: toSafeInt(r.price_minor),
          priceAtMs: toSafeInt(r.price_at),
          categoryId: r.category_id,
          categoryAtMs: toSafeInt(r.category_at),
        });
    }
    return out;
  }

  /** Offers by id (offer ids are unique per shop: CampaignService assigns them). */
  async loadOffers(
    shopId: string,
    offers: readonly { offerId: string; campaignId: string }[],
    fromMs: number,
  ): Promise<Map<string, StoredOffer>> {
    const out = new Map<string, StoredOffer>();
    if (offers.length === 0) return out;
    for (const o of offers)
      out.set(o.offerId, {
        campaignId: o.campaignId,
        hours: [],
        lifetimeRedemptions: 0,
      });
    const ids = offers.map((o) => o.offerId);
    const [hours, lifetime] = await Promise.all([
      queryRows<Record<string, Int> & { offer_id: string; campaign_id: string }>(
        this.client,
        featureQueries.offerHours(shopId, ids, fromMs),
      ),
      queryRows<{ offer_id: string; campaign_id: string; redemptions: Int }>(
        this.client,
        featureQueries.offerLifetime(shopId, ids),
      ),
    ]);
    for (const r of hours) {
      const o = out.get(r.offer_id);
      if (!o || o.campaignId !== r.campaign_id) continue;
      o.hours.push({
        hour: toSafeInt(r.hour_ts!) / 3600,
        values: [
          'impressions',
          'clicks',
          'redemptions',
          'purchases',
          'revenue_minor',
          'discount_cost_minor',
        ].map((k) => toSafeInt(r[k]!)),
      });
    }
    for (const r of lifetime) {
      const o = out.get(r.offer_id);
      if (o && o.campaignId === r.campaign_id)
        out.set(r.offer_id, { ...o, lifetimeRedemptions: toSafeInt(r.redemptions) });
    }
    return out;
  }

  /** Discount cost of every redemption of each campaign so far. */
  async campaignSpent(
    shopId: string,
    campaignIds: readonly string[],
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>(campaignIds.map((c) => [c, 0]));
    if (campaignIds.length === 0) return out;
    const rows = await queryRows<{ campaign_id: string; spent: Int }>(
      this.client,
      featureQueries.campaignSpent(shopId, campaignIds),
    );
    for (const r of rows) out.set(r.campaign_id, toSafeInt(r.spent));
    return out;
  }
}
