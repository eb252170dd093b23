import { CampaignObjective, type Campaign, type Offer } from '@offerstream/contracts';
import { toEventRow, UNSCORED_CANDIDATE_COLUMNS } from '@offerstream/events';
import { catalogOffers } from '@offerstream/features';
import type { Candidate } from './campaign-book';
import type { Catalog, Item } from './catalog';
import type { Market } from './market';
import { toProtoEvent, type MarketEvent } from './market-event';
import { basketMargin, basketOf, type Basket } from './outcome-model';
import { UniformLoggingPolicy } from './policies';
import type { SimUser } from './population';
import { attributionWindowMs, campaignsAt, type Scenario } from './scenario';
import { simulate, type DecisionRecord } from './simulation';
import { clickhouseDateTime, DAY_MS } from './time.util';

/**
 * The tables a dataset holds: the ClickHouse tables of migrations 0001/0004, plus `catalog`
 * (the campaign catalog as the feature service sees it, which is not in ClickHouse) and
 * `truth`.
 */
export type DatasetTable =
  'catalog' | 'events' | 'decisions' | 'decision_candidates' | 'rewards' | 'truth';

/** One JSON line of a dataset file. */
export interface DatasetRow {
  readonly table: DatasetTable;
  readonly row: Readonly<Record<string, unknown>>;
}

/** Everything simulated must lie within this long before --end-ms (ingest accepts 7 days). */
export const DATASET_WINDOW_MS = 3 * DAY_MS;

/** Policy columns name the logging policy by PolicyType: uniform random is ε-greedy with ε = 1. */
const LOGGING_POLICY = 'epsilon_greedy';
const POLICY_VERSION = 'market-sim/uniform-logging@1';
const SERVED_BY = 'market-sim';

/** Options of {@link exportDataset}. */
export interface DatasetOptions {
  readonly scenario: Scenario;
  /** The run ends here (epoch ms); it starts scenario.durationMs earlier. */
  readonly endMs: number;
}

/** Row counts by table. */
export type DatasetSummary = Readonly<Record<DatasetTable, number>> & {
  readonly startMs: number;
  readonly endMs: number;
};

function objectiveName(c: Campaign): string {
  const name = CampaignObjective[c.objective];
  return c.objective === CampaignObjective.CAMPAIGN_OBJECTIVE_UNSPECIFIED ||
    typeof name !== 'string'
    ? 'incremental_profit'
    : name.replace('CAMPAIGN_OBJECTIVE_', '').toLowerCase();
}

/** The events row of a market event (the ingest service's mapping, DateTimes as text). */
export function eventRow(e: MarketEvent): Record<string, unknown> {
  const row = toEventRow(toProtoEvent(e), new Date(e.timeMs));
  return {
    ...row,
    event_time: clickhouseDateTime(e.timeMs),
    ingested_at: clickhouseDateTime(e.timeMs),
  };
}

function decisionRow(
  d: DecisionRecord,
  offset: number,
  scenario: Scenario,
  noOfferPropensity: number,
): DatasetRow {
  const at = d.point.timeMs;
  const servedAt = clickhouseDateTime(at);
  return {
    table: 'decisions',
    row: {
      decision_id: d.decisionId,
      shop_id: scenario.shopId,
      user_id: d.userId,
      session_id: d.sessionId,
      served_at: servedAt,
      served_at_ms: at,
      placement_id: d.point.placementId,
      page_type: d.point.pageType,
      context_item_id: '',
      context_category_id: '',
      cart_value_minor: d.point.basket.subtotalMinor,
      currency: scenario.currency,
      device: d.point.device,
      channel: d.point.channel,
      country: d.point.country,
      requested_slots: 1,
      feature_spec_version: '',
      features_computed_at_ms: 0,
      user_features: [],
      user_cold_start: 0,
      seq_item_ids: [],
      seq_category_ids: [],
      seq_types: [],
      seq_age_seconds: [],
      seq_price_minor: [],
      segment: '',
      policy_version: POLICY_VERSION,
      model_name: '',
      model_version: '',
      holdout: d.holdout ? 1 : 0,
      holdout_campaign_ids: d.heldOutCampaignIds,
      slot_campaign_ids: d.chosen ? [d.chosen.campaign.campaignId] : [],
      no_offer_propensity: noOfferPropensity,
      degraded: 0,
      degraded_reasons: [],
      deferred: 0,
      activation_deadline_ms: 0,
      served_by: SERVED_BY,
      kafka_partition: 0,
      kafka_offset: offset,
      inserted_at: servedAt,
    },
  };
}

/** What a candidate row is about: an offer of the campaign, or (offer undefined) its control arm. */
interface CandidateRowSpec {
  readonly campaign: Campaign;
  readonly candidate?: Candidate;
  readonly chosen: boolean;
  readonly holdout: boolean;
  readonly selectionProbability: number;
  readonly propensity: number;
}

/**
 * A decision_candidates row, laid out as bandit-policy writes them: offers with their
 * selection probability (propensity only on the chosen one), and control rows (offer '',
 * rank 0) for held-out campaigns (propensity 1) and for an empty answer (propensity =
 * no_offer_propensity).
 */
