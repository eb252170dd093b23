import {
  ident,
  joinSql,
  queryRows,
  sql,
  toSafeInt,
  type ClickHouseClient,
  type SqlFragment,
} from '@offerstream/clickhouse';
import type { DueSlot, OutcomeEvent } from './attribution';

const secs = (ms: number) => Math.floor(ms / 1000);
const list = (xs: readonly (string | number)[]) => joinSql(xs.map((x) => sql`${x}`));

/** The reward id of a candidate row, in SQL (the same rule as rewardIdOf). */
const REWARD_ID = sql`if(rank > 0, concat(decision_id, ':', toString(rank)), concat(decision_id, ':0:', campaign_id))`;

const SLOT_COLUMNS = sql`decision_id, shop_id, user_id, served_at_ms, offer_id, campaign_id, rank, holdout,
  propensity, policy, segment, policy_features, attribution_window_s, default_margin_rate, objective,
  currency, deferred, activation_deadline_ms, kafka_partition`;

/** The SQL attribution runs (exported so the compatibility corpus runs the very same text). */
export const attributionQueries = {
  /** Slots and control rows whose window (and grace) has passed and that have no reward yet. */
  dueSlots: (
    partitions: readonly number[],
    nowMs: number,
    graceMs: number,
    horizonMs: number,
    limit: number,
  ): SqlFragment =>
    sql`SELECT ${SLOT_COLUMNS}
        FROM ${ident('decision_candidates')} FINAL
        WHERE kafka_partition IN (${list(partitions)})
          AND served_at >= toDateTime(${secs(nowMs - horizonMs)})
          AND (rank > 0 OR offer_id = '') AND deferred = 0
          AND served_at_ms + attribution_window_s * 1000 + ${graceMs} <= ${nowMs}
          AND ${REWARD_ID} NOT IN (
            SELECT reward_id FROM ${ident('rewards')}
            WHERE served_at >= toDateTime(${secs(nowMs - horizonMs)}))
        ORDER BY served_at_ms
        LIMIT ${limit}`,
  /**
   * Slots of deferred decisions whose impression activated them, with no reward yet (their
   * window runs from the impression: the caller checks whether it has closed).
   */
  activatedSlots: (
    partitions: readonly number[],
    nowMs: number,
    horizonMs: number,
    limit: number,
  ): SqlFragment =>
    sql`SELECT ${SLOT_COLUMNS}
        FROM ${ident('decision_candidates')} FINAL
        WHERE kafka_partition IN (${list(partitions)})
          AND served_at >= toDateTime(${secs(nowMs - horizonMs)})
          AND (rank > 0 OR offer_id = '') AND deferred = 1
          AND decision_id IN (
            SELECT decision_id FROM ${ident('decision_activations')}
            WHERE served_at >= toDateTime(${secs(nowMs - horizonMs)}) AND status = 'activated')
          AND ${REWARD_ID} NOT IN (
            SELECT reward_id FROM ${ident('rewards')}
            WHERE served_at >= toDateTime(${secs(nowMs - horizonMs)}))
        ORDER BY served_at_ms
        LIMIT ${limit}`,
  /** The slot rows of given decisions (to recompute their rewards). */
  slotsOf: (shopId: string, decisionIds: readonly string[]): SqlFragment =>
    sql`SELECT ${SLOT_COLUMNS}
        FROM ${ident('decision_candidates')} FINAL
        WHERE shop_id = ${shopId} AND decision_id IN (${list(decisionIds)}) AND (rank > 0 OR offer_id = '')`,
  /** Events of some users since `fromMs` that attribution reads. */
  userEvents: (shopId: string, userIds: readonly string[], fromMs: number): SqlFragment =>
    sql`SELECT user_id, event_id, event_type, event_time_ms, decision_id, offer_id, order_id,
               price_minor, quantity, discount_minor, unit_cost_minor
        FROM ${ident('events')} FINAL
        WHERE shop_id = ${shopId} AND user_id IN (${list(userIds)})
          AND event_time >= toDateTime(${secs(fromMs)})
          AND event_type IN ('purchase', 'refund', 'offer_impression', 'offer_click', 'offer_redeem')`,
  /** Serve times of some users' decisions since `fromMs` (for last-touch attribution). */
  userDecisions: (shopId: string, userIds: readonly string[], fromMs: number): SqlFragment =>
    sql`SELECT DISTINCT user_id, decision_id, served_at_ms
        FROM ${ident('decisions')}
        WHERE shop_id = ${shopId} AND user_id IN (${list(userIds)})
          AND served_at >= toDateTime(${secs(fromMs)})`,
  /** Deferred decisions with no activation verdict yet. */
  pendingActivations: (
    partitions: readonly number[],
    nowMs: number,
    horizonMs: number,
    limit: number,
  ): SqlFragment =>
    sql`SELECT DISTINCT decision_id, shop_id, user_id, served_at_ms, activation_deadline_ms
        FROM ${ident('decisions')}
        WHERE kafka_partition IN (${list(partitions)}) AND deferred = 1
          AND served_at >= toDateTime(${secs(nowMs - horizonMs)})
          AND decision_id NOT IN (
            SELECT decision_id FROM ${ident('decision_activations')}
            WHERE served_at >= toDateTime(${secs(nowMs - horizonMs)}))
        ORDER BY served_at_ms
        LIMIT ${limit}`,
  /** Final rewards of users who have had purchases, refunds or redemptions stored since `sinceMs`. */
  rewardsToRecheck: (
    partitions: readonly number[],
    nowMs: number,
    recheckMs: number,
    sinceMs: number,
    limit: number,
  ): SqlFragment =>
    sql`SELECT reward_id, max(revision) AS r_revision, any(shop_id) AS r_shop_id, any(decision_id) AS r_decision_id,
               argMax(clicked, revision) AS r_clicked, argMax(purchased, revision) AS r_purchased,
               argMax(redeemed, revision) AS r_redeemed, argMax(revenue_minor, revision) AS r_revenue_minor,
               argMax(margin_minor, revision) AS r_margin_minor,
               argMax(discount_cost_minor, revision) AS r_discount_cost_minor
        FROM ${ident('rewards')}
        WHERE kafka_partition IN (${list(partitions)}) AND final = 1
          AND served_at >= toDateTime(${secs(nowMs - recheckMs)})
          AND (shop_id, user_id) IN (
            SELECT shop_id, user_id FROM ${ident('events')}
            WHERE event_time >= toDateTime(${secs(nowMs - recheckMs)})
              AND ingested_at >= toDateTime(${secs(sinceMs)})
              AND event_type IN ('purchase', 'refund', 'offer_redeem'))
        GROUP BY reward_id
        LIMIT ${limit}`,
};

