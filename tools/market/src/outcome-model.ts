import { OfferType, type Offer } from '@offerstream/contracts';
import type { Catalog } from './catalog';
import {
  THRESHOLD_RAMP,
  TYPE_PROFILES,
  type Population,
  type SimUser,
  type UserResponse,
} from './population';
import type { UserType } from './scenario';

/** One line of a cart / order. */
export interface BasketLine {
  readonly itemId: string;
  readonly categoryId: string;
  readonly unitPriceMinor: number;
  readonly unitCostMinor: number;
  readonly quantity: number;
}

/** A cart: what the user would buy at the cart page. */
export interface Basket {
  readonly lines: readonly BasketLine[];
  /** Σ unit price × quantity, before any offer. */
  readonly subtotalMinor: number;
}

/** A basket from its lines. */
export function basketOf(lines: readonly BasketLine[]): Basket {
  return { lines, subtotalMinor: lines.reduce((a, l) => a + l.unitPriceMinor * l.quantity, 0) };
}

/** The distinct item ids of a basket, in line order (what a storefront lists as the cart). */
export function cartItemIdsOf(b: Basket): string[] {
  return [...new Set(b.lines.map((l) => l.itemId))];
}

/** Gross merchandise margin at full price: Σ (price − cost) × quantity. */
export function basketMargin(b: Basket): number {
  return b.lines.reduce((a, l) => a + (l.unitPriceMinor - l.unitCostMinor) * l.quantity, 0);
}

/**
 * Units one order gets at a flash-sale price (campaigns.proto: each shown offer holds one
 * unit of the sale's stock); further units of the item in the cart pay the regular price.
 */
export const FLASH_UNITS_PER_ORDER = 1;

/** What an offer does to a basket. */
export interface OfferEffect {
  /** True when the offer changes anything for this basket (it can be redeemed). */
  readonly applies: boolean;
  /** Discount per basket line (aligned with Basket.lines), minor units. */
  readonly lineDiscountsMinor: readonly number[];
  /** Total merchandise discount (revenue given away). */
  readonly discountMinor: number;
  /** Cost of the offer to the shop: the discount, or the shipping it absorbs. */
  readonly costMinor: number;
  /** What the customer saves (discount, or the shipping fee they no longer pay). */
  readonly savingMinor: number;
  /** saving / subtotal: the depth persuadables react to. */
  readonly depth: number;
  /** Flash-sale units sold at the sale price. */
  readonly flashUnits: number;
}

const NO_EFFECT = (lines: number): OfferEffect => ({
  applies: false,
  lineDiscountsMinor: new Array<number>(lines).fill(0),
  discountMinor: 0,
  costMinor: 0,
  savingMinor: 0,
  depth: 0,
  flashUnits: 0,
});

/** Shipping terms of the shop (from the catalog). */
export type ShippingTerms = Pick<Catalog, 'shippingFeeMinor' | 'freeShippingThresholdMinor'>;

/** Spreads `total` over lines in proportion to their values (remainder on the largest). */
function spread(total: number, values: readonly number[]): number[] {
  const sum = values.reduce((a, b) => a + b, 0);
  if (sum <= 0 || total <= 0) return values.map(() => 0);
  const out = values.map((v) => Math.floor((total * v) / sum));
  const rest = total - out.reduce((a, b) => a + b, 0);
  let big = 0;
  values.forEach((v, i) => {
    if (v > (values[big] ?? 0)) big = i;
  });
  out[big] = (out[big] ?? 0) + rest;
  return out;
}

/**
 * The effect of an offer on a basket, following campaigns.proto: percent off (capped by
 * max_discount_minor), amount off, spend-X-save-Y, free shipping (worth the shipping fee
 * to the customer and its expected cost to the shop; nothing when the order ships free
 * anyway) and flash-sale price (on one unit of the sale item per order, none when
 * `flashUnitsLeft` is 0).
 * Applicable item/category lists restrict the lines a discount applies to.
 */
