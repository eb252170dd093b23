import {
  CampaignObjective,
  CampaignStatus,
  Channel,
  OfferStatus,
  OfferType,
  PageType,
  PolicyType,
  UserTenure,
  ValueBand,
  Weekday,
  type Campaign,
  type Offer,
} from '@offerstream/contracts';
import { idProblem, ISO_4217 } from '@offerstream/events';

/** One problem with a campaign definition, naming the field in proto (snake_case) form. */
export interface CampaignProblem {
  readonly field: string;
  readonly message: string;
}

/** Hyper-parameters each policy accepts, with their allowed ranges. */
export const POLICY_PARAMS: Readonly<
  Record<PolicyType, Readonly<Record<string, readonly [number, number]>>>
> = {
  [PolicyType.POLICY_TYPE_UNSPECIFIED]: {
    prior_alpha: [1e-6, 1e6],
    prior_beta: [1e-6, 1e6],
    prior_strength: [0, 1e6],
  },
  [PolicyType.POLICY_TYPE_THOMPSON_BETA]: {
    prior_alpha: [1e-6, 1e6],
    prior_beta: [1e-6, 1e6],
    prior_strength: [0, 1e6],
  },
  [PolicyType.POLICY_TYPE_LINEAR_THOMPSON]: { v: [1e-6, 1e6], lambda: [1e-6, 1e6] },
  [PolicyType.POLICY_TYPE_LIN_UCB]: { alpha: [0, 1e6], lambda: [1e-6, 1e6] },
  [PolicyType.POLICY_TYPE_EPSILON_GREEDY]: {
    epsilon: [0, 1],
    unscored_fallback: [0, 1],
    uplift_lcb: [0, 1],
  },
  [PolicyType.POLICY_TYPE_SQUARE_CB]: {
    gamma: [1e-6, 1e9],
    scale: [1e-9, 1e12],
    unscored_fallback: [0, 1],
    uplift_lcb: [0, 1],
  },
  // Apprentice mode: serve the rule, run `learner` (a PolicyType number) in its shadow and
  // hand over once it agrees with the rule on `graduate_agreement` of the last
  // `graduate_min_decisions` decisions.
  [PolicyType.POLICY_TYPE_FIXED_RULE]: {
    learner: [0, 5],
    graduate_agreement: [0, 1],
    graduate_min_decisions: [1, 1e9],
  },
  [PolicyType.UNRECOGNIZED]: {},
};

const MAX_OFFERS = 100;
const MIN_WINDOW_S = 10;
const MAX_WINDOW_S = 30 * 24 * 3600;
const COUPON_CODE = /^[A-Za-z0-9_-]{1,64}$/;
const COUNTRY = /^[A-Z]{2}$/;
const LABEL_KEY = /^[a-z0-9_.-]{1,64}$/;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const known = (e: object, v: number) =>
  Object.values(e).includes(v) && v !== -1 && (e as Record<number, string>)[v] !== undefined;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Seconds of a proto Duration (undefined when unset). */
export function durationSeconds(d: { seconds: number; nanos: number } | undefined): number {
  return d ? d.seconds + d.nanos / 1e9 : 0;
}

/** The attribution window of a campaign, in ms (default 24 h). */
export function attributionWindowMs(c: Campaign): number {
  const s = durationSeconds(c.attributionWindow);
  return (s > 0 ? s : 24 * 3600) * 1000;
}

/** The margin rate assumed for purchases without unit costs (default 0.3). */
export function marginRate(c: Campaign): number {
  return c.defaultMarginRate > 0 ? c.defaultMarginRate : 0.3;
}

/** True when an offer's discount is a percentage (its cost grows with the basket). */
export function isPercentOffer(o: Offer): boolean {
  return o.percentOff !== undefined;
}

class Problems {
  readonly list: CampaignProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  id(field: string, value: string, required: boolean): void {
    if (value === '') {
      if (required) this.add(field, 'is required');
      return;
    }
    const p = idProblem(value);
    if (p) this.add(field, p);
  }
  text(field: string, value: string, max: number, required = false): void {
    if (required && value.trim() === '') this.add(field, 'is required');
    else if (bytes(value) > max) this.add(field, `is longer than ${max} bytes`);
  }
}