interface SlotRow {
  decision_id: string;
  shop_id: string;
  user_id: string;
  served_at_ms: string | number;
  offer_id: string;
  campaign_id: string;
  rank: number;
  holdout: number;
  propensity: number;
  policy: string;
  segment: string;
  policy_features: number[];
  attribution_window_s: string | number;
  default_margin_rate: number;
  objective: string;
  currency: string;
  deferred: number;
  activation_deadline_ms: string | number;
  kafka_partition: number;
}

interface EventRowIn {
  user_id: string;
  event_id: string;
  event_type: OutcomeEvent['type'];
  event_time_ms: string | number;
  decision_id: string;
  offer_id: string;
  order_id: string;
  price_minor: string | number;
  quantity: number;
  discount_minor: string | number;
  unit_cost_minor: string | number | null;
}

export interface RecheckRow {
  readonly rewardId: string;
  readonly revision: number;
  readonly shopId: string;
  readonly decisionId: string;
  readonly clicked: boolean;
  readonly purchased: boolean;
  readonly redeemed: boolean;
  readonly revenueMinor: number;
  readonly marginMinor: number;
  readonly discountCostMinor: number;
}

export interface PendingActivation {
  readonly decisionId: string;
  readonly shopId: string;
  readonly userId: string;
  readonly servedAtMs: number;
  readonly deadlineMs: number;
}

function toSlot(r: SlotRow): DueSlot {
  const objective =
    r.objective === 'conversions' || r.objective === 'revenue' ? r.objective : 'incremental_profit';
  return {
    decisionId: r.decision_id,
    shopId: r.shop_id,
    userId: r.user_id,
    servedAtMs: toSafeInt(r.served_at_ms),
    offerId: r.offer_id,
    campaignId: r.campaign_id,
    rank: r.rank,
    holdout: r.holdout === 1,
    propensity: r.propensity,
    policy: r.policy,
    segment: r.segment,
    policyFeatures: r.policy_features,
    windowMs: toSafeInt(r.attribution_window_s) * 1000,
    marginRate: r.default_margin_rate,
    objective,
    currency: r.currency,
    deferred: r.deferred === 1,
    activationDeadlineMs: toSafeInt(r.activation_deadline_ms),
    kafkaPartition: r.kafka_partition,
  };
}

/** ClickHouse reads and writes of attribution. */
export class AttributionRepository {
  constructor(private readonly ch: ClickHouseClient) {}

  async dueSlots(
    partitions: readonly number[],
    nowMs: number,
    graceMs: number,
    horizonMs: number,
    limit: number,
  ): Promise<DueSlot[]> {
    if (partitions.length === 0) return [];
    const rows = await queryRows<SlotRow>(
      this.ch,
      attributionQueries.dueSlots(partitions, nowMs, graceMs, horizonMs, limit),
    );
    return rows.map(toSlot);
  }

