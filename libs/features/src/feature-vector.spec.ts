import { ItemState, OfferState, UserState, type FeatureEvent } from './feature-event';
import { loadFeatureSpec, parseFeatureSpec, FeatureSpecError } from './feature-spec';
import {
  candidateContext,
  candidateFeatures,
  EMPTY_CONTEXT,
  userFeatures,
  type CatalogOffer,
} from './feature-vector';
import { HOUR_MS } from './hour-buckets';

const spec = loadFeatureSpec('fs-2');
// Wednesday 2026-11-25 14:30 UTC.
const AS_OF = Date.UTC(2026, 10, 25, 14, 30);
let n = 0;
function ev(
  type: FeatureEvent['type'],
  hoursAgo: number,
  over: Partial<FeatureEvent> = {},
): FeatureEvent {
  return {
    eventId: `e${String(n++).padStart(4, '0')}`,
    type,
    timeMs: AS_OF - hoursAgo * HOUR_MS,
    itemId: 'i1',
    categoryId: 'shoes',
    offerId: '',
    campaignId: '',
    priceMinor: 0,
    quantity: 0,
    discountMinor: 0,
    ...over,
  };
}
const u = (values: Float32Array, name: string) => values[spec.userIndex.get(name)!]!;
const c = (values: ArrayLike<number>, name: string) => values[spec.candidateIndex.get(name)!]!;

function makeUser(events: FeatureEvent[]) {
  const user = new UserState(spec.sequence.max_length, spec.params.lookback_hours);
  for (const e of events) user.apply(e);
  return user;
}

describe('the fs-2 feature spec', () => {
  it('lists unique names with a definition and default each', () => {
    expect(spec.user.length).toBe(spec.userIndex.size);
    expect(spec.candidate.length).toBe(spec.candidateIndex.size);
  });

  it('refuses a spec with a feature no code computes', () => {
    const { userIndex: _u, candidateIndex: _c, ...plain } = spec;
    const doc = structuredClone(plain);
    doc.user.push({ name: 'u_mystery', definition: 'x', default: 0 });
    const broken = parseFeatureSpec(doc);
    expect(() => userFeatures(broken, undefined, EMPTY_CONTEXT, AS_OF)).toThrow(/u_mystery/);
  });

  it('refuses unknown and malformed versions with a typed error', () => {
    expect(() => loadFeatureSpec('fs-999')).toThrow(FeatureSpecError);
    expect(() => loadFeatureSpec('../etc/passwd')).toThrow(/malformed/);
  });
});

