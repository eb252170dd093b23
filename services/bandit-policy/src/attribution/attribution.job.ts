import {
  ActivationStatus,
  PolicyType,
  RewardDefinition,
  type DecisionActivated,
  type Reward,
} from '@offerstream/contracts';
import type { Logger } from '@offerstream/logging';
import {
  attribute,
  rewardChanged,
  type AttributedReward,
  type DueSlot,
  type OutcomeEvent,
} from './attribution';
import type { AttributionRepository, PendingActivation } from './attribution.repository';

/** Publishes rewards and activations (acks=all) — the Kafka side, injected. */
export interface AttributionPublisher {
  rewards(rewards: readonly Reward[]): Promise<void>;
  activations(activations: readonly DecisionActivated[]): Promise<void>;
}

export interface AttributionSettings {
  readonly graceMs: number;
  /** Oldest decisions looked at (≥ the longest attribution window + activation window). */
  readonly horizonMs: number;
  /** Final rewards younger than this are revised on refunds/late events (0 = never). */
  readonly recheckMs: number;
  /** How often the revision lookup runs. */
  readonly recheckEveryMs: number;
  readonly batch: number;
}

export interface AttributionMetrics {
  rewards(n: number, revision: 'first' | 'revised'): void;
  activations(status: 'activated' | 'expired', n: number): void;
  lagMs(ms: number): void;
}

const secs = (ms: number) => Math.floor(ms / 1000);

const DEFINITION: Record<DueSlot['objective'], RewardDefinition> = {
  incremental_profit: RewardDefinition.REWARD_DEFINITION_INCREMENTAL_PROFIT,
  conversions: RewardDefinition.REWARD_DEFINITION_CONVERSION,
  revenue: RewardDefinition.REWARD_DEFINITION_REVENUE,
};

function policyType(name: string): PolicyType {
  const v = (PolicyType as unknown as Record<string, number>)[`POLICY_TYPE_${name.toUpperCase()}`];
  return v ?? PolicyType.POLICY_TYPE_UNSPECIFIED;
}

/** The `rewards` row of a reward revision. */
export function rewardRow(
  a: AttributedReward,
  revision: number,
  nowMs: number,
): Record<string, unknown> {
  const s = a.slot;
  return {
    reward_id: a.rewardId,
    revision,
    decision_id: s.decisionId,
    shop_id: s.shopId,
    user_id: s.userId,
    offer_id: s.offerId,
    campaign_id: s.campaignId,
    rank: s.rank,
    holdout: s.holdout ? 1 : 0,
    propensity: s.rank > 0 ? s.propensity : s.holdout ? 1 : s.propensity,
    policy: s.policy,
    segment: s.segment,
    policy_features: s.policyFeatures,
    clicked: a.clicked ? 1 : 0,
    purchased: a.purchased ? 1 : 0,
    redeemed: a.redeemed ? 1 : 0,
    currency: s.currency,
    revenue_minor: a.revenueMinor,
    margin_minor: a.marginMinor,
    discount_cost_minor: a.discountCostMinor,
    incremental_profit_minor: a.incrementalProfitMinor,
    reward_value: a.rewardValue,
    reward_definition: s.objective,
    served_at: secs(s.servedAtMs),
    served_at_ms: s.servedAtMs,
    window_end_ms: a.windowEndMs,
    attributed_event_ids: a.attributedEventIds,
    order_ids: a.orderIds,
    computed_at: secs(nowMs),
    computed_at_ms: nowMs,
    final: 1,
    kafka_partition: s.kafkaPartition,
  };
}

