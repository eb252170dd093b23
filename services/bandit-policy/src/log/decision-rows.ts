import {
  CampaignObjective,
  Channel,
  DegradedReason,
  DeviceType,
  EventType,
  PageType,
  PolicyType,
  PropensityMethod,
  Decision,
} from '@offerstream/contracts';
import { UNSCORED_CANDIDATE_COLUMNS } from '@offerstream/events';

/** Lower-case enum name without its prefix, as the tables store enums. */
export function enumName(
  e: Record<string | number, string | number>,
  v: number,
  prefix: string,
): string {
  const name = e[v];
  return typeof name === 'string' ? name.replace(prefix, '').toLowerCase() : 'unknown';
}

const secs = (ms: number) => Math.floor(ms / 1000);

/** Where a decision record sits in offerstream.decisions.v1. */
export interface LogPosition {
  readonly partition: number;
  readonly offset: string;
}

/** A row of `decisions` or `decision_candidates` (migration 0004). */
export type DecisionRow = Record<string, string | number | readonly string[] | readonly number[]>;

/** The `decisions` row of a decision. */
export function decisionRow(d: Decision, at: LogPosition, insertedAtMs: number): DecisionRow {
  const served = d.servedAt?.getTime() ?? 0;
  const ctx = d.context;
  const f = d.features;
  const seq = f?.sequence ?? [];
  return {
    decision_id: d.decisionId,
    shop_id: d.shopId,
    user_id: d.userId,
    session_id: d.sessionId,
    served_at: secs(served),
    served_at_ms: served,
    placement_id: d.placementId,
    page_type: enumName(PageType, ctx?.pageType ?? 0, 'PAGE_TYPE_'),
    context_item_id: ctx?.itemId ?? '',
    context_category_id: ctx?.categoryId ?? '',
    cart_value_minor: ctx?.cartValueMinor ?? 0,
    currency: ctx?.currency ?? '',
    device: enumName(DeviceType, ctx?.device ?? 0, 'DEVICE_TYPE_'),
    channel: enumName(Channel, ctx?.channel ?? 0, 'CHANNEL_'),
    country: ctx?.country ?? '',
    requested_slots: d.requestedSlots,
    feature_spec_version: f?.featureSpecVersion ?? '',
    features_computed_at_ms: f?.freshness?.computedAt?.getTime() ?? 0,
    user_features: f?.user?.values ?? [],
    user_cold_start: f?.user?.coldStart ? 1 : 0,
    seq_item_ids: seq.map((s) => s.itemId),
    seq_category_ids: seq.map((s) => s.categoryId),
    seq_types: seq.map((s) => enumName(EventType, s.type, 'EVENT_TYPE_')),
    seq_age_seconds: seq.map((s) => s.ageSeconds),
    seq_price_minor: seq.map((s) => s.priceMinor),
    segment: d.segment,
    policy_version: d.policyVersion,
    model_name: d.modelName,
    model_version: d.modelVersion,
    holdout: d.holdout ? 1 : 0,
    holdout_campaign_ids: d.holdoutCampaignIds,
    slot_campaign_ids: d.slots.map((s) => s.campaignId),
    no_offer_propensity: d.noOfferPropensity,
    degraded: d.degraded ? 1 : 0,
    degraded_reasons: d.degradedReasons.map((r) => enumName(DegradedReason, r, 'DEGRADED_REASON_')),
    deferred: d.deferred ? 1 : 0,
    activation_deadline_ms: d.activationDeadline?.getTime() ?? 0,
    served_by: d.servedBy,
    kafka_partition: at.partition,
    kafka_offset: Number(at.offset),
    inserted_at: secs(insertedAtMs),
  };
}

/**
 * The `decision_candidates` rows of a decision: one per candidate (rank > 0 when shown),
 * one control row (offer '', rank 0) per campaign the user is held out of, and — when the
 * answer was empty — one "nothing shown" control row per campaign that had candidates:
 * the outcomes of showing nothing, which the cold-start policy learns its baseline from.
 */
