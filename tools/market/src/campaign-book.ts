import {
  inHoldout,
  localTime,
  notServingReason,
  offerServes,
  redeemableOnCart,
} from '@offerstream/campaigns';
import {
  Channel,
  OfferType,
  PageType,
  UserTenure,
  type Campaign,
  type Offer,
} from '@offerstream/contracts';
import type { DecisionPoint } from './market';
import { cartItemIdsOf, offerEffect, type OfferEffect, type ShippingTerms } from './outcome-model';

/** One eligible offer at a decision point. */
export interface Candidate {
  /** The offer (campaign_id and currency filled in). */
  readonly offer: Offer;
  readonly campaign: Campaign;
  /** Position of the offer in its campaign (the fixed rule's order). */
  readonly ruleOrder: number;
  /** What the offer would do to this cart (the shop knows its cart and its own terms). */
  readonly effect: OfferEffect;
  /** Flash sales: units left in the campaign's ledger; undefined otherwise. */
  readonly flashUnitsLeft: number | undefined;
}

/** Who is asking, as far as eligibility rules look. */
export interface EligibilityUser {
  readonly shopId: string;
  readonly userId: string;
  /** Has bought before (tenure RETURNING). */
  readonly returning: boolean;
  /** Churn risk in [0, 1] as a predictor reports it. */
  readonly churnRisk: number;
}

/** The candidates of a decision, after holdout. */
export interface Eligibility {
  readonly candidates: readonly Candidate[];
  /** Campaigns that would have served the user but hold them out (control group). */
  readonly heldOutCampaignIds: readonly string[];
}

interface CampaignLedger {
  spentMinor: number;
  spentByDay: Map<string, number>;
  stock: Map<string, number>;
}

const CHANNELS = { web: Channel.CHANNEL_WEB, app: Channel.CHANNEL_APP } as const;
const PAGES = { cart: PageType.PAGE_TYPE_CART } as const;

/** Local day start and 'YYYY-MM-DD' of `t` in a campaign's time zone (UTC without Intl: it is hot). */
function dayOf(c: Campaign, t: number): { day: string; dayStartMs: number } {
  const tz = c.schedule?.timeZone ?? '';
  if (tz === '' || tz === 'UTC') {
    const dayStartMs = t - (t % 86_400_000);
    return { day: new Date(dayStartMs).toISOString().slice(0, 10), dayStartMs };
  }
  return localTime(tz, t);
}

/**
 * The in-process stand-in for bandit-policy's campaign side: which offers a user may be
 * shown now (schedule, eligibility rules, frequency caps, holdout, budget and flash-sale
 * stock), and the ledgers of spend and stock. Phase 2 drives the real services instead.
 */
export class CampaignBook {
  private readonly ledgers = new Map<string, CampaignLedger>();
  /** Impression times per user and campaign (frequency caps). */
  private readonly impressions = new Map<string, number[]>();
  private readonly redemptions = new Map<string, number>();

  constructor(
    readonly campaigns: readonly Campaign[],
    private readonly shipping: ShippingTerms,
  ) {
    for (const c of campaigns) {
      const stock = new Map<string, number>();
      for (const o of c.offers) if (o.flashSale) stock.set(o.offerId, o.flashSale.stock);
      this.ledgers.set(c.campaignId, { spentMinor: 0, spentByDay: new Map(), stock });
    }
  }

  private ledger(campaignId: string): CampaignLedger {
    const l = this.ledgers.get(campaignId);
    if (!l) throw new Error(`unknown campaign ${campaignId}`);
    return l;
  }

  private eligibleUser(c: Campaign, u: EligibilityUser, d: DecisionPoint): boolean {
    const e = c.eligibility;
    if (!e) return true;
    if (e.tenure === UserTenure.USER_TENURE_NEW && u.returning) return false;
    if (e.tenure === UserTenure.USER_TENURE_RETURNING && !u.returning) return false;
    if (e.minChurnRisk !== undefined && u.churnRisk < e.minChurnRisk) return false;
    if (e.maxChurnRisk !== undefined && u.churnRisk > e.maxChurnRisk) return false;
    if (e.countries.length > 0 && !e.countries.includes(d.country)) return false;
    if (e.channels.length > 0 && !e.channels.includes(CHANNELS[d.channel])) return false;
    if (e.pageTypes.length > 0 && !e.pageTypes.includes(PAGES[d.pageType])) return false;
    return true;
  }

  private capped(c: Campaign, userId: string, t: number): boolean {
    const cap = c.frequencyCap;
    if (!cap) return false;
    const seen = this.impressions.get(`${userId}/${c.campaignId}`) ?? [];
    if (cap.maxImpressionsPerUserLifetime > 0 && seen.length >= cap.maxImpressionsPerUserLifetime)
      return true;
    if (cap.maxImpressionsPerUserPerDay > 0) {
      const today = dayOf(c, t);
      const n = seen.filter((s) => s >= today.dayStartMs).length;
      if (n >= cap.maxImpressionsPerUserPerDay) return true;
    }
    const last = seen[seen.length - 1];
    if (cap.minInterval && last !== undefined) {
      const gap = cap.minInterval.seconds * 1000 + cap.minInterval.nanos / 1e6;
      if (t - last < gap) return true;
    }
    return false;
  }