function checkOffer(p: Problems, o: Offer, i: number, budgeted: boolean): void {
  const f = (name: string) => `offers[${i}].${name}`;
  p.id(f('offer_id'), o.offerId, false);
  if (o.type === OfferType.OFFER_TYPE_UNSPECIFIED || !known(OfferType, o.type))
    p.add(f('type'), 'must be a known OfferType');
  const terms = [
    ['percent_off', o.percentOff],
    ['amount_off_minor', o.amountOffMinor],
    ['spend_x_save_y', o.spendXSaveY],
    ['free_shipping', o.freeShipping],
    ['flash_sale', o.flashSale],
  ].filter(([, v]) => v !== undefined);
  if (terms.length !== 1) {
    p.add(f('terms'), `exactly one of the terms must be set (got ${terms.length})`);
    return;
  }
  const want: Record<number, string[]> = {
    [OfferType.OFFER_TYPE_PERCENT_OFF]: ['percent_off'],
    [OfferType.OFFER_TYPE_AMOUNT_OFF]: ['amount_off_minor'],
    [OfferType.OFFER_TYPE_SPEND_X_SAVE_Y]: ['spend_x_save_y'],
    [OfferType.OFFER_TYPE_FREE_SHIPPING]: ['free_shipping'],
    [OfferType.OFFER_TYPE_FLASH_SALE_PRICE]: ['flash_sale'],
    [OfferType.OFFER_TYPE_COUPON]: ['percent_off', 'amount_off_minor'],
  };
  const given = terms[0]![0] as string;
  if (want[o.type] && !want[o.type]!.includes(given))
    p.add(f(given), `does not match type ${OfferType[o.type]}`);
  if (o.percentOff !== undefined) {
    if (!Number.isFinite(o.percentOff) || o.percentOff <= 0 || o.percentOff > 100)
      p.add(f('percent_off'), 'must be in (0, 100]');
    if (budgeted && !(o.maxDiscountMinor > 0))
      p.add(
        f('max_discount_minor'),
        'is required (> 0) for a percentage discount in a campaign with a budget: the hard budget cap needs a bounded cost per redemption',
      );
  }
  if (o.amountOffMinor !== undefined && !(o.amountOffMinor > 0))
    p.add(f('amount_off_minor'), 'must be > 0');
  if (o.spendXSaveY) {
    const { thresholdMinor: t, saveMinor: s } = o.spendXSaveY;
    if (!(t > 0)) p.add(f('spend_x_save_y.threshold_minor'), 'must be > 0');
    if (!(s > 0 && s < t)) p.add(f('spend_x_save_y.save_minor'), 'must be > 0 and < threshold');
  }
  if (o.freeShipping) {
    if (o.freeShipping.thresholdMinor < 0) p.add(f('free_shipping.threshold_minor'), 'must be ≥ 0');
    if (o.freeShipping.expectedShippingCostMinor < 0)
      p.add(f('free_shipping.expected_shipping_cost_minor'), 'must be ≥ 0');
  }
  if (o.flashSale) {
    const fs = o.flashSale;
    p.id(f('flash_sale.item_id'), fs.itemId, true);
    if (!(fs.salePriceMinor > 0)) p.add(f('flash_sale.sale_price_minor'), 'must be > 0');
    if (!(fs.stock > 0)) p.add(f('flash_sale.stock'), 'must be > 0');
    if (!fs.startTime) p.add(f('flash_sale.start_time'), 'is required');
    if (!fs.endTime) p.add(f('flash_sale.end_time'), 'is required');
    if (fs.startTime && fs.endTime && fs.endTime.getTime() <= fs.startTime.getTime())
      p.add(f('flash_sale.end_time'), 'must be after start_time');
  }
  if (o.type === OfferType.OFFER_TYPE_COUPON && o.couponCode === '')
    p.add(f('coupon_code'), 'is required for OFFER_TYPE_COUPON');
  if (o.couponCode !== '' && !COUPON_CODE.test(o.couponCode))
    p.add(f('coupon_code'), 'must be 1..64 of [A-Za-z0-9_-]');
  if (o.maxDiscountMinor < 0) p.add(f('max_discount_minor'), 'must be ≥ 0');
  if (o.maxRedemptionsPerUser < 0) p.add(f('max_redemptions_per_user'), 'must be ≥ 0');
  if (o.applicableItemIds.length > 1000) p.add(f('applicable_item_ids'), 'at most 1000');
  if (o.applicableCategoryIds.length > 1000) p.add(f('applicable_category_ids'), 'at most 1000');
  o.applicableItemIds.forEach((id, j) => p.id(f(`applicable_item_ids[${j}]`), id, true));
  o.applicableCategoryIds.forEach((id, j) => p.id(f(`applicable_category_ids[${j}]`), id, true));
  p.text(f('creative_key'), o.creativeKey, 256);
  p.text(f('title'), o.title, 256);
  if (!known(OfferStatus, o.status)) p.add(f('status'), 'must be a known OfferStatus');
}