/** The offerstream.rewards.v1 message of a reward revision. */
export function rewardMessage(a: AttributedReward, revision: number, nowMs: number): Reward {
  const s = a.slot;
  const w = s.windowMs;
  return {
    rewardId: a.rewardId,
    revision,
    decisionId: s.decisionId,
    shopId: s.shopId,
    userId: s.userId,
    offerId: s.offerId,
    campaignId: s.campaignId,
    rank: s.rank,
    holdout: s.holdout,
    propensity: s.rank > 0 ? s.propensity : s.holdout ? 1 : s.propensity,
    clicked: a.clicked,
    purchased: a.purchased,
    redeemed: a.redeemed,
    currency: s.currency,
    revenueMinor: a.revenueMinor,
    marginMinor: a.marginMinor,
    discountCostMinor: a.discountCostMinor,
    incrementalProfitMinor: a.incrementalProfitMinor,
    rewardValue: a.rewardValue,
    rewardDefinition: DEFINITION[s.objective],
    policyFeatures: [...s.policyFeatures],
    policy: policyType(s.policy),
    segment: s.segment,
    attributionWindow: { seconds: Math.floor(w / 1000), nanos: (w % 1000) * 1e6 },
    windowEnd: new Date(a.windowEndMs),
    attributedEventIds: [...a.attributedEventIds],
    computedAt: new Date(nowMs),
    final: true,
  };
}

const groupBy = <T>(xs: readonly T[], key: (x: T) => string) => {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return m;
};

/**
 * Closes attribution windows for the decision-log partitions this replica owns: stores
 * each reward in ClickHouse, then publishes it (so a reward on Kafka is always also in
 * ClickHouse). A crash between the two re-does the same reward with the same id and
 * revision, which every consumer drops as a duplicate: exactly-once in effect.
 */
export class AttributionJob {
  private recheckSince: number;
  private lastRecheckMs = -Infinity;

  constructor(
    private readonly repo: AttributionRepository,
    private readonly out: AttributionPublisher,
    private readonly s: AttributionSettings,
    private readonly metrics: AttributionMetrics,
    private readonly logger: Logger,
    startMs: number,
  ) {
    this.recheckSince = startMs - 60_000;
  }

  /** One pass; returns how much it did. */
  async tick(
    partitions: readonly number[],
    nowMs: number,
  ): Promise<{ rewards: number; activations: number; revised: number }> {
    const activations = await this.activate(partitions, nowMs);
    const rewards = await this.closeWindows(partitions, nowMs);
    const revised = await this.recheck(partitions, nowMs);
    return { rewards, activations, revised };
  }

  private async eventsOf(shopId: string, userIds: string[], fromMs: number) {
    const [events, decisions] = await Promise.all([
      this.repo.userEvents(shopId, userIds, fromMs),
      this.repo.userDecisions(shopId, userIds, fromMs),
    ]);
    return { events, decisions };
  }

  private async activate(partitions: readonly number[], nowMs: number): Promise<number> {
    const pending = await this.repo.pendingActivations(
      partitions,
      nowMs,
      this.s.horizonMs,
      this.s.batch,
    );
    if (pending.length === 0) return 0;
    const rows: Record<string, unknown>[] = [];
    const msgs: DecisionActivated[] = [];
    for (const [shopId, list] of groupBy(pending, (p) => p.shopId)) {
      const from = Math.min(...list.map((p) => p.servedAtMs));
      const { events } = await this.eventsOf(shopId, [...new Set(list.map((p) => p.userId))], from);
      for (const p of list) this.verdict(p, events.get(p.userId) ?? [], nowMs, rows, msgs);
    }
    await this.repo.insertActivations(rows);
    await this.out.activations(msgs);
    const activated = msgs.filter(
      (m) => m.status === ActivationStatus.ACTIVATION_STATUS_ACTIVATED,
    ).length;
    this.metrics.activations('activated', activated);
    this.metrics.activations('expired', msgs.length - activated);
    return msgs.length;
  }

  private verdict(
    p: PendingActivation,
    events: readonly OutcomeEvent[],
    nowMs: number,
    rows: Record<string, unknown>[],
    msgs: DecisionActivated[],
  ): void {
    const impressions = events.filter(
      (e) =>
        e.type === 'offer_impression' && e.decisionId === p.decisionId && e.timeMs <= p.deadlineMs,
    );
    let status: ActivationStatus;
    let at: number;
    let first: OutcomeEvent | undefined;
    if (impressions.length > 0) {
      first = impressions.reduce((a, b) => (b.timeMs < a.timeMs ? b : a));
      status = ActivationStatus.ACTIVATION_STATUS_ACTIVATED;
      at = first.timeMs;
    } else if (nowMs > p.deadlineMs + this.s.graceMs) {
      status = ActivationStatus.ACTIVATION_STATUS_EXPIRED;
      at = p.deadlineMs;
    } else return;
    const activated = status === ActivationStatus.ACTIVATION_STATUS_ACTIVATED;
    rows.push({
      decision_id: p.decisionId,
      shop_id: p.shopId,
      user_id: p.userId,
      served_at: secs(p.servedAtMs),
      status: activated ? 'activated' : 'expired',
      impression_event_id: first?.eventId ?? '',
      activated_at_ms: at,
      computed_at: secs(nowMs),
    });
    msgs.push({
      decisionId: p.decisionId,
      shopId: p.shopId,
      userId: p.userId,
      status,
      impressionEventId: first?.eventId ?? '',
      shownOfferIds: [...new Set(impressions.map((e) => e.offerId))],
      activatedAt: new Date(at),
    });
  }