  private affordable(c: Campaign, cost: number, t: number): boolean {
    const b = c.budget;
    if (!b) return true;
    const l = this.ledger(c.campaignId);
    if (b.totalBudgetMinor > 0 && l.spentMinor + cost > b.totalBudgetMinor) return false;
    if (b.dailyBudgetMinor > 0) {
      const day = dayOf(c, t).day;
      if ((l.spentByDay.get(day) ?? 0) + cost > b.dailyBudgetMinor) return false;
    }
    return true;
  }

  /** The offers the user may be shown at this decision point, and the campaigns holding them out. */
  eligible(u: EligibilityUser, d: DecisionPoint): Eligibility {
    const candidates: Candidate[] = [];
    const heldOut: string[] = [];
    const t = d.timeMs;
    const cartItemIds = cartItemIdsOf(d.basket);
    for (const c of this.campaigns) {
      if (notServingReason(c, t) !== undefined) continue;
      if (!this.eligibleUser(c, u, d) || this.capped(c, u.userId, t)) continue;
      const offers: Candidate[] = [];
      c.offers.forEach((offer, ruleOrder) => {
        // The same rules as bandit-policy's preselection (the decision point is a cart page).
        if (!offerServes(offer, t) || !redeemableOnCart(offer, cartItemIds)) return;
        const max = offer.maxRedemptionsPerUser;
        if (max > 0 && (this.redemptions.get(`${u.userId}/${offer.offerId}`) ?? 0) >= max) return;
        const flashUnitsLeft =
          offer.type === OfferType.OFFER_TYPE_FLASH_SALE_PRICE
            ? this.ledger(c.campaignId).stock.get(offer.offerId)
            : undefined;
        if (flashUnitsLeft !== undefined && flashUnitsLeft <= 0) return;
        const effect = offerEffect(offer, d.basket, this.shipping, flashUnitsLeft);
        if (!this.affordable(c, effect.costMinor, t)) return;
        offers.push({ offer, campaign: c, ruleOrder, effect, flashUnitsLeft });
      });
      if (offers.length === 0) continue;
      if (inHoldout(u.shopId, u.userId, c)) heldOut.push(c.campaignId);
      else candidates.push(...offers);
    }
    return { candidates, heldOutCampaignIds: heldOut };
  }

  /** Books an impression (frequency caps). */
  recordImpression(userId: string, campaignId: string, t: number): void {
    const key = `${userId}/${campaignId}`;
    const seen = this.impressions.get(key);
    if (seen) seen.push(t);
    else this.impressions.set(key, [t]);
  }

  /** Books a redemption: spend, daily spend, flash-sale stock, per-user redemptions. */
  recordRedemption(
    userId: string,
    candidate: Candidate,
    costMinor: number,
    flashUnits: number,
    t: number,
  ): void {
    const c = candidate.campaign;
    const l = this.ledger(c.campaignId);
    l.spentMinor += costMinor;
    const day = dayOf(c, t).day;
    l.spentByDay.set(day, (l.spentByDay.get(day) ?? 0) + costMinor);
    const id = candidate.offer.offerId;
    const left = l.stock.get(id);
    if (left !== undefined) l.stock.set(id, left - flashUnits);
    const key = `${userId}/${id}`;
    this.redemptions.set(key, (this.redemptions.get(key) ?? 0) + 1);
  }

  /** Total spend so far over all campaigns, minor units. */
  spentMinor(): number {
    let s = 0;
    for (const l of this.ledgers.values()) s += l.spentMinor;
    return s;
  }

  /** Flash-sale units left over all offers; undefined when no campaign has a flash sale. */
  flashStockLeft(): number | undefined {
    let s: number | undefined;
    for (const l of this.ledgers.values()) for (const v of l.stock.values()) s = (s ?? 0) + v;
    return s;
  }

  /**
   * Planned cumulative spend at `t`: each budgeted campaign spending evenly over its
   * schedule (total budget), or its daily budget per elapsed day; undefined when no
   * campaign has a budget.
   */
  plannedSpendMinor(t: number): number | undefined {
    let plan: number | undefined;
    for (const c of this.campaigns) {
      const from = c.schedule?.startTime?.getTime();
      const to = c.schedule?.endTime?.getTime();
      const b = c.budget;
      if (from === undefined || !b) continue;
      const elapsed = Math.max(0, Math.min(t, to ?? t) - from);
      if (b.totalBudgetMinor > 0 && to !== undefined) {
        plan = (plan ?? 0) + (b.totalBudgetMinor * elapsed) / (to - from);
      } else if (b.dailyBudgetMinor > 0) {
        plan = (plan ?? 0) + (b.dailyBudgetMinor * elapsed) / 86_400_000;
      }
    }
    return plan;
  }
}
