/**
 * Attribution rules, pure: which outcomes a decision's slot earned within its window.
 *
 * - A slot's window starts when the decision was served (deferred decisions: when their
 *   impression arrived, if it arrived by the activation deadline; a lapsed deferred
 *   decision earns nothing) and lasts the campaign's attribution window. Events after the
 *   window are never attributed ("late events get the default").
 * - A purchase belongs to the decision named on it (decision_id); a purchase naming none
 *   belongs to the user's most recent decision served before it whose window holds it
 *   (last touch). Every slot and control row of that decision is credited; a purchase
 *   line naming an offer is the redemption of that offer only.
 * - Refunds (matched by order_id, whenever they arrive before the reward is revised)
 *   take back the refunded revenue and margin; an order refunded in full no longer counts
 *   as a conversion.
 * - Money: revenue = list value − discount − refunds; margin = list value − cost of goods
 *   (unit_cost_minor, else list value × the campaign's margin rate) − refunded margin,
 *   before the offer's discount; discount cost = discount given by this slot's offer;
 *   incremental profit = margin − discount cost.
 */

/** A row that earns a reward: a chosen slot (rank ≥ 1) or a campaign's control row (rank 0). */
export interface DueSlot {
  readonly decisionId: string;
  readonly shopId: string;
  readonly userId: string;
  readonly servedAtMs: number;
  /** '' for a control row. */
  readonly offerId: string;
  readonly campaignId: string;
  readonly rank: number;
  readonly holdout: boolean;
  readonly propensity: number;
  readonly policy: string;
  readonly segment: string;
  readonly policyFeatures: readonly number[];
  readonly windowMs: number;
  readonly marginRate: number;
  readonly objective: 'incremental_profit' | 'conversions' | 'revenue';
  readonly currency: string;
  readonly deferred: boolean;
  readonly activationDeadlineMs: number;
  readonly kafkaPartition: number;
}

/** One of the user's events that can matter to attribution. */
export interface OutcomeEvent {
  readonly eventId: string;
  readonly type:
    'purchase' | 'refund' | 'offer_impression' | 'offer_click' | 'offer_redeem' | 'add_to_cart';
  readonly timeMs: number;
  readonly decisionId: string;
  readonly offerId: string;
  readonly orderId: string;
  readonly priceMinor: number;
  readonly quantity: number;
  readonly discountMinor: number;
  readonly unitCostMinor: number | null;
}

export interface AttributedReward {
  readonly rewardId: string;
  readonly slot: DueSlot;
  readonly clicked: boolean;
  readonly purchased: boolean;
  readonly redeemed: boolean;
  readonly revenueMinor: number;
  readonly marginMinor: number;
  readonly discountCostMinor: number;
  readonly incrementalProfitMinor: number;
  readonly rewardValue: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly attributedEventIds: readonly string[];
  readonly orderIds: readonly string[];
}

/** The reward id of a slot: "<decision>:<rank>", or "<decision>:0:<campaign>" for control rows. */
export function rewardIdOf(s: { decisionId: string; rank: number; campaignId: string }): string {
  return s.rank > 0 ? `${s.decisionId}:${s.rank}` : `${s.decisionId}:0:${s.campaignId}`;
}

/** When a slot's window opened: served_at, the impression of a deferred decision, or never. */
export function windowStart(slot: DueSlot, events: readonly OutcomeEvent[]): number | undefined {
  if (!slot.deferred) return slot.servedAtMs;
  let first: number | undefined;
  for (const e of events) {
    if (e.type !== 'offer_impression' || e.decisionId !== slot.decisionId) continue;
    if (e.timeMs > slot.activationDeadlineMs) continue;
    if (first === undefined || e.timeMs < first) first = e.timeMs;
  }
  return first;
}

const qty = (e: OutcomeEvent) => Math.max(1, e.quantity);

/**
 * The reward of one slot. `events` are the user's events (any time: the function applies
 * the window itself); `servedAtOfUser` are the serve times of the user's decisions by id
 * (for last touch). Undefined when the slot earns nothing (a lapsed deferred decision).
 */
