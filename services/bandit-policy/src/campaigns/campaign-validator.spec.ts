import {
  Campaign,
  CampaignStatus,
  OfferType,
  PolicyType,
  type Offer,
} from '@offerstream/contracts';
import { POLICY_DEFAULTS } from '../policy';
import { campaignProblems, canMove, POLICY_PARAMS } from './campaign-validator';

function offer(over: Partial<Offer> = {}): Offer {
  return {
    offerId: 'o1',
    campaignId: '',
    type: OfferType.OFFER_TYPE_AMOUNT_OFF,
    currency: '',
    amountOffMinor: 500,
    maxDiscountMinor: 0,
    couponCode: '',
    applicableItemIds: [],
    applicableCategoryIds: [],
    maxRedemptionsPerUser: 0,
    creativeKey: '',
    title: '',
    status: 0,
    ...over,
  };
}

function campaign(over: Partial<Campaign> = {}): Campaign {
  return Campaign.fromPartial({
    campaignId: 'cmp-1',
    shopId: 'shop',
    name: 'Spring',
    schedule: { startTime: new Date('2026-01-01T00:00:00Z'), timeZone: 'Europe/Berlin' },
    budget: { currency: 'EUR', totalBudgetMinor: 100_000, dailyBudgetMinor: 0 },
    offers: [offer()],
    ...over,
  });
}

const fields = (c: Campaign) => campaignProblems(c).map((p) => p.field);

describe('campaignProblems', () => {
  it('accepts a well-formed campaign', () => {
    expect(campaignProblems(campaign())).toEqual([]);
  });

  it('refuses negative budgets', () => {
    expect(
      fields(campaign({ budget: { currency: 'EUR', totalBudgetMinor: -1, dailyBudgetMinor: -5 } })),
    ).toEqual(['budget.total_budget_minor', 'budget.daily_budget_minor']);
  });

  it('takes a cart headroom of 0..10 and refuses one outside it or not a number', () => {
    const withHeadroom = (cartHeadroom: number) =>
      campaign({
        budget: { currency: 'EUR', totalBudgetMinor: 100_000, dailyBudgetMinor: 0, cartHeadroom },
      });
    expect(campaignProblems(withHeadroom(0))).toEqual([]);
    expect(campaignProblems(withHeadroom(0.5))).toEqual([]);
    expect(campaignProblems(withHeadroom(10))).toEqual([]);
    for (const bad of [-0.1, 10.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(fields(withHeadroom(bad))).toEqual(['budget.cart_headroom']);
  });

  it('refuses a schedule or flash sale that ends before it starts', () => {
    const start = new Date('2026-02-01T00:00:00Z');
    const end = new Date('2026-01-01T00:00:00Z');
    expect(
      fields(
        campaign({
          schedule: {
            startTime: start,
            endTime: end,
            timeZone: '',
            activeDays: [],
            activeHours: [],
          },
        }),
      ),
    ).toContain('schedule.end_time');
    const flash = offer({
      type: OfferType.OFFER_TYPE_FLASH_SALE_PRICE,
      amountOffMinor: undefined,
      flashSale: { itemId: 'sku', salePriceMinor: 900, stock: 10, startTime: start, endTime: end },
    });
    expect(fields(campaign({ offers: [flash] }))).toContain('offers[0].flash_sale.end_time');
  });

  it('refuses discounts over 100 % and terms that do not match the type', () => {
    const over = offer({
      type: OfferType.OFFER_TYPE_PERCENT_OFF,
      amountOffMinor: undefined,
      percentOff: 120,
      maxDiscountMinor: 100,
    });
    expect(fields(campaign({ offers: [over] }))).toContain('offers[0].percent_off');
    const mismatch = offer({ type: OfferType.OFFER_TYPE_PERCENT_OFF });
    expect(fields(campaign({ offers: [mismatch] }))).toContain('offers[0].amount_off_minor');
  });

  it('requires a cap on percentage discounts in a budgeted campaign (the hard cap needs a bound)', () => {
    const pct = offer({
      type: OfferType.OFFER_TYPE_PERCENT_OFF,
      amountOffMinor: undefined,
      percentOff: 10,
    });
    expect(fields(campaign({ offers: [pct] }))).toEqual(['offers[0].max_discount_minor']);
    const unbudgeted = campaign({
      offers: [pct],
      budget: { currency: 'EUR', totalBudgetMinor: 0, dailyBudgetMinor: 0 },
    });
    expect(campaignProblems(unbudgeted)).toEqual([]);
  });

  it('refuses unknown policy parameters and out-of-range ones, naming them', () => {
    const c = campaign({
      policy: { type: PolicyType.POLICY_TYPE_EPSILON_GREEDY, params: { epsilon: 2, gamma: 1 } },
    });
    expect(fields(c)).toEqual(['policy.params.epsilon', 'policy.params.gamma']);
  });

  it('accepts every parameter a policy has a default for, at its default', () => {
    for (const [kind, defaults] of Object.entries(POLICY_DEFAULTS)) {
      const type = PolicyType[`POLICY_TYPE_${kind.toUpperCase()}` as keyof typeof PolicyType];
      expect(typeof type).toBe('number');
      const c = campaign({ policy: { type: type, params: { ...defaults } } });
      expect([kind, fields(c)]).toEqual([kind, []]);
      expect(Object.keys(POLICY_PARAMS[type])).toEqual(
        expect.arrayContaining(Object.keys(defaults)),
      );
    }
  });

  it('refuses a bad time zone, currency, holdout share and duplicate offer ids', () => {
    const c = campaign({
      schedule: {
        startTime: new Date(),
        timeZone: 'Mars/Olympus',
        activeDays: [],
        activeHours: [],
      },
      budget: { currency: 'EURO', totalBudgetMinor: 0, dailyBudgetMinor: 0 },
      holdoutShare: 1,
      holdoutGroup: ' spring',
      offers: [offer(), offer()],
    });
    expect(fields(c)).toEqual([
      'schedule.time_zone',
      'budget.currency',
      'holdout_share',
      'holdout_group',
      'offers[1].offer_id',
    ]);
  });

  it('takes a holdout group like an id', () => {
    expect(fields(campaign({ holdoutGroup: 'global-control' }))).toEqual([]);
    expect(fields(campaign({ holdoutGroup: 'g'.repeat(129) }))).toEqual(['holdout_group']);
  });

  it('requires a coupon code for coupons', () => {
    const c = campaign({ offers: [offer({ type: OfferType.OFFER_TYPE_COUPON })] });
    expect(fields(c)).toEqual(['offers[0].coupon_code']);
  });
});

describe('canMove', () => {
  it('allows the documented moves only', () => {
    const {
      CAMPAIGN_STATUS_DRAFT: D,
      CAMPAIGN_STATUS_ACTIVE: A,
      CAMPAIGN_STATUS_PAUSED: P,
      CAMPAIGN_STATUS_ENDED: E,
    } = CampaignStatus;
    expect(canMove(D, A)).toBe(true);
    expect(canMove(A, P)).toBe(true);
    expect(canMove(P, A)).toBe(true);
    expect(canMove(P, E)).toBe(true);
    expect(canMove(E, A)).toBe(false);
    expect(canMove(D, P)).toBe(false);
  });
});
