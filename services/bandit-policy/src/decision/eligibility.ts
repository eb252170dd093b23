import {
  Channel,
  DecisionReason,
  PageType,
  UserTenure,
  ValueBand,
  type Campaign,
  type Eligibility,
  type Offer,
  type RequestContext,
  type UserProfile,
  type UserTraits,
} from '@offerstream/contracts';
import {
  inHoldout,
  notServingReason,
  offerServes,
  redeemableOnCart,
  type CatalogEntry,
} from '@offerstream/campaigns';
import type { CapCounts } from './frequency-caps';

/** An offer that passed the checks that need no features. */
export interface Candidate {
  readonly entry: CatalogEntry;
  readonly offer: Offer;
  /** Position of the offer in its campaign. */
  readonly index: number;
}

export interface Preselection {
  readonly candidates: Candidate[];
  /** Campaigns the user is held out of (that would otherwise have had candidates). */
  readonly holdoutCampaigns: CatalogEntry[];
  /** Why campaigns or offers were dropped, for the log and explanations. */
  readonly reasons: Set<DecisionReason>;
}

export interface PreselectInput {
  readonly entries: readonly CatalogEntry[];
  readonly shopId: string;
  readonly userId: string;
  readonly context: RequestContext | undefined;
  /** Only these campaigns (empty = all). */
  readonly campaignIds: readonly string[];
  readonly nowMs: number;
  readonly caps: (c: Campaign) => CapCounts;
  readonly maxCandidates: number;
}

const channelOf = (c: RequestContext | undefined) =>
  !c || c.channel === Channel.CHANNEL_UNSPECIFIED ? Channel.CHANNEL_WEB : c.channel;
const pageOf = (c: RequestContext | undefined) =>
  !c || c.pageType === PageType.PAGE_TYPE_UNSPECIFIED ? PageType.PAGE_TYPE_OTHER : c.pageType;

/** Why the frequency cap stops the campaign for this user now, or undefined. */
export function capped(c: Campaign, counts: CapCounts, nowMs: number): boolean {
  const f = c.frequencyCap;
  if (!f) return false;
  if (f.maxImpressionsPerUserPerDay > 0 && counts.today >= f.maxImpressionsPerUserPerDay)
    return true;
  if (f.maxImpressionsPerUserLifetime > 0 && counts.lifetime >= f.maxImpressionsPerUserLifetime)
    return true;
  const gap = f.minInterval ? f.minInterval.seconds * 1000 + f.minInterval.nanos / 1e6 : 0;
  return gap > 0 && nowMs - counts.lastMs < gap;
}

/** Conditions of `e` that need the request only (channel, page, country). */
function contextAllows(e: Eligibility | undefined, ctx: RequestContext | undefined): boolean {
  if (!e) return true;
  if (e.channels.length > 0 && !e.channels.includes(channelOf(ctx))) return false;
  if (e.pageTypes.length > 0 && !e.pageTypes.includes(pageOf(ctx))) return false;
  if (e.countries.length > 0 && ctx?.country && !e.countries.includes(ctx.country)) return false;
  return true;
}

/**
 * At the cart or checkout page, whether the offer can be redeemed on the cart the request
 * lists (`redeemableOnCart`): one that cannot costs attention and buys nothing on this order,
 * so it is not a candidate. Other pages, and requests without cart item ids, keep every offer.
 */
export function redeemableHere(offer: Offer, ctx: RequestContext | undefined): boolean {
  const page = pageOf(ctx);
  if (page !== PageType.PAGE_TYPE_CART && page !== PageType.PAGE_TYPE_CHECKOUT) return true;
  return redeemableOnCart(offer, ctx?.cartItemIds ?? []);
}

/** True when a campaign's eligibility needs the user's profile (features) for this request. */
export function needsProfile(e: Eligibility | undefined, ctx: RequestContext | undefined): boolean {
  return (
    !!e &&
    (e.includeSegments.length > 0 ||
      e.excludeSegments.length > 0 ||
      e.tenure !== UserTenure.USER_TENURE_UNSPECIFIED ||
      e.valueBands.length > 0 ||
      e.minChurnRisk !== undefined ||
      e.maxChurnRisk !== undefined ||
      (e.countries.length > 0 && !ctx?.country))
  );
}