describe('userFeatures', () => {
  it('gives an unknown user the spec defaults and flags the cold start', () => {
    const { values, coldStart } = userFeatures(spec, undefined, EMPTY_CONTEXT, AS_OF);
    expect(coldStart).toBe(true);
    for (const d of spec.user.filter((x) => x.name.startsWith('u_')))
      expect([d.name, u(values, d.name)]).toEqual([d.name, Math.fround(d.default)]);
  });

  it('counts events in hour-bucket windows and derives spend, recency and churn risk', () => {
    const user = makeUser([
      ev('view', 0.2),
      ev('view', 3),
      ev('add_to_cart', 3, { quantity: 1, priceMinor: 5000 }),
      ev('purchase', 2.9, {
        priceMinor: 5000,
        quantity: 2,
        discountMinor: 1000,
        categoryId: 'bags',
      }),
      ev('view', 24 * 10),
      ev('purchase', 24 * 20, { priceMinor: 3000, quantity: 0 }),
      ev('view', 24 * 40), // outside the lookback
    ]);
    const { values, coldStart } = userFeatures(spec, user, EMPTY_CONTEXT, AS_OF);
    expect(coldStart).toBe(false);
    expect(u(values, 'u_views_1h')).toBeCloseTo(Math.log1p(1), 6);
    expect(u(values, 'u_views_24h')).toBeCloseTo(Math.log1p(2), 6);
    expect(u(values, 'u_views_30d')).toBeCloseTo(Math.log1p(3), 6);
    expect(u(values, 'u_purchases_30d')).toBeCloseTo(Math.log1p(2), 6);
    // Revenue: 5000 × 2 − 1000 = 9000 and 3000 × 1 → 120.00 over 2 purchases.
    expect(u(values, 'u_spend_30d')).toBeCloseTo(Math.log1p(120), 5);
    expect(u(values, 'u_spend_7d')).toBeCloseTo(Math.log1p(90), 5);
    expect(u(values, 'u_aov_30d')).toBeCloseTo(Math.log1p(60), 5);
    expect(u(values, 'u_discount_share_30d')).toBeCloseTo(10 / 130, 6);
    expect(u(values, 'u_hours_since_visit')).toBeCloseTo(Math.log1p(0.2), 5);
    expect(u(values, 'u_hours_since_purchase')).toBeCloseTo(Math.log1p(2.9), 5);
    // Active on 3 distinct days; churn gap = 720 / 3 hours.
    expect(u(values, 'u_active_days_30d')).toBeCloseTo(3 / 30, 6);
    expect(u(values, 'u_churn_risk')).toBeCloseTo(1 - Math.exp(-0.2 / 240), 6);
    expect(u(values, 'u_rfm_value')).toBeCloseTo(
      Math.exp(-2.9 / 720) * (Math.log1p(2) + Math.log1p(120)),
      5,
    );
    expect(u(values, 'u_seq_fill')).toBeCloseTo(6 / 50, 6); // the 40-day-old view is out
    expect(u(values, 'u_seq_categories')).toBeCloseTo(Math.log1p(2), 6);
  });

  it('reads the context: time of day, device, channel, page and cart', () => {
    const { values } = userFeatures(
      spec,
      undefined,
      {
        device: 'mobile',
        channel: 'push',
        pageType: 'checkout',
        cartValueMinor: 4999,
        cartItemIds: ['a', 'b'],
      },
      AS_OF,
    );
    expect(u(values, 'c_hour_sin')).toBeCloseTo(Math.sin((2 * Math.PI * 14.5) / 24), 6);
    expect(u(values, 'c_dow_sin')).toBeCloseTo(Math.sin((2 * Math.PI * 2) / 7), 6);
    expect([
      u(values, 'c_device_mobile'),
      u(values, 'c_channel_message'),
      u(values, 'c_page_cart'),
    ]).toEqual([1, 1, 1]);
    expect(u(values, 'c_cart_value')).toBeCloseTo(Math.log1p(49.99), 5);
    expect(u(values, 'c_cart_items')).toBeCloseTo(Math.log1p(2), 6);
  });
});