function candidateRow(d: DecisionRecord, spec: CandidateRowSpec, scenario: Scenario): DatasetRow {
  const at = d.point.timeMs;
  const c = spec.campaign;
  const offer = spec.candidate?.offer;
  const effect = spec.candidate?.effect;
  return {
    table: 'decision_candidates',
    row: {
      decision_id: d.decisionId,
      shop_id: scenario.shopId,
      user_id: d.userId,
      served_at: clickhouseDateTime(at),
      served_at_ms: at,
      offer_id: offer?.offerId ?? '',
      campaign_id: c.campaignId,
      item_id: offer?.flashSale?.itemId ?? '',
      ...UNSCORED_CANDIDATE_COLUMNS,
      // What the cart is worth and what the offer would cost on it; the uniform policy
      // values nothing, so no expected cost beyond the reservation and no budget price.
      margin_minor: effect ? basketMargin(d.point.basket) : 0,
      redemption_cost_minor: effect ? effect.costMinor : 0,
      expected_cost_minor: effect ? effect.costMinor : 0,
      budget_price: 0,
      selection_probability: spec.selectionProbability,
      policy: LOGGING_POLICY,
      rank: spec.chosen ? 1 : 0,
      propensity: spec.propensity,
      propensity_method: spec.chosen ? 'exact' : '',
      explored: spec.chosen ? 1 : 0,
      holdout: spec.holdout ? 1 : 0,
      segment: '',
      attribution_window_s: Math.round(attributionWindowMs(c) / 1000),
      default_margin_rate: c.defaultMarginRate || 0.3,
      objective: objectiveName(c),
      reserved_minor: spec.chosen && effect ? effect.costMinor : 0,
      reserved_stock: spec.chosen && effect ? effect.flashUnits : 0,
      currency: scenario.currency,
      deferred: 0,
      activation_deadline_ms: 0,
      kafka_partition: 0,
      inserted_at: clickhouseDateTime(at),
    },
  };
}

/**
 * The final reward of a slot or control row: what happened within the attribution window,
 * computed as bandit-policy's attribution does. The order carries the decision id, so
 * attribution is exact; a refund inside the window takes the order back (no conversion,
 * no revenue, margin or offer cost). margin_minor is the merchandise margin before the
 * offer, so incremental_profit_minor = margin − discount cost is the profit made.
 */
function rewardRow(d: DecisionRecord, spec: CandidateRowSpec, scenario: Scenario): DatasetRow {
  const o = d.outcome;
  const at = d.point.timeMs;
  const windowEnd = at + attributionWindowMs(spec.campaign);
  const bought = o.purchased && o.orderTimeMs !== undefined && o.orderTimeMs < windowEnd;
  const refunded = bought && o.refundAtMs !== undefined && o.refundAtMs < windowEnd;
  const kept = bought && !refunded;
  const margin = kept ? o.marginMinor : 0;
  const cost = kept && spec.chosen ? o.offerCostMinor : 0;
  const rank = spec.chosen ? 1 : 0;
  const offerId = spec.chosen ? (spec.candidate?.offer.offerId ?? '') : '';
  return {
    table: 'rewards',
    row: {
      reward_id:
        rank > 0 ? `${d.decisionId}:${rank}` : `${d.decisionId}:0:${spec.campaign.campaignId}`,
      revision: 1,
      decision_id: d.decisionId,
      shop_id: scenario.shopId,
      user_id: d.userId,
      offer_id: offerId,
      campaign_id: spec.campaign.campaignId,
      rank,
      holdout: spec.holdout ? 1 : 0,
      propensity: spec.propensity,
      policy: LOGGING_POLICY,
      segment: '',
      policy_features: [],
      clicked: spec.chosen && o.clicked ? 1 : 0,
      purchased: kept ? 1 : 0,
      redeemed: spec.chosen && bought && o.redeemed ? 1 : 0,
      currency: scenario.currency,
      revenue_minor: kept ? o.revenueMinor : 0,
      margin_minor: margin,
      discount_cost_minor: cost,
      incremental_profit_minor: margin - cost,
      reward_value: margin - cost,
      reward_definition: 'incremental_profit',
      served_at: clickhouseDateTime(at),
      served_at_ms: at,
      window_end_ms: windowEnd,
      attributed_event_ids: [...o.eventIds, ...(refunded ? o.refundEventIds : [])],
      order_ids: bought && o.orderId ? [o.orderId] : [],
      computed_at: clickhouseDateTime(windowEnd),
      computed_at_ms: windowEnd,
      final: 1,
      kafka_partition: 0,
    },
  };
}

