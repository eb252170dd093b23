import type { FeatureDef, FeatureSpec } from './feature-spec';
import { FeatureSpecError } from './feature-spec';
import {
  EVENT_TYPES,
  I,
  O,
  U,
  USER_COUNT_FIELDS,
  USER_FIELDS,
  type ItemState,
  type OfferState,
  type SequenceItem,
  type UserState,
} from './feature-event';
import { HOUR_MS, hourOf } from './hour-buckets';

/** The request context as features read it (lowercase enum names; '' = unknown). */
export interface ContextInput {
  readonly device: string;
  readonly channel: string;
  readonly pageType: string;
  readonly cartValueMinor: number;
  readonly cartItemIds: readonly string[];
}

export const EMPTY_CONTEXT: ContextInput = {
  device: '',
  channel: '',
  pageType: '',
  cartValueMinor: 0,
  cartItemIds: [],
};

/** Offer kinds as the spec names them (o_type_*). */
export type OfferKind = 'percent' | 'amount' | 'spend_save' | 'free_shipping' | 'flash' | 'coupon';

/** What the campaign catalog says about an offer. */
export interface CatalogOffer {
  readonly offerId: string;
  readonly campaignId: string;
  readonly kind: OfferKind;
  readonly percentOff: number;
  readonly amountOffMinor: number;
  /** Spend threshold (spend-X-save-Y, free shipping); 0 = none. */
  readonly thresholdMinor: number;
  readonly saveMinor: number;
  readonly salePriceMinor: number;
  /** Flash-sale stock; undefined when not a flash sale. */
  readonly stock: number | undefined;
  /** The campaign's total budget; 0 = unlimited. */
  readonly totalBudgetMinor: number;
  /** Largest discount one order may get; 0 = no cap. */
  readonly maxDiscountMinor: number;
  /** Shipping cost a free-shipping offer absorbs per order; 0 otherwise. */
  readonly shippingCostMinor: number;
}

/** One candidate as GetFeatures receives it. */
export interface CandidateInput {
  readonly offerId: string;
  readonly campaignId: string;
  readonly itemId: string;
  readonly categoryId: string;
}

/** What is known about a candidate's item, offer and campaign. */
export interface CandidateState {
  readonly item: ItemState | undefined;
  readonly offer: OfferState | undefined;
  readonly catalog: CatalogOffer | undefined;
  /** Discount cost of all the campaign's redemptions so far, minor units. */
  readonly campaignSpentMinor: number;
}

const WINDOWS: readonly [string, number][] = [
  ['1h', 1],
  ['24h', 24],
  ['7d', 168],
  ['30d', 720],
];
const U_N = USER_FIELDS.length;
/** The sums of a user without buckets (read only). */
const NO_SUMS = new Float64Array(U_N);
/** The ten per-type counters (u_<name>_<window>), in bucket order. */
const COUNT_NAMES = USER_FIELDS.slice(0, 10);
const OFFER_KINDS: readonly OfferKind[] = [
  'percent',
  'amount',
  'spend_save',
  'free_shipping',
  'flash',
  'coupon',
];

const log1p0 = (x: number) => Math.log1p(Math.max(0, x));
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const DAY_MS = 24 * HOUR_MS;

/** Places named values in spec order; a spec feature no code computes is an error. */
function ordered(defs: readonly FeatureDef[], values: Map<string, number>): Float32Array {
  const out = new Float32Array(defs.length);
  defs.forEach((d, i) => {
    const v = values.get(d.name);
    if (v === undefined) throw new FeatureSpecError(`no computation for feature ${d.name}`);
    out[i] = Number.isFinite(v) ? v : d.default;
  });
  return out;
}

/** The user's sequence within the lookback and not after as_of, oldest first. */
export function visibleSequence(
  spec: FeatureSpec,
  user: UserState | undefined,
  asOfMs: number,
): SequenceItem[] {
  if (!user) return [];
  const from = asOfMs - spec.params.lookback_hours * HOUR_MS;
  return user.sequence.filter((s) => s.timeMs <= asOfMs && s.timeMs >= from);
}