export function offerEffect(
  offer: Offer,
  basket: Basket,
  shipping: ShippingTerms,
  flashUnitsLeft = Infinity,
): OfferEffect {
  const n = basket.lines.length;
  const itemScope = offer.applicableItemIds;
  const catScope = offer.applicableCategoryIds;
  const inScope = (l: BasketLine) =>
    (itemScope.length === 0 && catScope.length === 0) ||
    itemScope.includes(l.itemId) ||
    catScope.includes(l.categoryId);
  const values = basket.lines.map((l) => (inScope(l) ? l.unitPriceMinor * l.quantity : 0));
  const scoped = values.reduce((a, b) => a + b, 0);
  const cap = (d: number) => (offer.maxDiscountMinor > 0 ? Math.min(d, offer.maxDiscountMinor) : d);
  const withDiscount = (total: number): OfferEffect => {
    const discountMinor = Math.max(0, Math.min(Math.round(total), scoped));
    if (discountMinor === 0) return NO_EFFECT(n);
    return {
      applies: true,
      lineDiscountsMinor: spread(discountMinor, values),
      discountMinor,
      costMinor: discountMinor,
      savingMinor: discountMinor,
      depth: discountMinor / basket.subtotalMinor,
      flashUnits: 0,
    };
  };
  switch (offer.type) {
    case OfferType.OFFER_TYPE_PERCENT_OFF:
    case OfferType.OFFER_TYPE_COUPON:
      if (offer.percentOff !== undefined)
        return withDiscount(cap((scoped * offer.percentOff) / 100));
      return withDiscount(cap(scoped > 0 ? (offer.amountOffMinor ?? 0) : 0));
    case OfferType.OFFER_TYPE_AMOUNT_OFF:
      return withDiscount(cap(scoped > 0 ? (offer.amountOffMinor ?? 0) : 0));
    case OfferType.OFFER_TYPE_SPEND_X_SAVE_Y: {
      const t = offer.spendXSaveY;
      return withDiscount(t && scoped >= t.thresholdMinor ? cap(t.saveMinor) : 0);
    }
    case OfferType.OFFER_TYPE_FREE_SHIPPING: {
      const t = offer.freeShipping;
      const paysShipping = basket.subtotalMinor < shipping.freeShippingThresholdMinor;
      // An offer scoped to items or categories ships free only orders holding one of them.
      const scopedOut = (itemScope.length > 0 || catScope.length > 0) && scoped === 0;
      if (
        !t ||
        !paysShipping ||
        scopedOut ||
        basket.subtotalMinor < t.thresholdMinor ||
        shipping.shippingFeeMinor === 0
      )
        return NO_EFFECT(n);
      return {
        applies: true,
        lineDiscountsMinor: new Array<number>(n).fill(0),
        discountMinor: 0,
        costMinor: t.expectedShippingCostMinor,
        savingMinor: shipping.shippingFeeMinor,
        depth: shipping.shippingFeeMinor / basket.subtotalMinor,
        flashUnits: 0,
      };
    }
    case OfferType.OFFER_TYPE_FLASH_SALE_PRICE: {
      const t = offer.flashSale;
      if (!t) return NO_EFFECT(n);
      // One unit per order at the sale price: what bandit-policy holds for a shown offer.
      let left = Math.max(0, Math.min(flashUnitsLeft, t.stock, FLASH_UNITS_PER_ORDER));
      let units = 0;
      const lineDiscountsMinor = basket.lines.map((l) => {
        if (l.itemId !== t.itemId || left <= 0) return 0;
        const k = Math.min(l.quantity, left);
        left -= k;
        units += k;
        return Math.max(0, l.unitPriceMinor - t.salePriceMinor) * k;
      });
      const discountMinor = lineDiscountsMinor.reduce((a, b) => a + b, 0);
      if (discountMinor === 0) return NO_EFFECT(n);
      return {
        applies: true,
        lineDiscountsMinor,
        discountMinor,
        costMinor: discountMinor,
        savingMinor: discountMinor,
        depth: discountMinor / basket.subtotalMinor,
        flashUnits: units,
      };
    }
    case OfferType.OFFER_TYPE_UNSPECIFIED:
    case OfferType.UNRECOGNIZED:
      return NO_EFFECT(n);
  }
}

/**
 * Ground truth: P(purchase at the cart page | user, basket, offer shown or none).
 *
 * - sure things: their base rate, offer or not;
 * - persuadables: base + uplift × ramp(depth around their threshold ± THRESHOLD_RAMP);
 * - sleeping dogs: base × (1 − annoyance) whenever an offer is shown, even one that does
 *   not apply to the basket;
 * - lost causes: their (low) base rate.
 *
 * `effect` is null when no offer is shown.
 */
export function purchaseProbability(user: UserResponse, effect: OfferEffect | null): number {
  if (effect === null) return user.pBuyBase;
  switch (user.type) {
    case 'sure_thing':
    case 'lost_cause':
      return user.pBuyBase;
    case 'sleeping_dog':
      return user.pBuyBase * (1 - user.annoyance);
    case 'persuadable': {
      const x = (effect.depth - user.threshold + THRESHOLD_RAMP) / (2 * THRESHOLD_RAMP);
      return Math.min(1, user.pBuyBase + user.uplift * Math.min(1, Math.max(0, x)));
    }
  }
}

