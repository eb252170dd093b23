import {
  ident,
  joinSql,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';

/** One event's identity, as ingest de-duplicates it. */
export interface EventKey {
  readonly shopId: string;
  readonly eventId: string;
}

/** The key `existingEventIds` returns for an event: shop and event id joined by NUL. */
export function eventKey(shopId: string, eventId: string): string {
  return `${shopId}\u0000${eventId}`;
}

/** What one user did in one hour (table `user_hourly`). Money in minor units. */
export interface UserHour {
  /** Start of the hour (UTC instant). */
  readonly hour: Date;
  readonly views: number;
  readonly clicks: number;
  readonly searches: number;
  readonly addToCarts: number;
  readonly removeFromCarts: number;
  readonly purchases: number;
  readonly refunds: number;
  readonly offerImpressions: number;
  readonly offerClicks: number;
  readonly offerRedeems: number;
  /** Purchase revenue: price × max(quantity, 1) − discount, summed over purchases. */
  readonly spendMinor: number;
  /** Refunds, valued like purchases. */
  readonly refundedMinor: number;
  /** Discounts the user received on purchases and offer redemptions. */
  readonly discountMinor: number;
}

/** One item's funnel in one hour (table `item_hourly`). */
export interface ItemHour {
  readonly hour: Date;
  readonly views: number;
  readonly clicks: number;
  readonly addToCarts: number;
  readonly purchases: number;
  /** Units bought (quantity 0 counts as 1). */
  readonly units: number;
  /** Purchase revenue after discounts, minor units. */
  readonly revenueMinor: number;
}

/** Distinct users per offer event type, over some time window. */
export interface OfferUsers {
  /** Users who were shown the offer (offer_impression). */
  readonly impressions: number;
  /** Users who clicked it (offer_click). */
  readonly clicks: number;
  /** Users who redeemed it (offer_redeem). */
  readonly redemptions: number;
  /** Users who bought with it (purchase carrying the offer_id). */
  readonly purchases: number;
}

/** One offer's funnel and cost in one hour (tables `offer_hourly` and `offer_hourly_users`). */
export interface OfferHour {
  readonly hour: Date;
  readonly impressions: number;
  readonly clicks: number;
  readonly redemptions: number;
  /** Purchase events carrying the offer. */
  readonly purchases: number;
  /** Revenue of those purchases after discounts, minor units. */
  readonly revenueMinor: number;
  /** Discount cost of the offer's redemptions, minor units. */
  readonly discountCostMinor: number;
  /** Distinct users in this hour. Hours cannot be added up: use `offerUniqueUsers` for a window. */
  readonly uniqueUsers: OfferUsers;
}

/** Whole seconds at or after `d`: `hour >= ceil(d)` is `hour >= d` for second-precision hours. */
function ceilToSecond(d: Date): Date {
  return new Date(Math.ceil(d.getTime() / 1000) * 1000);
}

/** `hour` in [from, to): hours that start at or after `from` and before `to`. */
function hourRange(from: Date, to: Date): SqlFragment {
  return sql`hour >= ${ceilToSecond(from)} AND hour < ${ceilToSecond(to)}`;
}

/** The rows of one offer in a window of hours (shared by the offer queries). */
function offerWhere(
  shopId: string,
  campaignId: string,
  offerId: string,
  from: Date,
  to: Date,
): SqlFragment {
  return sql`shop_id = ${shopId} AND campaign_id = ${campaignId} AND offer_id = ${offerId} AND ${hourRange(from, to)}`;
}

const OFFER_USERS = sql`uniqMergeIf(users, event_type = 'offer_impression') AS users_impressions,
       uniqMergeIf(users, event_type = 'offer_click') AS users_clicks,
       uniqMergeIf(users, event_type = 'offer_redeem') AS users_redemptions,
       uniqMergeIf(users, event_type = 'purchase') AS users_purchases`;

/** The summed columns of `user_hourly`, named as the table names them (every user read). */
export const USER_HOURLY_SUMS = sql`sum(views) AS views, sum(clicks) AS clicks, sum(searches) AS searches,
       sum(add_to_carts) AS add_to_carts, sum(remove_from_carts) AS remove_from_carts,
       sum(purchases) AS purchases, sum(refunds) AS refunds,
       sum(offer_impressions) AS offer_impressions, sum(offer_clicks) AS offer_clicks,
       sum(offer_redeems) AS offer_redeems, sum(spend_minor) AS spend_minor,
       sum(refunded_minor) AS refunded_minor, sum(discount_received_minor) AS discount_received_minor`;

/**
 * The SQL the repository runs (exported so compatibility checks run the very same text).
 * Every read sums over `GROUP BY`: SummingMergeTree merges rows of one key at some unknown
 * later time, so the table may hold several rows per hour. Ranges are [from, to) on the
 * hour's start.
 */
export const aggregatesQueries = {
  userHourly: (shopId: string, userId: string, from: Date, to: Date): SqlFragment =>
    sql`SELECT toUnixTimestamp(hour) AS hour_ts, ${USER_HOURLY_SUMS}
FROM ${ident('user_hourly')}
WHERE shop_id = ${shopId} AND user_id = ${userId} AND ${hourRange(from, to)}
GROUP BY hour ORDER BY hour`,

  itemHourly: (shopId: string, itemId: string, from: Date, to: Date): SqlFragment =>
    sql`SELECT toUnixTimestamp(hour) AS hour_ts,
       sum(views) AS views, sum(clicks) AS clicks, sum(add_to_carts) AS add_to_carts,
       sum(purchases) AS purchases, sum(units) AS units, sum(revenue_minor) AS revenue_minor
FROM ${ident('item_hourly')}
WHERE shop_id = ${shopId} AND item_id = ${itemId} AND ${hourRange(from, to)}
GROUP BY hour ORDER BY hour`,

  offerHourly: (
    shopId: string,
    campaignId: string,
    offerId: string,
    from: Date,
    to: Date,
  ): SqlFragment =>
    sql`SELECT toUnixTimestamp(hour) AS hour_ts,
       sum(impressions) AS impressions, sum(clicks) AS clicks, sum(redemptions) AS redemptions,
       sum(purchases) AS purchases, sum(revenue_minor) AS revenue_minor,
       sum(discount_cost_minor) AS discount_cost_minor
FROM ${ident('offer_hourly')}
WHERE ${offerWhere(shopId, campaignId, offerId, from, to)}
GROUP BY hour ORDER BY hour`,

  offerHourlyUsers: (
    shopId: string,
    campaignId: string,
    offerId: string,
    from: Date,
    to: Date,
  ): SqlFragment =>
    sql`SELECT toUnixTimestamp(hour) AS hour_ts, ${OFFER_USERS}
FROM ${ident('offer_hourly_users')}
WHERE ${offerWhere(shopId, campaignId, offerId, from, to)}
GROUP BY hour ORDER BY hour`,

  /** Distinct users over the whole window (uniq states merge across hours). */
  offerUniqueUsers: (
    shopId: string,
    campaignId: string,
    offerId: string,
    from: Date,
    to: Date,
  ): SqlFragment =>
    sql`SELECT ${OFFER_USERS}
FROM ${ident('offer_hourly_users')}
WHERE ${offerWhere(shopId, campaignId, offerId, from, to)}`,

  /**
   * Which of `keys` `event_dedup` holds. The tuple IN is answered from the table's primary
   * key (shop_id, event_id) on 18.16 and current releases alike. `keys` must not be empty.
   */
  recentlyStoredIds: (since: Date, limit: number): SqlFragment =>
    sql`SELECT shop_id, event_id, toUnixTimestamp(max(ingested_at)) AS at FROM ${ident('event_dedup')}
        WHERE ingested_at >= ${since} GROUP BY shop_id, event_id ORDER BY at DESC LIMIT ${limit}`,
  existingEventIds: (keys: readonly EventKey[]): SqlFragment => {
    if (keys.length === 0) throw new RangeError('existingEventIds needs at least one key');
    return sql`SELECT DISTINCT shop_id, event_id FROM ${ident('event_dedup')}
WHERE (shop_id, event_id) IN (${joinSql(keys.map((k) => sql`(${k.shopId}, ${k.eventId})`))})`;
  },
};

/**
 * Bound on the key list of one `existingEventIds` query: ClickHouse refuses a SELECT whose
 * text exceeds max_query_size (256 KiB by default), so big batches are looked up in chunks.
 */
const MAX_KEY_BYTES_PER_QUERY = 128 * 1024;
const MAX_KEYS_PER_QUERY = 1000;

/** Splits keys into chunks whose rendered SQL stays under the budget (escaping at most doubles). */
function chunkKeys(keys: readonly EventKey[]): EventKey[][] {
  const chunks: EventKey[][] = [];
  let cur: EventKey[] = [];
  let bytes = 0;
  for (const k of keys) {
    const size = 2 * (Buffer.byteLength(k.shopId) + Buffer.byteLength(k.eventId)) + 10;
    if (
      cur.length > 0 &&
      (bytes + size > MAX_KEY_BYTES_PER_QUERY || cur.length >= MAX_KEYS_PER_QUERY)
    ) {
      chunks.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(k);
    bytes += size;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

type Int64 = string | number;

interface StoredUserHour {
  hour_ts: number;
  views: Int64;
  clicks: Int64;
  searches: Int64;
  add_to_carts: Int64;
  remove_from_carts: Int64;
  purchases: Int64;
  refunds: Int64;
  offer_impressions: Int64;
  offer_clicks: Int64;
  offer_redeems: Int64;
  spend_minor: Int64;
  refunded_minor: Int64;
  discount_received_minor: Int64;
}

interface StoredItemHour {
  hour_ts: number;
  views: Int64;
  clicks: Int64;
  add_to_carts: Int64;
  purchases: Int64;
  units: Int64;
  revenue_minor: Int64;
}

interface StoredOfferHour {
  hour_ts: number;
  impressions: Int64;
  clicks: Int64;
  redemptions: Int64;
  purchases: Int64;
  revenue_minor: Int64;
  discount_cost_minor: Int64;
}

interface StoredOfferUsers {
  users_impressions: Int64;
  users_clicks: Int64;
  users_redemptions: Int64;
  users_purchases: Int64;
}

const NO_USERS: OfferUsers = { impressions: 0, clicks: 0, redemptions: 0, purchases: 0 };

function hourOf(r: { hour_ts: number | string }): Date {
  return new Date(toSafeInt(r.hour_ts) * 1000);
}

function offerUsers(r: StoredOfferUsers): OfferUsers {
  return {
    impressions: toSafeInt(r.users_impressions),
    clicks: toSafeInt(r.users_clicks),
    redemptions: toSafeInt(r.users_redemptions),
    purchases: toSafeInt(r.users_purchases),
  };
}

/**
 * Reads the hourly aggregates that materialized views maintain from `events` (migration
 * 0002), and the `event_dedup` index ingest checks before inserting. Ranges are [from, to)
 * on the start of the hour; hours without data are absent from the result.
 *
 * The views write after the insert's rows are already visible in `events` (the insert
 * returns only once both are written): a reader that polls `events` for a row may still miss
 * it here for a moment, so wait on the aggregate itself.
 */
export class AggregatesRepository {
  constructor(private readonly client: ClickHouseClient) {}

  /** One user's activity per hour, oldest first. */
  async userHourly(shopId: string, userId: string, from: Date, to: Date): Promise<UserHour[]> {
    const rows = await queryRows<StoredUserHour>(
      this.client,
      aggregatesQueries.userHourly(shopId, userId, from, to),
    );
    return rows.map((r) => ({
      hour: hourOf(r),
      views: toSafeInt(r.views),
      clicks: toSafeInt(r.clicks),
      searches: toSafeInt(r.searches),
      addToCarts: toSafeInt(r.add_to_carts),
      removeFromCarts: toSafeInt(r.remove_from_carts),
      purchases: toSafeInt(r.purchases),
      refunds: toSafeInt(r.refunds),
      offerImpressions: toSafeInt(r.offer_impressions),
      offerClicks: toSafeInt(r.offer_clicks),
      offerRedeems: toSafeInt(r.offer_redeems),
      spendMinor: toSafeInt(r.spend_minor),
      refundedMinor: toSafeInt(r.refunded_minor),
      discountMinor: toSafeInt(r.discount_received_minor),
    }));
  }

  /** One item's funnel per hour, oldest first. */
  async itemHourly(shopId: string, itemId: string, from: Date, to: Date): Promise<ItemHour[]> {
    const rows = await queryRows<StoredItemHour>(
      this.client,
      aggregatesQueries.itemHourly(shopId, itemId, from, to),
    );
    return rows.map((r) => ({
      hour: hourOf(r),
      views: toSafeInt(r.views),
      clicks: toSafeInt(r.clicks),
      addToCarts: toSafeInt(r.add_to_carts),
      purchases: toSafeInt(r.purchases),
      units: toSafeInt(r.units),
      revenueMinor: toSafeInt(r.revenue_minor),
    }));
  }

  /** One offer's funnel, cost and distinct users per hour, oldest first. */
  async offerHourly(
    shopId: string,
    campaignId: string,
    offerId: string,
    from: Date,
    to: Date,
  ): Promise<OfferHour[]> {
    const [counts, users] = await Promise.all([
      queryRows<StoredOfferHour>(
        this.client,
        aggregatesQueries.offerHourly(shopId, campaignId, offerId, from, to),
      ),
      queryRows<StoredOfferUsers & { hour_ts: number }>(
        this.client,
        aggregatesQueries.offerHourlyUsers(shopId, campaignId, offerId, from, to),
      ),
    ]);
    const usersByHour = new Map(users.map((u) => [toSafeInt(u.hour_ts), offerUsers(u)]));
    return counts.map((r) => ({
      hour: hourOf(r),
      impressions: toSafeInt(r.impressions),
      clicks: toSafeInt(r.clicks),
      redemptions: toSafeInt(r.redemptions),
      purchases: toSafeInt(r.purchases),
      revenueMinor: toSafeInt(r.revenue_minor),
      discountCostMinor: toSafeInt(r.discount_cost_minor),
      uniqueUsers: usersByHour.get(toSafeInt(r.hour_ts)) ?? NO_USERS,
    }));
  }

  /** Distinct users an offer reached over the whole window (not the sum of hourly uniques). */
  async offerUniqueUsers(
    shopId: string,
    campaignId: string,
    offerId: string,
    from: Date,
    to: Date,
  ): Promise<OfferUsers> {
    const rows = await queryRows<StoredOfferUsers>(
      this.client,
      aggregatesQueries.offerUniqueUsers(shopId, campaignId, offerId, from, to),
    );
    return rows[0] ? offerUsers(rows[0]) : NO_USERS;
  }

  /**
   * The keys (`eventKey(shopId, eventId)`) of those events that were already stored, for
   * ingest to drop before inserting a batch: the aggregates count every inserted row, so a
   * re-delivered event must never reach `events` twice. Looked up in chunks, so any batch
   * size stays within the server's query size limit.
   */
  /**
   * Events stored since `since` (newest first, at most `limit`), with when they were stored
   * (epoch ms): what ingest's de-duplication memory is rebuilt from.
   */
  async recentlyStoredIds(since: Date, limit: number): Promise<{ key: string; at: number }[]> {
    const whole = new Date(Math.floor(since.getTime() / 1000) * 1000);
    const rows = await queryRows<{ shop_id: string; event_id: string; at: number | string }>(
      this.client,
      aggregatesQueries.recentlyStoredIds(whole, limit),
    );
    return rows.map((r) => ({ key: eventKey(r.shop_id, r.event_id), at: toSafeInt(r.at) * 1000 }));
  }

  async existingEventIds(keys: readonly EventKey[]): Promise<Set<string>> {
    const unique = [...new Map(keys.map((k) => [eventKey(k.shopId, k.eventId), k])).values()];
    const found = new Set<string>();
    for (const chunk of chunkKeys(unique)) {
      const rows = await queryRows<{ shop_id: string; event_id: string }>(
        this.client,
        aggregatesQueries.existingEventIds(chunk),
      );
      for (const r of rows) found.add(eventKey(r.shop_id, r.event_id));
    }
    return found;
  }
}