/** User and context features at `asOfMs`, in spec order. */
export function userFeatures(
  spec: FeatureSpec,
  user: UserState | undefined,
  ctx: ContextInput,
  asOfMs: number,
): { values: Float32Array; coldStart: boolean; events30d: number } {
  const v = new Map<string, number>();
  const H = hourOf(asOfMs);
  const L = spec.params.lookback_hours;
  const cap = spec.params.recency_cap_hours;
  const b = user?.buckets;
  // Every field's sum per window, one pass over the buckets each.
  const byWindow = new Map<number, Float64Array>();
  const sums = (hours: number): Float64Array => {
    if (!b) return NO_SUMS;
    let s = byWindow.get(hours);
    if (!s) byWindow.set(hours, (s = b.sumsInto(H - hours + 1, H, new Float64Array(U_N))));
    return s;
  };
  for (const [w, hours] of WINDOWS) {
    const s = sums(hours);
    COUNT_NAMES.forEach((name, f) => v.set(`u_${name}_${w}`, log1p0(s[f]!)));
  }
  const week = sums(168);
  const month = sums(L);
  const spend7 = week[U.spend_minor]!;
  const spend30 = month[U.spend_minor]!;
  const purchases30 = month[U.purchases]!;
  const discount30 = month[U.discount_received_minor]!;
  const refunds30 = month[U.refunds]!;
  v.set('u_spend_7d', log1p0(spend7 / 100));
  v.set('u_spend_30d', log1p0(spend30 / 100));
  v.set('u_aov_30d', purchases30 > 0 ? log1p0(spend30 / purchases30 / 100) : 0);
  v.set(
    'u_discount_share_30d',
    spend30 + discount30 > 0 ? clamp01(discount30 / (spend30 + discount30)) : 0,
  );
  v.set('u_refund_rate_30d', purchases30 > 0 ? Math.min(1, refunds30 / purchases30) : 0);

  const hoursSince = (t: number | undefined) =>
    t === undefined || Number.isNaN(t) ? cap : Math.min(cap, Math.max(0, (asOfMs - t) / HOUR_MS));
  const sinceVisit = hoursSince(user?.last.visit);
  const sinceCart = hoursSince(user?.last.cart);
  const sincePurchase = hoursSince(user?.last.purchase);
  v.set('u_hours_since_visit', Math.log1p(sinceVisit));
  v.set('u_hours_since_cart', Math.log1p(sinceCart));
  v.set('u_hours_since_purchase', Math.log1p(sincePurchase));

  // Per-hour totals over the lookback: active days and the time-of-day profile.
  const days = new Set<number>();
  const blocks = new Array<number>(6).fill(0);
  const purchaseBlocks = new Array<number>(6).fill(0);
  let events30 = 0;
  let purchasesInBlocks = 0;
  b?.forEachTotal(USER_COUNT_FIELDS, H - L + 1, H, (h, total) => {
    if (total <= 0) return;
    days.add(Math.floor(h / 24));
    blocks[Math.floor((h % 24) / 4)]! += total;
    events30 += total;
  });
  b?.forEach(U.purchases, H - L + 1, H, (h, n) => {
    purchaseBlocks[Math.floor((h % 24) / 4)]! += n;
    purchasesInBlocks += n;
  });
  v.set('u_active_days_30d', days.size / 30);
  const hasPurchase =
    user !== undefined && !Number.isNaN(user.last.purchase) && sincePurchase < cap;
  const R = hasPurchase ? Math.exp(-sincePurchase / 720) : 0;
  v.set('u_rfm_value', R * (Math.log1p(purchases30) + log1p0(spend30 / 100)));
  v.set('u_churn_risk', days.size === 0 ? 1 : 1 - Math.exp(-sinceVisit / (720 / days.size)));
  for (let i = 0; i < 6; i++) {
    const name = `u_active_share_h${String(4 * i).padStart(2, '0')}_${String(4 * i + 4).padStart(2, '0')}`;
    v.set(name, events30 > 0 ? blocks[i]! / events30 : 0);
  }
  const nowBlock = Math.floor((H % 24) / 4);
  v.set('u_active_share_now', events30 > 0 ? blocks[nowBlock]! / events30 : 0);
  v.set(
    'u_purchase_share_now',
    purchasesInBlocks > 0 ? purchaseBlocks[nowBlock]! / purchasesInBlocks : 0,
  );
  const seq = visibleSequence(spec, user, asOfMs);
  v.set('u_seq_fill', seq.length / spec.sequence.max_length);
  v.set('u_seq_categories', Math.log1p(new Set(seq.map((s) => s.categoryId).filter(Boolean)).size));

  const hourOfDay = (asOfMs % DAY_MS) / HOUR_MS;
  const dow = (new Date(asOfMs).getUTCDay() + 6) % 7; // Monday = 0
  v.set('c_hour_sin', Math.sin((2 * Math.PI * hourOfDay) / 24));
  v.set('c_hour_cos', Math.cos((2 * Math.PI * hourOfDay) / 24));
  v.set('c_dow_sin', Math.sin((2 * Math.PI * dow) / 7));
  v.set('c_dow_cos', Math.cos((2 * Math.PI * dow) / 7));
  v.set('c_device_mobile', ctx.device === 'mobile' ? 1 : 0);
  v.set('c_device_tablet', ctx.device === 'tablet' ? 1 : 0);
  v.set('c_device_desktop', ctx.device === 'desktop' ? 1 : 0);
  v.set('c_channel_app', ctx.channel === 'app' ? 1 : 0);
  v.set('c_channel_web', ctx.channel === 'web' ? 1 : 0);
  v.set('c_channel_message', ctx.channel === 'email' || ctx.channel === 'push' ? 1 : 0);
  v.set('c_page_product', ctx.pageType === 'product' ? 1 : 0);
  v.set('c_page_cart', ctx.pageType === 'cart' || ctx.pageType === 'checkout' ? 1 : 0);
  v.set('c_cart_value', log1p0(ctx.cartValueMinor / 100));
  v.set('c_cart_items', Math.log1p(ctx.cartItemIds.length));
  return {
    values: ordered(spec.user, v),
    coldStart: events30 <= spec.params.user_cold_start_max_events,
    events30d: events30,
  };
}