/**
 * The profile eligibility rules see: the feature service's, with the request's traits (the
 * shop's own knowledge) added — their segments joined to its segments, their churn risk in
 * place of the derived one. Traits alone make a profile too (tenure and value band then
 * unknown, so rules on those still fail closed).
 */
export function profileWithTraits(
  p: UserProfile | undefined,
  t: UserTraits | undefined,
): UserProfile | undefined {
  if (!t || (t.segments.length === 0 && t.churnRisk === undefined)) return p;
  const base: UserProfile = p ?? {
    segments: [],
    tenure: UserTenure.USER_TENURE_UNSPECIFIED,
    valueBand: ValueBand.VALUE_BAND_UNSPECIFIED,
    churnRisk: undefined,
    country: '',
  };
  return {
    ...base,
    segments: [...new Set([...base.segments, ...t.segments])],
    churnRisk: t.churnRisk ?? base.churnRisk,
  };
}

/**
 * Conditions of `e` on the user's profile. An unknown profile (features unavailable)
 * satisfies none of them: never fail open.
 */
export function profileAllows(
  e: Eligibility | undefined,
  p: UserProfile | undefined,
  ctx: RequestContext | undefined,
): boolean {
  if (!e || !needsProfile(e, ctx)) return true;
  if (!p) return false;
  if (e.includeSegments.length > 0 && !e.includeSegments.some((s) => p.segments.includes(s)))
    return false;
  if (e.excludeSegments.some((s) => p.segments.includes(s))) return false;
  if (e.tenure !== UserTenure.USER_TENURE_UNSPECIFIED && p.tenure !== e.tenure) return false;
  if (
    e.valueBands.length > 0 &&
    (p.valueBand === ValueBand.VALUE_BAND_UNSPECIFIED || !e.valueBands.includes(p.valueBand))
  )
    return false;
  if (e.minChurnRisk !== undefined && !(p.churnRisk !== undefined && p.churnRisk >= e.minChurnRisk))
    return false;
  if (e.maxChurnRisk !== undefined && !(p.churnRisk !== undefined && p.churnRisk <= e.maxChurnRisk))
    return false;
  if (e.countries.length > 0 && !ctx?.country && !e.countries.includes(p.country)) return false;
  return true;
}

/**
 * The checks that need no features: status and schedule, the request's campaign filter,
 * channel/page/country, offer status, flash-sale windows and whether the offer can be redeemed
 * on the cart (`redeemableHere`; a campaign left without offers is not a candidate, so its
 * holdout holds out the same kind of decision), then holdout and frequency caps.
 * Budget and stock are checked right before choosing (they change while we wait).
 */
export function preselect(i: PreselectInput): Preselection {
  const candidates: Candidate[] = [];
  const holdoutCampaigns: CatalogEntry[] = [];
  const reasons = new Set<DecisionReason>();
  const only = i.campaignIds.length > 0 ? new Set(i.campaignIds) : undefined;
  // Campaigns in a stable order (by id) so decisions do not depend on catalog history.
  const entries = [...i.entries].sort((a, b) =>
    a.campaign.campaignId < b.campaign.campaignId ? -1 : 1,
  );
  for (const entry of entries) {
    const c = entry.campaign;
    if (only && !only.has(c.campaignId)) continue;
    if (notServingReason(c, i.nowMs) !== undefined) continue;
    if (!contextAllows(c.eligibility, i.context)) continue;
    const offers = c.offers
      .map((offer, index) => ({ entry, offer, index }))
      .filter((x) => offerServes(x.offer, i.nowMs) && redeemableHere(x.offer, i.context));
    if (offers.length === 0) continue;
    if (inHoldout(i.shopId, i.userId, c)) {
      holdoutCampaigns.push(entry);
      reasons.add(DecisionReason.DECISION_REASON_HOLDOUT);
      continue;
    }
    if (capped(c, i.caps(c), i.nowMs)) {
      reasons.add(DecisionReason.DECISION_REASON_FREQUENCY_CAPPED);
      continue;
    }
    for (const x of offers) {
      if (candidates.length >= i.maxCandidates) break;
      candidates.push(x);
    }
  }
  return { candidates, holdoutCampaigns, reasons };
}