/**
 * Every problem with a campaign definition (empty = valid): the rules of campaigns.proto
 * plus the ones the hard budget cap needs. Ids may be empty (the server assigns them).
 */
export function campaignProblems(c: Campaign): CampaignProblem[] {
  const p = new Problems();
  p.id('shop_id', c.shopId, true);
  p.id('campaign_id', c.campaignId, false);
  p.text('name', c.name, 200, true);
  p.text('description', c.description, 4000);
  if (!known(CampaignObjective, c.objective)) p.add('objective', 'must be a known objective');

  const s = c.schedule;
  if (!s) p.add('schedule', 'is required');
  else {
    if (!s.startTime) p.add('schedule.start_time', 'is required');
    if (s.startTime && s.endTime && s.endTime.getTime() <= s.startTime.getTime())
      p.add('schedule.end_time', 'must be after start_time');
    if (s.timeZone !== '' && !isTimeZone(s.timeZone))
      p.add('schedule.time_zone', `${JSON.stringify(s.timeZone)} is not an IANA time zone`);
    s.activeDays.forEach((d, i) => {
      if (d === Weekday.WEEKDAY_UNSPECIFIED || !known(Weekday, d))
        p.add(`schedule.active_days[${i}]`, 'must be a weekday');
    });
    s.activeHours.forEach((w, i) => {
      if (!(w.startMinute >= 0 && w.startMinute <= 1439))
        p.add(`schedule.active_hours[${i}].start_minute`, 'must be 0..1439');
      if (!(w.endMinute > w.startMinute && w.endMinute <= 1440))
        p.add(`schedule.active_hours[${i}].end_minute`, 'must be start_minute+1..1440');
    });
  }

  const b = c.budget;
  let budgeted = false;
  if (!b) p.add('budget', 'is required (currency at least)');
  else {
    if (!ISO_4217.has(b.currency))
      p.add('budget.currency', `${JSON.stringify(b.currency)} is not an ISO 4217 code`);
    if (b.totalBudgetMinor < 0) p.add('budget.total_budget_minor', 'must be ≥ 0 (0 = unlimited)');
    if (b.dailyBudgetMinor < 0) p.add('budget.daily_budget_minor', 'must be ≥ 0 (0 = unlimited)');
    if (b.totalBudgetMinor > 0 && b.dailyBudgetMinor > b.totalBudgetMinor)
      p.add('budget.daily_budget_minor', 'must not exceed total_budget_minor');
    budgeted = b.totalBudgetMinor > 0 || b.dailyBudgetMinor > 0;
    if (
      b.cartHeadroom !== undefined &&
      !(Number.isFinite(b.cartHeadroom) && b.cartHeadroom >= 0 && b.cartHeadroom <= 10)
    )
      p.add('budget.cart_headroom', 'must be a number in 0..10 (unset = hold max_discount_minor)');
  }

  const e = c.eligibility;
  if (e) {
    e.includeSegments.forEach((v, i) => p.id(`eligibility.include_segments[${i}]`, v, true));
    e.excludeSegments.forEach((v, i) => p.id(`eligibility.exclude_segments[${i}]`, v, true));
    if (!known(UserTenure, e.tenure)) p.add('eligibility.tenure', 'must be a known UserTenure');
    e.valueBands.forEach((v, i) => {
      if (v === ValueBand.VALUE_BAND_UNSPECIFIED || !known(ValueBand, v))
        p.add(`eligibility.value_bands[${i}]`, 'must be a known ValueBand');
    });
    const lo = e.minChurnRisk;
    const hi = e.maxChurnRisk;
    if (lo !== undefined && !(lo >= 0 && lo <= 1))
      p.add('eligibility.min_churn_risk', 'must be in [0, 1]');
    if (hi !== undefined && !(hi >= 0 && hi <= 1))
      p.add('eligibility.max_churn_risk', 'must be in [0, 1]');
    if (lo !== undefined && hi !== undefined && lo > hi)
      p.add('eligibility.max_churn_risk', 'must be ≥ min_churn_risk');
    e.countries.forEach((v, i) => {
      if (!COUNTRY.test(v)) p.add(`eligibility.countries[${i}]`, 'must be ISO 3166-1 alpha-2');
    });
    e.channels.forEach((v, i) => {
      if (v === Channel.CHANNEL_UNSPECIFIED || !known(Channel, v))
        p.add(`eligibility.channels[${i}]`, 'must be a known Channel');
    });
    e.pageTypes.forEach((v, i) => {
      if (v === PageType.PAGE_TYPE_UNSPECIFIED || !known(PageType, v))
        p.add(`eligibility.page_types[${i}]`, 'must be a known PageType');
    });
  }

  const cap = c.frequencyCap;
  if (cap) {
    if (cap.maxImpressionsPerUserPerDay < 0)
      p.add('frequency_cap.max_impressions_per_user_per_day', 'must be ≥ 0');
    if (cap.maxImpressionsPerUserLifetime < 0)
      p.add('frequency_cap.max_impressions_per_user_lifetime', 'must be ≥ 0');
    if (durationSeconds(cap.minInterval) < 0) p.add('frequency_cap.min_interval', 'must be ≥ 0');
  }

  if (!(c.holdoutShare >= 0 && c.holdoutShare < 1)) p.add('holdout_share', 'must be in [0, 1)');
  p.id('holdout_group', c.holdoutGroup, false);

  const pol = c.policy;
  if (pol) {
    if (!known(PolicyType, pol.type)) p.add('policy.type', 'must be a known PolicyType');
    else {
      const allowed = POLICY_PARAMS[pol.type];
      for (const [k, v] of Object.entries(pol.params)) {
        const range = allowed[k];
        if (!range)
          p.add(
            `policy.params.${k}`,
            `is not a parameter of ${PolicyType[pol.type]} (allowed: ${Object.keys(allowed).join(', ') || 'none'})`,
          );
        else if (!Number.isFinite(v) || v < range[0] || v > range[1])
          p.add(`policy.params.${k}`, `must be in [${range[0]}, ${range[1]}]`);
      }
      const learner = pol.params.learner;
      if (
        learner !== undefined &&
        (!Number.isInteger(learner) || learner === Number(PolicyType.POLICY_TYPE_FIXED_RULE))
      )
        p.add('policy.params.learner', 'must be the number of a learning PolicyType');
    }
  }

  const w = durationSeconds(c.attributionWindow);
  if (c.attributionWindow && (w < MIN_WINDOW_S || w > MAX_WINDOW_S))
    p.add('attribution_window', `must be ${MIN_WINDOW_S}s..30d`);
  if (!(c.defaultMarginRate >= 0 && c.defaultMarginRate < 1))
    p.add('default_margin_rate', 'must be in [0, 1)');

  if (c.offers.length === 0) p.add('offers', 'at least one offer is required');
  if (c.offers.length > MAX_OFFERS) p.add('offers', `at most ${MAX_OFFERS} offers`);
  const seen = new Set<string>();
  c.offers.forEach((o, i) => {
    if (o.offerId !== '') {
      if (seen.has(o.offerId)) p.add(`offers[${i}].offer_id`, 'is used twice');
      seen.add(o.offerId);
    }
    checkOffer(p, o, i, budgeted);
  });

  const labels = Object.entries(c.labels);
  if (labels.length > 32) p.add('labels', 'at most 32 entries');
  for (const [k, v] of labels) {
    if (!LABEL_KEY.test(k)) p.add(`labels.${k.slice(0, 64)}`, 'key must be 1..64 of [a-z0-9_.-]');
    if (bytes(v) > 256) p.add(`labels.${k.slice(0, 64)}`, 'value is longer than 256 bytes');
  }
  return p.list;
}

/** Legal status moves (campaigns.proto CampaignStatus). */
export function canMove(from: CampaignStatus, to: CampaignStatus): boolean {
  if (from === to) return true;
  switch (to) {
    case CampaignStatus.CAMPAIGN_STATUS_ACTIVE:
      return (
        from === CampaignStatus.CAMPAIGN_STATUS_DRAFT ||
        from === CampaignStatus.CAMPAIGN_STATUS_PAUSED
      );
    case CampaignStatus.CAMPAIGN_STATUS_PAUSED:
      return from === CampaignStatus.CAMPAIGN_STATUS_ACTIVE;
    case CampaignStatus.CAMPAIGN_STATUS_ENDED:
      return from !== CampaignStatus.CAMPAIGN_STATUS_ENDED;
    case CampaignStatus.CAMPAIGN_STATUS_DRAFT:
    case CampaignStatus.CAMPAIGN_STATUS_UNSPECIFIED:
    case CampaignStatus.UNRECOGNIZED:
      return false;
  }
}