/** Depth of the discount, as a share of the price given away, in [0, 1]. */
function discountDepth(c: CatalogOffer, itemPrice: number, cartValue: number): number {
  switch (c.kind) {
    case 'percent':
      return clamp01(c.percentOff / 100);
    case 'amount':
    case 'coupon':
      if (c.percentOff > 0) return clamp01(c.percentOff / 100);
      if (itemPrice > 0) return clamp01(c.amountOffMinor / itemPrice);
      return cartValue > 0 ? clamp01(c.amountOffMinor / cartValue) : 0;
    case 'flash':
      return itemPrice > 0 ? clamp01(1 - c.salePriceMinor / itemPrice) : 0;
    case 'spend_save':
      return c.thresholdMinor > 0 ? clamp01(c.saveMinor / c.thresholdMinor) : 0;
    case 'free_shipping':
      return 0;
  }
}

/**
 * What the offer saves on this order, as a share of it, in [0, 1]. The order is the cart
 * (else the candidate item alone, else unknown: 0). Percent offers take their share of the
 * order, amounts the amount; spend-X-save-Y saves only once the order reaches the threshold,
 * free shipping the absorbed shipping cost once the order reaches its threshold; a flash sale
 * saves the item's markdown. Every kind is capped by `maxDiscountMinor` when set (the most
 * one order may get from the offer).
 */
function cartSaving(c: CatalogOffer, itemPrice: number, cartValue: number): number {
  const order = cartValue > 0 ? cartValue : itemPrice;
  if (!(order > 0)) return 0;
  let saved: number;
  switch (c.kind) {
    case 'percent':
      saved = (order * c.percentOff) / 100;
      break;
    case 'amount':
    case 'coupon':
      saved = c.percentOff > 0 ? (order * c.percentOff) / 100 : c.amountOffMinor;
      break;
    case 'flash':
      saved = itemPrice > 0 ? itemPrice - c.salePriceMinor : 0;
      break;
    case 'spend_save':
      saved = order >= c.thresholdMinor ? c.saveMinor : 0;
      break;
    case 'free_shipping':
      saved = order >= c.thresholdMinor ? c.shippingCostMinor : 0;
      break;
  }
  if (c.maxDiscountMinor > 0) saved = Math.min(saved, c.maxDiscountMinor);
  return clamp01(saved / order);
}

/** 2^(−k / half-life) for k = 0..lookback: the decay weights, computed once per spec. */
const decayTables = new WeakMap<FeatureSpec, Float64Array>();
function decayTable(spec: FeatureSpec): Float64Array {
  let t = decayTables.get(spec);
  if (!t) {
    const half = spec.params.decay_half_life_hours;
    t = new Float64Array(spec.params.lookback_hours + 1);
    for (let k = 0; k < t.length; k++) t[k] = Math.pow(2, -k / half);
    decayTables.set(spec, t);
  }
  return t;
}

