import { Campaign, Offer, OfferType } from '@offerstream/contracts';
import { loadFeatureSpec } from '@offerstream/features';
import { cartCapMinor, economics, FeatureReader } from './offer-economics';

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