describe('candidateFeatures', () => {
  const flash: CatalogOffer = {
    offerId: 'o1',
    campaignId: 'c1',
    kind: 'flash',
    percentOff: 0,
    amountOffMinor: 0,
    thresholdMinor: 0,
    saveMinor: 0,
    salePriceMinor: 6000,
    stock: 10,
    totalBudgetMinor: 100_000,
    maxDiscountMinor: 0,
    shippingCostMinor: 0,
  };

  it('combines item funnel, offer terms and usage, and the user affinity for the candidate', () => {
    const item = new ItemState(spec.params.lookback_hours);
    const offer = new OfferState(spec.params.lookback_hours);
    for (let i = 0; i < 40; i++)
      item.apply(ev('view', i === 39 ? 0.1 : 1 + (i % 4), { priceMinor: i === 39 ? 8000 : 7000 }));
    for (let i = 0; i < 4; i++) item.apply(ev('click', 1));
    for (let i = 0; i < 30; i++)
      offer.apply(ev('offer_impression', 2, { offerId: 'o1', campaignId: 'c1' }));
    for (let i = 0; i < 3; i++)
      offer.apply(ev('offer_redeem', 1, { offerId: 'o1', campaignId: 'c1', discountMinor: 2000 }));
    const user = makeUser([
      ev('view', 1),
      ev('view', 2, { categoryId: 'bags', itemId: 'i2' }),
      ev('view', 3),
    ]);
    const { values, coldStart } = candidateFeatures(
      candidateContext(spec, user, EMPTY_CONTEXT, AS_OF),
      { offerId: 'o1', campaignId: 'c1', itemId: 'i1', categoryId: '' },
      { item, offer, catalog: flash, campaignSpentMinor: 25_000 },
    );
    expect(coldStart).toBe(false);
    expect(c(values, 'i_price')).toBeCloseTo(Math.log1p(80), 5); // the latest price
    expect(c(values, 'i_views_24h')).toBeCloseTo(Math.log1p(40), 5);
    expect(c(values, 'o_discount_depth')).toBeCloseTo(1 - 6000 / 8000, 6);
    expect(c(values, 'o_type_flash')).toBe(1);
    expect(c(values, 'o_stock_left')).toBeCloseTo(Math.log1p(7), 6);
    expect(c(values, 'o_budget_left')).toBeCloseTo(0.75, 6);
    const decayedImpr = 30 * 2 ** (-2 / 72);
    const decayedRedeem = 3 * 2 ** (-1 / 72);
    expect(c(values, 'o_redeem_rate')).toBeCloseTo((decayedRedeem + 0.4) / (decayedImpr + 20), 6);
    expect(c(values, 'x_category_affinity')).toBeCloseTo(2 / 3, 6);
    expect(c(values, 'x_item_seen')).toBeCloseTo(Math.log1p(2), 6);
  });

  const offer = (o: Partial<CatalogOffer>): CatalogOffer => ({
    ...flash,
    salePriceMinor: 0,
    stock: undefined,
    ...o,
  });
  const saving = (catalog: CatalogOffer, itemPrice: number, cartValueMinor: number) => {
    const item = new ItemState(spec.params.lookback_hours);
    if (itemPrice > 0) item.apply(ev('view', 1, { priceMinor: itemPrice }));
    const ctx = { ...EMPTY_CONTEXT, cartValueMinor };
    const { values } = candidateFeatures(
      candidateContext(spec, undefined, ctx, AS_OF),
      { offerId: 'o1', campaignId: 'c1', itemId: 'i1', categoryId: '' },
      { item, offer: undefined, catalog, campaignSpentMinor: 0 },
    );
    return c(values, 'o_cart_saving');
  };

  it.each([
    ['10 % of the cart', offer({ kind: 'percent', percentOff: 10 }), 0, 5000, 0.1],
    [
      '20 % capped at 40 EUR on a 300 EUR cart',
      offer({ kind: 'percent', percentOff: 20, maxDiscountMinor: 4000 }),
      0,
      30_000,
      4000 / 30_000,
    ],
    ['5 EUR on a 25 EUR cart', offer({ kind: 'amount', amountOffMinor: 500 }), 0, 2500, 0.2],
    ['5 EUR on a 4 EUR cart: all of it', offer({ kind: 'amount', amountOffMinor: 500 }), 0, 400, 1],
    [
      'a 15 % coupon capped at 10 EUR',
      offer({ kind: 'coupon', percentOff: 15, maxDiscountMinor: 1000 }),
      0,
      10_000,
      0.1,
    ],
    [
      'spend 60 save 12 below the threshold',
      offer({ kind: 'spend_save', thresholdMinor: 6000, saveMinor: 1200 }),
      0,
      5999,
      0,
    ],
    [
      'spend 60 save 12 at 80 EUR',
      offer({ kind: 'spend_save', thresholdMinor: 6000, saveMinor: 1200 }),
      0,
      8000,
      0.15,
    ],
    [
      'spend 60 save 12 capped at 10 EUR (the cap binds every kind)',
      offer({ kind: 'spend_save', thresholdMinor: 6000, saveMinor: 1200, maxDiscountMinor: 1000 }),
      0,
      8000,
      0.125,
    ],
    [
      'free shipping (4.50 absorbed) on a 30 EUR cart',
      offer({ kind: 'free_shipping', shippingCostMinor: 450 }),
      0,
      3000,
      0.15,
    ],
    [
      'free shipping from 50 EUR, cart of 30 EUR',
      offer({ kind: 'free_shipping', thresholdMinor: 5000, shippingCostMinor: 450 }),
      0,
      3000,
      0,
    ],
    [
      'a flash sale, no cart: the item is the order',
      offer({ kind: 'flash', salePriceMinor: 6000 }),
      8000,
      0,
      0.25,
    ],
    [
      'percent, no cart: the item price is the order',
      offer({ kind: 'percent', percentOff: 10 }),
      8000,
      0,
      0.1,
    ],
    ['percent, no cart and no price: unknown', offer({ kind: 'percent', percentOff: 10 }), 0, 0, 0],
  ])('o_cart_saving: %s', (_, catalog, itemPrice, cart, want) => {
    expect(saving(catalog, itemPrice, cart)).toBeCloseTo(want, 6);
  });

  it('o_discount_depth ignores the cart and caps, o_cart_saving does not (fs-2)', () => {
    const twenty = offer({ kind: 'percent', percentOff: 20, maxDiscountMinor: 4000 });
    const cartOf = (minor: number) => {
      const ctx = { ...EMPTY_CONTEXT, cartValueMinor: minor };
      return candidateFeatures(
        candidateContext(spec, undefined, ctx, AS_OF),
        { offerId: 'o1', campaignId: 'c1', itemId: '', categoryId: '' },
        { item: undefined, offer: undefined, catalog: twenty, campaignSpentMinor: 0 },
      ).values;
    };
    const [small, large] = [cartOf(5000), cartOf(100_000)];
    expect(c(small, 'o_discount_depth')).toBeCloseTo(0.2, 6);
    expect(c(large, 'o_discount_depth')).toBeCloseTo(0.2, 6);
    expect(c(small, 'o_cart_saving')).toBeCloseTo(0.2, 6);
    expect(c(large, 'o_cart_saving')).toBeCloseTo(0.04, 6);
  });

  it('keeps fs-1 vectors as they were: fs-2 less o_cart_saving', () => {
    const fs1 = loadFeatureSpec('fs-1');
    expect(fs1.candidateIndex.has('o_cart_saving')).toBe(false);
    expect(spec.candidate.map((d) => d.name).filter((n) => n !== 'o_cart_saving')).toEqual(
      fs1.candidate.map((d) => d.name),
    );
    expect(spec.user).toEqual(fs1.user);
    const cat = offer({ kind: 'spend_save', thresholdMinor: 6000, saveMinor: 1200 });
    const ctx = { ...EMPTY_CONTEXT, cartValueMinor: 8000 };
    const vec = (s: typeof spec) =>
      candidateFeatures(
        candidateContext(s, undefined, ctx, AS_OF),
        { offerId: 'o1', campaignId: 'c1', itemId: '', categoryId: '' },
        { item: undefined, offer: undefined, catalog: cat, campaignSpentMinor: 0 },
      ).values;
    const v2 = vec(spec);
    const at = spec.candidateIndex.get('o_cart_saving')!;
    expect(vec(fs1)).toEqual([...v2.slice(0, at), ...v2.slice(at + 1)]);
  });

  it('falls back to defaults for an unknown offer and item and flags the cold start', () => {
    const { values, coldStart } = candidateFeatures(
      candidateContext(spec, undefined, EMPTY_CONTEXT, AS_OF),
      { offerId: 'nope', campaignId: 'c', itemId: '', categoryId: '' },
      { item: undefined, offer: undefined, catalog: undefined, campaignSpentMinor: 0 },
    );
    expect(coldStart).toBe(true);
    expect(c(values, 'o_known')).toBe(0);
    expect(c(values, 'o_budget_left')).toBe(1);
    expect(c(values, 'i_ctr')).toBeCloseTo(0.05, 6);
  });

  it('places values by the spec, whatever its order, and refuses a feature no code computes', () => {
    const { userIndex: _u, candidateIndex: _c, ...plain } = spec;
    const doc = structuredClone(plain);
    doc.candidate.reverse();
    doc.candidate.forEach((d) => (d.default = 7)); // a default must not replace a computed value
    const reversed = parseFeatureSpec(doc);
    const pre = (s: typeof spec) => candidateContext(s, undefined, EMPTY_CONTEXT, AS_OF);
    const cand = { offerId: 'o1', campaignId: 'c1', itemId: 'i1', categoryId: '' };
    const st = { item: undefined, offer: undefined, catalog: flash, campaignSpentMinor: 0 };
    const a = candidateFeatures(pre(spec), cand, st).values;
    const b = candidateFeatures(pre(reversed), cand, st).values;
    expect(b).toEqual([...a].reverse());
    expect(a.every((v) => Math.fround(v) === v)).toBe(true); // float32 values
    doc.candidate.push({ name: 'x_mystery', definition: 'x', default: 0 });
    const broken = parseFeatureSpec(doc);
    expect(() => candidateFeatures(pre(broken), cand, st)).toThrow(/x_mystery/);
  });

  it('gives a non-finite computation the spec default', () => {
    const { userIndex: _u, candidateIndex: _c, ...plain } = spec;
    const doc = structuredClone(plain);
    doc.candidate.find((d) => d.name === 'o_discount_depth')!.default = 0.125;
    const withDefault = parseFeatureSpec(doc);
    const bad: CatalogOffer = { ...flash, kind: 'percent', percentOff: NaN };
    const { values } = candidateFeatures(
      candidateContext(withDefault, undefined, EMPTY_CONTEXT, AS_OF),
      { offerId: 'o1', campaignId: 'c1', itemId: '', categoryId: '' },
      { item: undefined, offer: undefined, catalog: bad, campaignSpentMinor: 0 },
    );
    expect(values[withDefault.candidateIndex.get('o_discount_depth')!]).toBe(0.125);
  });
});