/**
 * The user side of candidate features, computed once per request: the visible sequence
 * and its counts by category, item and offer (each candidate then costs O(1) lookups).
 */
export interface CandidateContext {
  readonly spec: FeatureSpec;
  readonly asOfMs: number;
  readonly hour: number;
  readonly ctx: ContextInput;
  readonly withCategory: number;
  readonly byCategory: ReadonlyMap<string, number>;
  readonly byItem: ReadonlyMap<string, number>;
  readonly byOffer: ReadonlyMap<string, number>;
  readonly cart: ReadonlySet<string>;
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

export function candidateContext(
  spec: FeatureSpec,
  user: UserState | undefined,
  ctx: ContextInput,
  asOfMs: number,
): CandidateContext {
  const byCategory = new Map<string, number>();
  const byItem = new Map<string, number>();
  const byOffer = new Map<string, number>();
  let withCategory = 0;
  for (const s of visibleSequence(spec, user, asOfMs)) {
    if (s.categoryId !== '') {
      withCategory++;
      bump(byCategory, s.categoryId);
    }
    if (s.itemId !== '') bump(byItem, s.itemId);
    if (s.offerId !== '') bump(byOffer, s.offerId);
  }
  return {
    spec,
    asOfMs,
    hour: hourOf(asOfMs),
    ctx,
    withCategory,
    byCategory,
    byItem,
    byOffer,
    cart: new Set(ctx.cartItemIds),
  };
}

/** Item features, in the order `itemBlock` computes them. */
const ITEM_NAMES = [
  'i_price',
  'i_price_known',
  'i_views_24h',
  'i_views_7d',
  'i_clicks_7d',
  'i_carts_7d',
  'i_purchases_7d',
  'i_ctr',
  'i_cvr',
  'i_cart_rate',
  'i_trend',
] as const;
/** Offer usage features, in the order `offerBlock` computes them. */
const OFFER_NAMES = [
  'o_impressions_7d',
  'o_clicks_7d',
  'o_redeems_7d',
  'o_click_rate',
  'o_redeem_rate',
] as const;
/** Offer terms and user×candidate features, in the order `crossValues` computes them. */
const CROSS_NAMES = [
  'o_type_percent',
  'o_type_amount',
  'o_type_spend_save',
  'o_type_free_shipping',
  'o_type_flash',
  'o_type_coupon',
  'o_discount_depth',
  'o_cart_saving',
  'o_min_spend',
  'o_budget_left',
  'o_stock_left',
  'o_stock_known',
  'o_known',
  'x_category_affinity',
  'x_item_seen',
  'x_offer_seen',
  'x_item_in_cart',
  'x_cart_meets_threshold',
] as const;

/** Slot of each name in its list: `X.o_known` is where crossValues writes o_known. */
function slots<N extends string>(names: readonly N[]): { readonly [K in N]: number } {
  return Object.freeze(Object.fromEntries(names.map((n, i) => [n, i]))) as {
    readonly [K in N]: number;
  };
}
const IT = slots(ITEM_NAMES);
const OF = slots(OFFER_NAMES);
const X = slots(CROSS_NAMES);
const TYPE_SLOT: Readonly<Record<OfferKind, number>> = {
  percent: X.o_type_percent,
  amount: X.o_type_amount,
  spend_save: X.o_type_spend_save,
  free_shipping: X.o_type_free_shipping,
  flash: X.o_type_flash,
  coupon: X.o_type_coupon,
};

/**
 * Where each computed candidate value goes in a spec's vector (−1: the spec does not use
 * it), and the spec's defaults (as float32) for values that come out non-finite. Built once
 * per spec; a spec naming a candidate feature no code computes fails here, with its name.
 */
interface CandidatePlan {
  readonly size: number;
  readonly item: Int32Array;
  readonly offer: Int32Array;
  readonly cross: Int32Array;
  readonly defaults: Float64Array;
}
const plans = new WeakMap<FeatureSpec, CandidatePlan>();

function candidatePlan(spec: FeatureSpec): CandidatePlan {
  let plan = plans.get(spec);
  if (plan) return plan;
  const computed = new Set<string>([...ITEM_NAMES, ...OFFER_NAMES, ...CROSS_NAMES]);
  for (const d of spec.candidate)
    if (!computed.has(d.name)) throw new FeatureSpecError(`no computation for feature ${d.name}`);
  const place = (names: readonly string[]) =>
    Int32Array.from(names, (n) => spec.candidateIndex.get(n) ?? -1);
  plan = {
    size: spec.candidate.length,
    item: place(ITEM_NAMES),
    offer: place(OFFER_NAMES),
    cross: place(CROSS_NAMES),
    defaults: Float64Array.from(spec.candidate, (d) => Math.fround(d.default)),
  };
  plans.set(spec, plan);
  return plan;
}

/** Item features at hour H (in ITEM_NAMES order) plus the raw price and 7-day views. */
interface ItemBlock {
  readonly price: number;
  readonly views7d: number;
  readonly values: Float64Array;
}
/** Offer usage features at hour H (in OFFER_NAMES order), plus the raw 7-day impressions. */
interface OfferBlock {
  readonly impressions7d: number;
  readonly values: Float64Array;
}

const itemMemo = new WeakMap<ItemState, { hour: number; version: number; block: ItemBlock }>();
const offerMemo = new WeakMap<OfferState, { hour: number; version: number; block: OfferBlock }>();
const NO_ITEM = new WeakMap<FeatureSpec, Map<number, ItemBlock>>();
const NO_OFFER = new WeakMap<FeatureSpec, Map<number, OfferBlock>>();

/** The item's block, recomputed only when the item changed or the hour moved on. */
function itemBlock(spec: FeatureSpec, item: ItemState | undefined, H: number): ItemBlock {
  if (item) {
    const m = itemMemo.get(item);
    if (m && m.hour === H && m.version === item.version) return m.block;
  } else {
    const m = NO_ITEM.get(spec)?.get(H);
    if (m) return m;
  }
  const L = spec.params.lookback_hours;
  const table = decayTable(spec);
  const ib = item?.buckets;
  const isum = (f: number, hours: number) => (ib ? ib.sum(f, H - hours + 1, H) : 0);
  const idec = (f: number) => (ib ? ib.decayedBy(f, H - L + 1, H, table) : 0);
  const price = item?.price.value ?? 0;
  const views24 = isum(I.views, 24);
  const views7d = isum(I.views, 168);
  const dViews = idec(I.views);
  const v = new Float64Array(ITEM_NAMES.length);
  v[IT.i_price] = log1p0(price / 100);
  v[IT.i_price_known] = price > 0 ? 1 : 0;
  v[IT.i_views_24h] = log1p0(views24);
  v[IT.i_views_7d] = log1p0(views7d);
  v[IT.i_clicks_7d] = log1p0(isum(I.clicks, 168));
  v[IT.i_carts_7d] = log1p0(isum(I.add_to_carts, 168));
  v[IT.i_purchases_7d] = log1p0(isum(I.purchases, 168));
  v[IT.i_ctr] = (idec(I.clicks) + 20 * 0.05) / (dViews + 20);
  v[IT.i_cvr] = (idec(I.purchases) + 20 * 0.01) / (dViews + 20);
  v[IT.i_cart_rate] = (idec(I.add_to_carts) + 20 * 0.03) / (dViews + 20);
  v[IT.i_trend] = Math.log((views24 + 1) / (views7d / 7 + 1));
  const block: ItemBlock = { price, views7d, values: v };
  if (item) itemMemo.set(item, { hour: H, version: item.version, block });
  else NO_ITEM.set(spec, new Map([[H, block]]));
  return block;
}

/** The offer's usage block, recomputed only when the offer changed or the hour moved on. */
function offerBlock(spec: FeatureSpec, offer: OfferState | undefined, H: number): OfferBlock {
  if (offer) {
    const m = offerMemo.get(offer);
    if (m && m.hour === H && m.version === offer.version) return m.block;
  } else {
    const m = NO_OFFER.get(spec)?.get(H);
    if (m) return m;
  }
  const L = spec.params.lookback_hours;
  const table = decayTable(spec);
  const ob = offer?.buckets;
  const osum = (f: number, hours: number) => (ob ? ob.sum(f, H - hours + 1, H) : 0);
  const odec = (f: number) => (ob ? ob.decayedBy(f, H - L + 1, H, table) : 0);
  const impressions7d = osum(O.impressions, 168);
  const dImpr = odec(O.impressions);
  const v = new Float64Array(OFFER_NAMES.length);
  v[OF.o_impressions_7d] = log1p0(impressions7d);
  v[OF.o_clicks_7d] = log1p0(osum(O.clicks, 168));
  v[OF.o_redeems_7d] = log1p0(osum(O.redemptions, 168));
  v[OF.o_click_rate] = (odec(O.clicks) + 20 * 0.05) / (dImpr + 20);
  v[OF.o_redeem_rate] = (odec(O.redemptions) + 20 * 0.02) / (dImpr + 20);
  const block: OfferBlock = { impressions7d, values: v };
  if (offer) offerMemo.set(offer, { hour: H, version: offer.version, block });
  else NO_OFFER.set(spec, new Map([[H, block]]));
  return block;
}

/** Copies `src` into `out` at the plan's places; non-finite values become the spec default. */
function place(out: number[], at: Int32Array, src: Float64Array, defaults: Float64Array): void {
  for (let j = 0; j < at.length; j++) {
    const i = at[j]!;
    if (i < 0) continue;
    const x = src[j]!;
    out[i] = Number.isFinite(x) ? Math.fround(x) : defaults[i]!;
  }
}

/** Scratch for one candidate's cross values (the service computes one candidate at a time). */
const crossScratch = new Float64Array(CROSS_NAMES.length);

/**
 * One candidate's item, offer and cross features, in spec order, as float32 values.
 * `pre` (from `candidateContext`) carries the user side and the instant; item and offer
 * blocks are memoised per hour and state version, since they do not depend on the user.
 */
export function candidateFeatures(
  pre: CandidateContext,
  cand: CandidateInput,
  st: CandidateState,
): { values: number[]; coldStart: boolean } {
  const { spec, hour: H } = pre;
  const plan = candidatePlan(spec);
  const out = new Array<number>(plan.size).fill(0);
  const item = itemBlock(spec, st.item, H);
  const offer = offerBlock(spec, st.offer, H);
  place(out, plan.item, item.values, plan.defaults);
  place(out, plan.offer, offer.values, plan.defaults);
  crossValues(pre, cand, st, item, crossScratch);
  place(out, plan.cross, crossScratch, plan.defaults);
  return {
    values: out,
    coldStart: item.views7d + offer.impressions7d <= spec.params.candidate_cold_start_max_events,
  };
}

/** Offer terms and user×candidate features into `x` (CROSS_NAMES order). */
function crossValues(
  pre: CandidateContext,
  cand: CandidateInput,
  st: CandidateState,
  item: ItemBlock,
  x: Float64Array,
): void {
  const { ctx } = pre;
  const c = st.catalog;
  for (const k of OFFER_KINDS) x[TYPE_SLOT[k]] = c?.kind === k ? 1 : 0;
  x[X.o_discount_depth] = c ? discountDepth(c, item.price, ctx.cartValueMinor) : 0;
  x[X.o_cart_saving] = c ? cartSaving(c, item.price, ctx.cartValueMinor) : 0;
  x[X.o_min_spend] =
    c && (c.kind === 'spend_save' || c.kind === 'free_shipping')
      ? log1p0(c.thresholdMinor / 100)
      : 0;
  x[X.o_budget_left] =
    c && c.totalBudgetMinor > 0 ? clamp01(1 - st.campaignSpentMinor / c.totalBudgetMinor) : 1;
  const stockKnown = c?.kind === 'flash' && c.stock !== undefined;
  x[X.o_stock_left] = stockKnown ? log1p0(c.stock - (st.offer?.lifetimeRedemptions ?? 0)) : 0;
  x[X.o_stock_known] = stockKnown ? 1 : 0;
  x[X.o_known] = c ? 1 : 0;
  const category = cand.categoryId || st.item?.category.value || '';
  x[X.x_category_affinity] =
    category !== '' && pre.withCategory > 0
      ? (pre.byCategory.get(category) ?? 0) / pre.withCategory
      : 0;
  x[X.x_item_seen] = cand.itemId ? Math.log1p(pre.byItem.get(cand.itemId) ?? 0) : 0;
  x[X.x_offer_seen] = cand.offerId ? Math.log1p(pre.byOffer.get(cand.offerId) ?? 0) : 0;
  x[X.x_item_in_cart] = cand.itemId && pre.cart.has(cand.itemId) ? 1 : 0;
  x[X.x_cart_meets_threshold] =
    c && c.thresholdMinor > 0 && ctx.cartValueMinor >= c.thresholdMinor ? 1 : 0;
}

/** Every event type name, for validation of spec.sequence.event_types. */
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);