  private async closeWindows(partitions: readonly number[], nowMs: number): Promise<number> {
    const due = [
      ...(await this.repo.dueSlots(
        partitions,
        nowMs,
        this.s.graceMs,
        this.s.horizonMs,
        this.s.batch,
      )),
      ...(await this.repo.activatedSlots(partitions, nowMs, this.s.horizonMs, this.s.batch)),
    ];
    if (due.length === 0) return 0;
    const rows: Record<string, unknown>[] = [];
    const msgs: Reward[] = [];
    for (const [shopId, slots] of groupBy(due, (d) => d.shopId)) {
      const from = Math.min(...slots.map((s) => s.servedAtMs));
      const users = [...new Set(slots.map((s) => s.userId))];
      const { events, decisions } = await this.eventsOf(shopId, users, from);
      for (const slot of slots) {
        const evs = events.get(slot.userId) ?? [];
        const a = attribute(slot, evs, decisions.get(slot.userId) ?? new Map());
        // A deferred slot's window runs from its impression: it may still be open.
        if (!a || a.windowEndMs + this.s.graceMs > nowMs) continue;
        rows.push(rewardRow(a, 1, nowMs));
        msgs.push(rewardMessage(a, 1, nowMs));
        this.metrics.lagMs(nowMs - a.windowEndMs);
      }
    }
    await this.repo.insertRewards(rows);
    await this.out.rewards(msgs);
    this.metrics.rewards(msgs.length, 'first');
    return msgs.length;
  }

  private async recheck(partitions: readonly number[], nowMs: number): Promise<number> {
    // Revisions are rare (refunds, late events) and the lookup scans recent events: not
    // every tick.
    if (this.s.recheckMs <= 0 || nowMs - this.lastRecheckMs < this.s.recheckEveryMs) return 0;
    this.lastRecheckMs = nowMs;
    const since = this.recheckSince;
    const stale = await this.repo.rewardsToRecheck(
      partitions,
      nowMs,
      this.s.recheckMs,
      since,
      this.s.batch,
    );
    // Next time, look from a little before now (ingest stores events a moment after they happen).
    this.recheckSince = nowMs - 10_000;
    if (stale.length === 0) return 0;
    const rows: Record<string, unknown>[] = [];
    const msgs: Reward[] = [];
    for (const [shopId, list] of groupBy(stale, (r) => r.shopId)) {
      const slots = await this.repo.slotsOf(shopId, [...new Set(list.map((r) => r.decisionId))]);
      const byId = new Map(list.map((r) => [r.rewardId, r]));
      const from = Math.min(...slots.map((s) => s.servedAtMs));
      const { events, decisions } = await this.eventsOf(
        shopId,
        [...new Set(slots.map((s) => s.userId))],
        from,
      );
      for (const slot of slots) {
        const a = attribute(
          slot,
          events.get(slot.userId) ?? [],
          decisions.get(slot.userId) ?? new Map(),
        );
        if (!a) continue;
        const prev = byId.get(a.rewardId);
        if (!prev || !rewardChanged(prev, a)) continue;
        rows.push(rewardRow(a, prev.revision + 1, nowMs));
        msgs.push(rewardMessage(a, prev.revision + 1, nowMs));
      }
    }
    await this.repo.insertRewards(rows);
    await this.out.rewards(msgs);
    this.metrics.rewards(msgs.length, 'revised');
    if (msgs.length > 0)
      this.logger.info({ revised: msgs.length }, 'rewards revised (refunds or late events)');
    return msgs.length;
  }
}