/**
 * Ground truth: expected incremental profit (minor units) of showing an offer instead of
 * nothing: (1 − refundRate) × [(P(buy|o) − P(buy|none)) × margin − P(buy|o) × cost(o)],
 * margin at full price, cost = the offer's cost on this basket. Refunded orders reverse
 * revenue, cost of goods and discount alike, hence the (1 − refundRate) factor. Zero for
 * no offer.
 */
export function expectedIncrementalProfit(
  user: UserResponse,
  basket: Basket,
  effect: OfferEffect | null,
  refundRate: number,
): number {
  if (effect === null) return 0;
  const p1 = purchaseProbability(user, effect);
  const p0 = purchaseProbability(user, null);
  return (1 - refundRate) * ((p1 - p0) * basketMargin(basket) - p1 * effect.costMinor);
}

/** Points of the midpoint rule over a persuadable's threshold range. */
const THRESHOLD_POINTS = 64;

const mid = (r: readonly [number, number]) => (r[0] + r[1]) / 2;

/**
 * Expected incremental profit of `effect` for a user of whom only the type is known: the
 * mean over the type's response parameters (TYPE_PROFILES; each uniform in its range and
 * independent of the others). P(buy) is linear in the base rate, the uplift and the
 * annoyance (the cap at 1 never binds within the profiles' ranges), so their means stand in
 * for them exactly; the threshold enters through the ramp and is integrated (midpoint
 * rule). What a perfect segment model could know.
 */
export function typeExpectedIncrementalProfit(
  type: UserType,
  basket: Basket,
  effect: OfferEffect | null,
  refundRate: number,
): number {
  if (effect === null) return 0;
  const p = TYPE_PROFILES[type];
  const [lo, hi] = p.threshold;
  const points = hi > lo ? THRESHOLD_POINTS : 1;
  let sum = 0;
  for (let k = 0; k < points; k++) {
    const user: UserResponse = {
      type,
      pBuyBase: mid(p.pBuy),
      uplift: mid(p.uplift),
      threshold: lo + ((k + 0.5) * (hi - lo)) / points,
      annoyance: mid(p.annoyance),
    };
    sum += expectedIncrementalProfit(user, basket, effect, refundRate);
  }
  return sum / points;
}

/** What the ground truth says about one user/basket/offer. */
export interface TruthAnswer {
  readonly userType: UserType;
  readonly pBuyNoOffer: number;
  readonly pBuy: number;
  readonly effect: OfferEffect | null;
  /** Expected incremental profit, minor units. */
  readonly incrementalProfit: number;
}

/**
 * The ground truth of one market, keyed by user id: what the oracle, the tests and the
 * dataset's `truth` rows read. Never given to a learning policy.
 */
export class GroundTruth {
  constructor(
    private readonly population: Population,
    private readonly shipping: ShippingTerms,
    /** Share of purchases refunded later. */
    readonly refundRate: number,
  ) {}

  /** The user's latent parameters. */
  user(userId: string): SimUser {
    const u = this.population.byId.get(userId);
    if (!u) throw new Error(`unknown user ${userId}`);
    return u;
  }

  /** The user's latent type. */
  userType(userId: string): UserType {
    return this.user(userId).type;
  }

  /**
   * Expected incremental profit of `offer` for the user's type, not for the user: what a
   * policy that knew every user's type but none of their own parameters would expect
   * (typeExpectedIncrementalProfit).
   */
  evaluateType(userId: string, basket: Basket, offer: Offer, flashUnitsLeft?: number): number {
    const effect = offerEffect(offer, basket, this.shipping, flashUnitsLeft);
    return typeExpectedIncrementalProfit(this.userType(userId), basket, effect, this.refundRate);
  }

  /** P(buy), its no-offer counterpart and the expected incremental profit of `offer` (null = none). */
  evaluate(
    userId: string,
    basket: Basket,
    offer: Offer | null,
    flashUnitsLeft?: number,
  ): TruthAnswer {
    const u = this.user(userId);
    const effect = offer ? offerEffect(offer, basket, this.shipping, flashUnitsLeft) : null;
    return {
      userType: u.type,
      pBuyNoOffer: purchaseProbability(u, null),
      pBuy: purchaseProbability(u, effect),
      effect,
      incrementalProfit: expectedIncrementalProfit(u, basket, effect, this.refundRate),
    };
  }
}
