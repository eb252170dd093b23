import { Campaign, Offer, OfferType, type CandidateScore } from '@offerstream/contracts';
import { loadFeatureSpec } from '@offerstream/features';
import { cartCapMinor, economics, FeatureReader, modelValue } from './offer-economics';

const reader = new FeatureReader(loadFeatureSpec());

const campaign = (budget: Partial<NonNullable<Campaign['budget']>>) =>
  Campaign.fromPartial({
    campaignId: 'c1',
    shopId: 's',
    budget: { currency: 'EUR', totalBudgetMinor: 250_000, ...budget },
  });

const percent = (percentOff: number, maxDiscountMinor: number) =>
  Offer.fromPartial({
    offerId: 'o1',
    type: OfferType.OFFER_TYPE_PERCENT_OFF,
    percentOff,
    maxDiscountMinor,
  });

const econ = (c: Campaign, o: Offer, cartValueMinor: number, currency = 'EUR') =>
  economics(c, o, 0.35, reader, undefined, undefined, cartValueMinor, currency);

describe('economics: the budget hold of a percentage offer', () => {
  it('holds max_discount_minor when the campaign sets no cart headroom', () => {
    const e = econ(campaign({}), percent(20, 4000), 6800);
    expect(e.redemptionCostMinor).toBe(1360);
    expect(e.worstCaseCostMinor).toBe(4000);
    expect(e.servedMaxDiscountMinor).toBeUndefined();
  });

  it('holds the discount on the cart grown by the headroom, and serves that as the cap', () => {
    const e = econ(campaign({ cartHeadroom: 0.5 }), percent(20, 4000), 6800);
    // 20 % of 68.00 EUR grown by half: 20.40 EUR instead of the offer's 40.00 EUR cap.
    expect(e.worstCaseCostMinor).toBe(2040);
    expect(e.servedMaxDiscountMinor).toBe(2040);
    expect(e.redemptionCostMinor).toBe(1360);
    // Headroom 0: exactly the cart's discount, rounded up.
    expect(econ(campaign({ cartHeadroom: 0 }), percent(15, 4000), 999).worstCaseCostMinor).toBe(
      150,
    );
  });

  it('keeps the offer’s own cap when the cart-based hold would be larger', () => {
    const e = econ(campaign({ cartHeadroom: 0.5 }), percent(20, 4000), 20_000);
    expect(e.worstCaseCostMinor).toBe(4000);
    expect(e.servedMaxDiscountMinor).toBeUndefined();
  });

  it('holds the cap when the cart is unknown or in another currency, the campaign unbudgeted or the offer not a percentage', () => {
    const c = campaign({ cartHeadroom: 0.5 });
    expect(econ(c, percent(20, 4000), 0).worstCaseCostMinor).toBe(4000);
    expect(econ(c, percent(20, 4000), 6800, 'USD').worstCaseCostMinor).toBe(4000);
    expect(
      cartCapMinor(
        campaign({ cartHeadroom: 0.5, totalBudgetMinor: 0 }),
        percent(20, 4000),
        6800,
        'EUR',
      ),
    ).toBeUndefined();
    const amount = Offer.fromPartial({
      offerId: 'o2',
      type: OfferType.OFFER_TYPE_AMOUNT_OFF,
      amountOffMinor: 500,
    });
    expect(cartCapMinor(c, amount, 6800, 'EUR')).toBeUndefined();
    expect(econ(c, amount, 6800).worstCaseCostMinor).toBe(500);
  });
});

describe('modelValue: the uplift at a lower confidence bound (uplift_lcb)', () => {
  const score = (pPurchaseNoOffer: number, uplift: number): CandidateScore => ({
    offerId: 'o1',
    campaignId: 'c1',
    pClick: 0,
    pPurchase: pPurchaseNoOffer + uplift,
    pPurchaseGivenOffer: pPurchaseNoOffer + uplift,
    pPurchaseNoOffer,
    uplift,
  });
  const e = econ(campaign({}), percent(10, 2000), 10_000);

  it('is uplift × margin − P(purchase | offer) × cost without it', () => {
    expect(modelValue(score(0.05, 0.4), e, 'incremental_profit')).toBeCloseTo(
      0.4 * 3500 - 0.45 * 1000,
      6,
    );
  });

  it('takes k × sqrt(p0 (1 − p0)) off the uplift: much from a user who buys anyway, little from one who rarely does', () => {
    // A user who buys anyway (p0 0.6) with a small estimated lift: worth showing at k = 0,
    // not once the lift must stand out from the error of a rate near one half.
    const sure = score(0.6, 0.25);
    expect(modelValue(sure, e, 'incremental_profit')).toBeGreaterThan(0);
    expect(modelValue(sure, e, 'incremental_profit', 0.04)).toBeCloseTo(
      (0.25 - 0.04 * Math.sqrt(0.24)) * 3500 - 0.85 * 1000,
      6,
    );
    // A deal hunter (p0 0.05) keeps almost all of a large lift.
    const hunter = score(0.05, 0.4);
    const drop =
      modelValue(hunter, e, 'incremental_profit') -
      modelValue(hunter, e, 'incremental_profit', 0.04);
    expect(drop).toBeCloseTo(0.04 * Math.sqrt(0.05 * 0.95) * 3500, 6);
    expect(modelValue(sure, e, 'incremental_profit', 0.04)).toBeLessThan(0);
    expect(modelValue(sure, e, 'conversions', 0.04)).toBeCloseTo(0.25 - 0.04 * Math.sqrt(0.24), 9);
    // A model's own value head is lowered by the same amount of margin.
    expect(
      modelValue({ ...sure, expectedIncrementalProfitMinor: 100 }, e, 'incremental_profit', 0.04),
    ).toBeCloseTo(100 - 0.04 * Math.sqrt(0.24) * 3500, 6);
  });
});
