import { Offer, OfferType } from '@offerstream/contracts';
import {
  basketOf,
  expectedIncrementalProfit,
  offerEffect,
  purchaseProbability,
  typeExpectedIncrementalProfit,
  type BasketLine,
} from './outcome-model';
import { TYPE_PROFILES, type UserResponse } from './population';
import { Prng } from './prng.util';
import { USER_TYPES } from './scenario';

const shipping = { shippingFeeMinor: 495, freeShippingThresholdMinor: 4900 };
const line = (itemId: string, price: number, cost: number, quantity = 1): BasketLine => ({
  itemId,
  categoryId: itemId.startsWith('shoe') ? 'shoes' : 'home',
  unitPriceMinor: price,
  unitCostMinor: cost,
  quantity,
});
const cart = basketOf([line('shoe-1', 8000, 5000), line('pan-1', 2000, 1000)]);

describe('offer effects', () => {
  it('caps a percent-off discount at max_discount_minor', () => {
    const o = Offer.fromPartial({
      type: OfferType.OFFER_TYPE_PERCENT_OFF,
      percentOff: 20,
      maxDiscountMinor: 1500,
    });
    const e = offerEffect(o, cart, shipping);
    expect(e.discountMinor).toBe(1500);
    expect(e.lineDiscountsMinor.reduce((a, b) => a + b, 0)).toBe(1500);
    expect(e.depth).toBeCloseTo(0.15);
  });

  it('discounts only the applicable category', () => {
    const o = Offer.fromPartial({
      type: OfferType.OFFER_TYPE_PERCENT_OFF,
      percentOff: 10,
      applicableCategoryIds: ['home'],
    });
    expect(offerEffect(o, cart, shipping).lineDiscountsMinor).toEqual([0, 200]);
  });

  it('gives spend-X-save-Y only from the threshold on', () => {
    const o = Offer.fromPartial({
      type: OfferType.OFFER_TYPE_SPEND_X_SAVE_Y,
      spendXSaveY: { thresholdMinor: 12000, saveMinor: 2000 },
    });
    expect(offerEffect(o, cart, shipping).applies).toBe(false);
    expect(offerEffect(o, basketOf([line('shoe-1', 8000, 5000, 2)]), shipping).discountMinor).toBe(
      2000,
    );
  });

  it('makes free shipping worth the fee to the customer and its expected cost to the shop, below the free-shipping threshold only', () => {
    const o = Offer.fromPartial({
      type: OfferType.OFFER_TYPE_FREE_SHIPPING,
      freeShipping: { thresholdMinor: 0, expectedShippingCostMinor: 450 },
    });
    const small = offerEffect(o, basketOf([line('pan-1', 2000, 1000)]), shipping);
    expect(small).toMatchObject({
      applies: true,
      discountMinor: 0,
      costMinor: 450,
      savingMinor: 495,
    });
    expect(offerEffect(o, cart, shipping).applies).toBe(false);
    // Scoped to items: only orders holding one of them ship free.
    const scoped = Offer.fromPartial({ ...o, applicableItemIds: ['pan-1'] });
    expect(offerEffect(scoped, basketOf([line('pan-1', 2000, 1000)]), shipping).applies).toBe(true);
    expect(offerEffect(scoped, basketOf([line('pan-2', 2000, 1000)]), shipping).applies).toBe(
      false,
    );
  });

  it('sells one unit per order at the flash price, and none once the offer has none left', () => {
    const o = Offer.fromPartial({
      type: OfferType.OFFER_TYPE_FLASH_SALE_PRICE,
      flashSale: { itemId: 'shoe-1', salePriceMinor: 6000, stock: 10 },
    });
    const three = basketOf([line('shoe-1', 8000, 5000, 3)]);
    const e = offerEffect(o, three, shipping, 2);
    expect(e.flashUnits).toBe(1);
    expect(e.discountMinor).toBe(2000);
    expect(offerEffect(o, three, shipping).flashUnits).toBe(1);
    expect(offerEffect(o, three, shipping, 0).applies).toBe(false);
  });
});