export function candidateRows(d: Decision, at: LogPosition, insertedAtMs: number): DecisionRow[] {
  const served = d.servedAt?.getTime() ?? 0;
  const camp = new Map(d.campaigns.map((c) => [c.campaignId, c]));
  const slotOf = new Map(d.slots.map((s) => [s.offerId, s]));
  const reservation = new Map(d.reservations.map((r) => [r.offerId, r]));
  // Rows are Object.assign(base, rest), never { ...base, 27 more fields }: V8 builds such a
  // spread literal in dictionary mode, about 50 µs a row against 2 µs (the decision sink
  // spent a millisecond of CPU per 20-candidate decision on it).
  const base = (campaignId: string) => {
    const c = camp.get(campaignId);
    const w = c?.attributionWindow;
    return {
      decision_id: d.decisionId,
      shop_id: d.shopId,
      user_id: d.userId,
      served_at: secs(served),
      served_at_ms: served,
      campaign_id: campaignId,
      segment: d.segment,
      attribution_window_s: w ? w.seconds : 86400,
      default_margin_rate: c?.marginRate ?? 0.3,
      objective: enumName(CampaignObjective, c?.objective || 1, 'CAMPAIGN_OBJECTIVE_'),
      currency: c?.currency ?? '',
      deferred: d.deferred ? 1 : 0,
      activation_deadline_ms: d.activationDeadline?.getTime() ?? 0,
      kafka_partition: at.partition,
      inserted_at: secs(insertedAtMs),
    };
  };
  const rows: DecisionRow[] = d.candidates.map((c) => {
    const s = slotOf.get(c.offerId);
    const r = reservation.get(c.offerId);
    const f = c.featureIndex >= 0 ? d.features?.candidates[c.featureIndex] : undefined;
    return Object.assign(base(c.campaignId), {
      offer_id: c.offerId,
      item_id: c.itemId,
      feature_index: c.featureIndex,
      // The model's inputs of what was shown (the training examples); the other candidates'
      // vectors stay in the Kafka record (ClickHouse would pay for every one of them).
      candidate_features: s ? (f?.values ?? []) : [],
      policy_features: c.policyFeatures,
      scored: c.score ? 1 : 0,
      p_click: c.score?.pClick ?? 0,
      p_purchase: c.score?.pPurchase ?? 0,
      p_purchase_given_offer: c.score?.pPurchaseGivenOffer ?? 0,
      p_purchase_no_offer: c.score?.pPurchaseNoOffer ?? 0,
      uplift: c.score?.uplift ?? 0,
      expected_value_minor: c.expectedValueMinor,
      margin_minor: c.marginMinor,
      redemption_cost_minor: c.redemptionCostMinor,
      expected_cost_minor: c.expectedCostMinor,
      budget_price: c.budgetPrice,
      selection_probability: c.selectionProbability,
      policy: enumName(PolicyType, s?.policy ?? c.policy, 'POLICY_TYPE_'),
      rank: s?.rank ?? 0,
      propensity: s?.propensity ?? 0,
      propensity_method: s
        ? enumName(PropensityMethod, s.propensityMethod, 'PROPENSITY_METHOD_')
        : '',
      explored: s?.exploration?.explored ? 1 : 0,
      holdout: 0,
      reserved_minor: r?.reservedMinor ?? 0,
      reserved_stock: r?.reservedStock ?? 0,
    });
  });
  const control = (campaignId: string, holdout: boolean): DecisionRow =>
    Object.assign(base(campaignId), UNSCORED_CANDIDATE_COLUMNS, {
      offer_id: '',
      item_id: '',
      margin_minor: 0,
      redemption_cost_minor: 0,
      expected_cost_minor: 0,
      budget_price: 0,
      selection_probability: 0,
      policy: enumName(PolicyType, camp.get(campaignId)?.policy ?? 0, 'POLICY_TYPE_'),
      rank: 0,
      // A control row is what the user got for sure (holdout) or what the policy chose
      // with probability no_offer_propensity.
      propensity: holdout ? 1 : d.noOfferPropensity,
      propensity_method: '',
      explored: 0,
      holdout: holdout ? 1 : 0,
      reserved_minor: 0,
      reserved_stock: 0,
    });
  for (const c of d.campaigns) {
    if (c.holdout) rows.push(control(c.campaignId, true));
    else if (d.slots.length === 0) rows.push(control(c.campaignId, false));
  }
  return rows;
}

/**
 * The columns the row builders fill, in a fixed order (read off rows they build, so the
 * builders stay the one place that names them): what the sink's inserts list.
 */
const sample = Decision.fromPartial({ campaigns: [{ campaignId: 'c', holdout: true }] });
export const DECISION_COLUMNS: readonly string[] = Object.keys(
  decisionRow(sample, { partition: 0, offset: '0' }, 0),
);
export const CANDIDATE_COLUMNS: readonly string[] = Object.keys(
  candidateRows(sample, { partition: 0, offset: '0' }, 0)[0]!,
);