export function attribute(
  slot: DueSlot,
  events: readonly OutcomeEvent[],
  servedAtOfUser: ReadonlyMap<string, number>,
): AttributedReward | undefined {
  const start = windowStart(slot, events);
  if (start === undefined) return undefined;
  const end = start + slot.windowMs;
  const inWindow = (e: OutcomeEvent) => e.timeMs >= start && e.timeMs < end;
  const ids: string[] = [];
  let clicked = false;
  let redeemRecords = 0;
  let redeemDiscount = 0;

  // Last touch: the user's latest decision served at or before t.
  const latestBefore = (t: number): string | undefined => {
    let best: string | undefined;
    let bestAt = -Infinity;
    for (const [id, at] of servedAtOfUser)
      if (at <= t && (at > bestAt || (at === bestAt && id > (best ?? '')))) {
        best = id;
        bestAt = at;
      }
    return best;
  };

  for (const e of events) {
    if (!inWindow(e) || slot.offerId === '' || e.offerId !== slot.offerId) continue;
    const mine = e.decisionId === slot.decisionId;
    // A coupon typed in without a decision id belongs to the last decision that showed it.
    if (mine || (e.decisionId === '' && latestBefore(e.timeMs) === slot.decisionId)) {
      if (e.type === 'offer_click' && mine) {
        clicked = true;
        ids.push(e.eventId);
      }
      if (e.type === 'offer_redeem') {
        redeemRecords++;
        redeemDiscount += Math.max(0, e.discountMinor);
        ids.push(e.eventId);
      }
    }
  }

  const orders = new Set<string>();
  let listValue = 0;
  let cogs = 0;
  let lineDiscount = 0;
  let offerLineDiscount = 0;
  let offerLines = 0;
  for (const e of events) {
    if (e.type !== 'purchase' || !inWindow(e)) continue;
    const owner = e.decisionId !== '' ? e.decisionId : latestBefore(e.timeMs);
    if (owner !== slot.decisionId) continue;
    const value = Math.max(0, e.priceMinor) * qty(e);
    listValue += value;
    cogs +=
      e.unitCostMinor !== null
        ? Math.max(0, e.unitCostMinor) * qty(e)
        : value * (1 - slot.marginRate);
    lineDiscount += Math.max(0, e.discountMinor);
    if (slot.offerId !== '' && e.offerId === slot.offerId) {
      offerLines++;
      offerLineDiscount += Math.max(0, e.discountMinor);
    }
    if (e.orderId !== '') orders.add(e.orderId);
    ids.push(e.eventId);
  }

  let refundedValue = 0;
  let refundedCogs = 0;
  for (const e of events) {
    if (e.type !== 'refund' || !orders.has(e.orderId)) continue;
    const value = Math.max(0, e.priceMinor) * qty(e);
    refundedValue += value;
    refundedCogs +=
      e.unitCostMinor !== null
        ? Math.max(0, e.unitCostMinor) * qty(e)
        : value * (1 - slot.marginRate);
    ids.push(e.eventId);
  }
  refundedValue = Math.min(refundedValue, listValue);
  refundedCogs = Math.min(refundedCogs, cogs);

  const redeemed = redeemRecords > 0 || offerLines > 0;
  // A redemption record states the discount given; purchase lines carry it too — count once.
  const discountCost = Math.round(redeemRecords > 0 ? redeemDiscount : offerLineDiscount);
  const revenue = Math.round(listValue - lineDiscount - refundedValue);
  const margin = Math.round(listValue - cogs - (refundedValue - refundedCogs));
  const purchased = listValue > 0 && refundedValue < listValue;
  const profit = margin - discountCost;
  const rewardValue =
    slot.objective === 'conversions'
      ? Number(purchased)
      : slot.objective === 'revenue'
        ? revenue
        : profit;
  return {
    rewardId: rewardIdOf(slot),
    slot,
    clicked,
    purchased,
    redeemed,
    revenueMinor: revenue,
    marginMinor: margin,
    discountCostMinor: discountCost,
    incrementalProfitMinor: profit,
    rewardValue,
    windowStartMs: start,
    windowEndMs: end,
    attributedEventIds: ids,
    orderIds: [...orders],
  };
}

/** True when two computations of a reward differ in anything a consumer learns from. */
export function rewardChanged(
  a: Pick<
    AttributedReward,
    'purchased' | 'clicked' | 'redeemed' | 'revenueMinor' | 'marginMinor' | 'discountCostMinor'
  >,
  b: Pick<
    AttributedReward,
    'purchased' | 'clicked' | 'redeemed' | 'revenueMinor' | 'marginMinor' | 'discountCostMinor'
  >,
): boolean {
  return (
    a.purchased !== b.purchased ||
    a.clicked !== b.clicked ||
    a.redeemed !== b.redeemed ||
    a.revenueMinor !== b.revenueMinor ||
    a.marginMinor !== b.marginMinor ||
    a.discountCostMinor !== b.discountCostMinor
  );
}