describe('the ground-truth incremental profit', () => {
  const tenPercent = offerEffect(
    Offer.fromPartial({ type: OfferType.OFFER_TYPE_PERCENT_OFF, percentOff: 10 }),
    cart,
    shipping,
  );
  const user = (over: Partial<UserResponse>): UserResponse => ({
    type: 'sure_thing',
    pBuyBase: 0.6,
    uplift: 0,
    threshold: 0,
    annoyance: 0,
    ...over,
  });

  it('is minus the expected discount for a sure thing', () => {
    const u = user({});
    expect(purchaseProbability(u, tenPercent)).toBe(0.6);
    expect(expectedIncrementalProfit(u, cart, tenPercent, 0)).toBeCloseTo(-0.6 * 1000);
  });

  it('pays off for a persuadable whose threshold the offer clears', () => {
    const u = user({ type: 'persuadable', pBuyBase: 0.05, uplift: 0.4, threshold: 0.05 });
    expect(purchaseProbability(u, tenPercent)).toBeCloseTo(0.45);
    // (0.45 − 0.05) × margin 4000 − 0.45 × 1000, less 5 % refunds.
    expect(expectedIncrementalProfit(u, cart, tenPercent, 0.05)).toBeCloseTo(
      0.95 * (0.4 * 4000 - 450),
    );
  });

  it('does nothing for a persuadable whose threshold the offer misses', () => {
    const u = user({ type: 'persuadable', pBuyBase: 0.05, uplift: 0.4, threshold: 0.2 });
    expect(purchaseProbability(u, tenPercent)).toBe(0.05);
  });

  it('is negative beyond the discount for a sleeping dog', () => {
    const u = user({ type: 'sleeping_dog', pBuyBase: 0.5, annoyance: 0.4 });
    expect(purchaseProbability(u, tenPercent)).toBeCloseTo(0.3);
    expect(expectedIncrementalProfit(u, cart, tenPercent, 0)).toBeCloseTo(-0.2 * 4000 - 0.3 * 1000);
  });

  it('is zero when no offer is shown', () => {
    expect(expectedIncrementalProfit(user({}), cart, null, 0)).toBe(0);
  });
});

describe('the expected incremental profit of a type (what the type oracle knows)', () => {
  const percent = (p: number) =>
    offerEffect(
      Offer.fromPartial({ type: OfferType.OFFER_TYPE_PERCENT_OFF, percentOff: p }),
      cart,
      shipping,
    );
  const depths = [5, 10, 15, 20, 30].map(percent);

  it('is the mean over users of the type drawn as the population draws them (Monte Carlo, 4 standard errors)', () => {
    const rng = Prng.keyed(3, 'type-expectation');
    for (const type of USER_TYPES) {
      const p = TYPE_PROFILES[type];
      for (const effect of depths) {
        const n = 20_000;
        let sum = 0;
        let sq = 0;
        for (let i = 0; i < n; i++) {
          const u: UserResponse = {
            type,
            pBuyBase: rng.uniform(...p.pBuy),
            uplift: rng.uniform(...p.uplift),
            threshold: rng.uniform(...p.threshold),
            annoyance: rng.uniform(...p.annoyance),
          };
          const v = expectedIncrementalProfit(u, cart, effect, 0.05);
          sum += v;
          sq += v * v;
        }
        const mean = sum / n;
        const se = Math.sqrt(Math.max(0, sq / n - mean * mean) / n);
        const exact = typeExpectedIncrementalProfit(type, cart, effect, 0.05);
        expect(Math.abs(exact - mean)).toBeLessThanOrEqual(4 * se + 1e-6);
      }
    }
  });

  it('is never positive for sure things, sleeping dogs and lost causes', () => {
    for (const type of ['sure_thing', 'sleeping_dog', 'lost_cause'] as const)
      for (const effect of depths)
        expect(typeExpectedIncrementalProfit(type, cart, effect, 0.05)).toBeLessThan(0);
  });

  it('rewards a persuadable for depth only as far as thresholds reach (it rises, then falls)', () => {
    const v = depths.map((e) => typeExpectedIncrementalProfit('persuadable', cart, e, 0.05));
    expect(v[1]!).toBeGreaterThan(v[0]!);
    expect(v[3]!).toBeGreaterThan(v[1]!);
    // 30 % clears every threshold, 20 % two thirds of them: the extra third does not pay for
    // the deeper discount everyone who buys gets.
    expect(v[4]!).toBeLessThan(v[3]!);
    expect(typeExpectedIncrementalProfit('persuadable', cart, null, 0.05)).toBe(0);
  });
});