  async activatedSlots(
    partitions: readonly number[],
    nowMs: number,
    horizonMs: number,
    limit: number,
  ): Promise<DueSlot[]> {
    if (partitions.length === 0) return [];
    return (
      await queryRows<SlotRow>(
        this.ch,
        attributionQueries.activatedSlots(partitions, nowMs, horizonMs, limit),
      )
    ).map(toSlot);
  }

  async slotsOf(shopId: string, decisionIds: readonly string[]): Promise<DueSlot[]> {
    if (decisionIds.length === 0) return [];
    return (await queryRows<SlotRow>(this.ch, attributionQueries.slotsOf(shopId, decisionIds))).map(
      toSlot,
    );
  }

  /** Events by user. */
  async userEvents(
    shopId: string,
    userIds: readonly string[],
    fromMs: number,
  ): Promise<Map<string, OutcomeEvent[]>> {
    const out = new Map<string, OutcomeEvent[]>();
    if (userIds.length === 0) return out;
    for (const r of await queryRows<EventRowIn>(
      this.ch,
      attributionQueries.userEvents(shopId, userIds, fromMs),
    )) {
      const list = out.get(r.user_id) ?? [];
      list.push({
        eventId: r.event_id,
        type: r.event_type,
        timeMs: toSafeInt(r.event_time_ms),
        decisionId: r.decision_id,
        offerId: r.offer_id,
        orderId: r.order_id,
        priceMinor: toSafeInt(r.price_minor),
        quantity: r.quantity,
        discountMinor: toSafeInt(r.discount_minor),
        unitCostMinor: r.unit_cost_minor === null ? null : toSafeInt(r.unit_cost_minor),
      });
      out.set(r.user_id, list);
    }
    return out;
  }

  /** Serve times of decisions by user, then decision id. */
  async userDecisions(
    shopId: string,
    userIds: readonly string[],
    fromMs: number,
  ): Promise<Map<string, Map<string, number>>> {
    const out = new Map<string, Map<string, number>>();
    if (userIds.length === 0) return out;
    const rows = await queryRows<{
      user_id: string;
      decision_id: string;
      served_at_ms: string | number;
    }>(this.ch, attributionQueries.userDecisions(shopId, userIds, fromMs));
    for (const r of rows) {
      const m = out.get(r.user_id) ?? new Map<string, number>();
      m.set(r.decision_id, toSafeInt(r.served_at_ms));
      out.set(r.user_id, m);
    }
    return out;
  }

  async pendingActivations(
    partitions: readonly number[],
    nowMs: number,
    horizonMs: number,
    limit: number,
  ): Promise<PendingActivation[]> {
    if (partitions.length === 0) return [];
    const rows = await queryRows<{
      decision_id: string;
      shop_id: string;
      user_id: string;
      served_at_ms: string | number;
      activation_deadline_ms: string | number;
    }>(this.ch, attributionQueries.pendingActivations(partitions, nowMs, horizonMs, limit));
    return rows.map((r) => ({
      decisionId: r.decision_id,
      shopId: r.shop_id,
      userId: r.user_id,
      servedAtMs: toSafeInt(r.served_at_ms),
      deadlineMs: toSafeInt(r.activation_deadline_ms),
    }));
  }

  async rewardsToRecheck(
    partitions: readonly number[],
    nowMs: number,
    recheckMs: number,
    sinceMs: number,
    limit: number,
  ): Promise<RecheckRow[]> {
    if (partitions.length === 0 || recheckMs <= 0) return [];
    const rows = await queryRows<{
      reward_id: string;
      r_revision: number;
      r_shop_id: string;
      r_decision_id: string;
      r_clicked: number;
      r_purchased: number;
      r_redeemed: number;
      r_revenue_minor: string | number;
      r_margin_minor: string | number;
      r_discount_cost_minor: string | number;
    }>(this.ch, attributionQueries.rewardsToRecheck(partitions, nowMs, recheckMs, sinceMs, limit));
    return rows.map((r) => ({
      rewardId: r.reward_id,
      revision: r.r_revision,
      shopId: r.r_shop_id,
      decisionId: r.r_decision_id,
      clicked: r.r_clicked === 1,
      purchased: r.r_purchased === 1,
      redeemed: r.r_redeemed === 1,
      revenueMinor: toSafeInt(r.r_revenue_minor),
      marginMinor: toSafeInt(r.r_margin_minor),
      discountCostMinor: toSafeInt(r.r_discount_cost_minor),
    }));
  }

  async insertRewards(rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ch.insert({ table: 'rewards', values: [...rows], format: 'JSONEachRow' });
  }

  async insertActivations(rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ch.insert({
      table: 'decision_activations',
      values: [...rows],
      format: 'JSONEachRow',
    });
  }
}