/** Every row a decision produces (decision, candidates and control rows, rewards). */
function rowsOfDecision(
  d: DecisionRecord,
  offset: number,
  scenario: Scenario,
  campaigns: ReadonlyMap<string, Campaign>,
): DatasetRow[] {
  const k = d.candidates.length;
  const p = 1 / (k + 1);
  const noOffer = d.holdout ? 1 : p;
  const specs: CandidateRowSpec[] = d.candidates.map((c) => ({
    campaign: c.campaign,
    candidate: c,
    chosen: d.chosen === c,
    holdout: false,
    selectionProbability: p,
    propensity: d.chosen === c ? p : 0,
  }));
  for (const id of d.heldOutCampaignIds)
    specs.push({
      campaign: campaigns.get(id)!,
      chosen: false,
      holdout: true,
      selectionProbability: 0,
      propensity: 1,
    });
  if (!d.holdout && !d.chosen) {
    const served = new Map(d.candidates.map((c) => [c.campaign.campaignId, c.campaign]));
    for (const c of served.values())
      specs.push({
        campaign: c,
        chosen: false,
        holdout: false,
        selectionProbability: 0,
        propensity: p,
      });
  }
  return [
    decisionRow(d, offset, scenario, noOffer),
    ...specs.map((s) => candidateRow(d, s, scenario)),
    // Rewards for what earns one: the chosen slot and the control rows.
    ...specs.filter((s) => s.chosen || !s.candidate).map((s) => rewardRow(d, s, scenario)),
  ];
}

function median(items: readonly Item[]): Item | undefined {
  const sorted = [...items].sort((a, b) => a.priceMinor - b.priceMinor);
  return sorted[Math.floor(sorted.length / 2)];
}

function lineOf(it: Item): Basket {
  return basketOf([
    {
      itemId: it.itemId,
      categoryId: it.categoryId,
      unitPriceMinor: it.priceMinor,
      unitCostMinor: it.unitCostMinor,
      quantity: 1,
    },
  ]);
}

/**
 * The basket a truth row evaluates an offer on: one unit of the offer's item (flash sale,
 * or the first applicable item), else the median-priced item of the offer's first
 * category, else the median-priced item of the user's favourite category.
 */
export function referenceBasket(user: SimUser, offer: Offer, catalog: Catalog): Basket | undefined {
  const itemId = offer.flashSale?.itemId ?? offer.applicableItemIds[0];
  const byId = itemId ? catalog.byId.get(itemId) : undefined;
  if (byId) return lineOf(byId);
  let favourite = 0;
  user.categoryWeights.forEach((w, i) => {
    if (w > (user.categoryWeights[favourite] ?? 0)) favourite = i;
  });
  const category = offer.applicableCategoryIds[0] ?? catalog.categories[favourite];
  const pool = (catalog.byCategory.get(category ?? '') ?? []).filter((i) => i.launchOffsetMs === 0);
  const it = median(pool);
  return it ? lineOf(it) : undefined;
}

function truthRows(market: Market, offers: readonly Offer[]): DatasetRow[] {
  return market.population.users.map((u) => {
    const withOffer: Record<string, number> = {};
    for (const o of offers) {
      const basket = referenceBasket(u, o, market.catalog);
      if (basket) withOffer[o.offerId] = market.truth.evaluate(u.userId, basket, o).pBuy;
    }
    return {
      table: 'truth',
      row: {
        shop_id: market.scenario.shopId,
        user_id: u.userId,
        user_type: u.type,
        p_buy_no_offer: u.pBuyBase,
        p_buy_with_offer: withOffer,
      },
    };
  });
}

/**
 * Runs the scenario under the randomized logging policy (uniform over the eligible offers
 * and "no offer", after the campaigns' holdout) over the `durationMs` before `endMs`, and
 * hands every row to `sink`: events, decisions, decision candidates, rewards (one per
 * shown offer, rank 1; one per holdout decision, rank 0) and one truth row per user.
 */
export function exportDataset(
  opts: DatasetOptions,
  sink: (row: DatasetRow) => void,
): DatasetSummary {
  const { scenario, endMs } = opts;
  if (scenario.durationMs > DATASET_WINDOW_MS)
    throw new Error(
      `scenario ${scenario.name} lasts ${scenario.durationMs / 3_600_000} h; a dataset must fit in the ${DATASET_WINDOW_MS / 3_600_000} h before --end-ms`,
    );
  const startMs = endMs - scenario.durationMs;
  const counts: Record<DatasetTable, number> = {
    catalog: 0,
    events: 0,
    decisions: 0,
    decision_candidates: 0,
    rewards: 0,
    truth: 0,
  };
  const put = (r: DatasetRow) => {
    counts[r.table]++;
    sink(r);
  };
  const logging = new UniformLoggingPolicy(scenario.seed);
  const byId = new Map(campaignsAt(scenario, startMs).map((c) => [c.campaignId, c]));
  // What the trainer's --catalog reads: offer kind, depth, thresholds, stock and budget.
  for (const c of byId.values())
    for (const o of catalogOffers(c)) put({ table: 'catalog', row: { ...o } });
  let offset = 0;
  const run = simulate({
    scenario,
    startMs,
    policy: logging,
    observer: {
      onEvent: (e) => put({ table: 'events', row: eventRow(e) }),
      onDecision: (d) => rowsOfDecision(d, offset++, scenario, byId).forEach(put),
    },
  });
  truthRows(
    run.market,
    [...byId.values()].flatMap((c) => c.offers),
  ).forEach(put);
  return { ...counts, startMs, endMs };
}
