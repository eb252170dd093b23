import {
  Campaign,
  CampaignStatus,
  Channel,
  Eligibility,
  OfferType,
  PageType,
  RequestContext,
  UserTenure,
  ValueBand,
  type UserProfile,
} from '@offerstream/contracts';
import type { CatalogEntry } from '@offerstream/campaigns';
import { capped, preselect, profileAllows, profileWithTraits } from './eligibility';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

function entry(over: object = {}): CatalogEntry {
  const campaign = Campaign.fromPartial(<Parameters<typeof Campaign.fromPartial>[0]>{
    campaignId: 'c1',
    shopId: 's',
    name: 'n',
    status: CampaignStatus.CAMPAIGN_STATUS_ACTIVE,
    schedule: { startTime: new Date(NOW - 3_600_000), timeZone: 'UTC' },
    budget: { currency: 'EUR' },
    offers: [{ offerId: 'o1', type: OfferType.OFFER_TYPE_AMOUNT_OFF, amountOffMinor: 100 }],
    ...over,
  });
  return {
    campaign,
    record: {} as CatalogEntry['record'],
    bytes: Buffer.alloc(0),
    position: { partition: 0, offset: '0' },
  };
}

const none = { day: '2026-11-30', today: 0, lifetime: 0, lastMs: -Infinity };
const input = (entries: CatalogEntry[], over: Partial<Parameters<typeof preselect>[0]> = {}) => ({
  entries,
  shopId: 's',
  userId: 'u',
  context: undefined,
  campaignIds: [],
  nowMs: NOW,
  caps: () => none,
  maxCandidates: 100,
  ...over,
});

describe('preselect', () => {
  it('skips campaigns that are paused, not started, ended or for another channel', () => {
    const c = [
      entry({ campaignId: 'paused', status: CampaignStatus.CAMPAIGN_STATUS_PAUSED }),
      entry({ campaignId: 'later', schedule: { startTime: new Date(NOW + 1000) } }),
      entry({
        campaignId: 'over',
        schedule: { startTime: new Date(NOW - 7200_000), endTime: new Date(NOW - 1) },
      }),
      entry({ campaignId: 'app', eligibility: { channels: [Channel.CHANNEL_APP] } }),
      entry({ campaignId: 'ok' }),
    ];
    expect(preselect(input(c)).candidates.map((x) => x.entry.campaign.campaignId)).toEqual(['ok']);
  });

  it('never shows a campaign to its holdout, and says so', () => {
    const c = entry({ holdoutShare: 0.999999 });
    const p = preselect(input([c]));
    expect(p.candidates).toEqual([]);
    expect(p.holdoutCampaigns.map((e) => e.campaign.campaignId)).toEqual(['c1']);
  });

  it('stops at the frequency cap', () => {
    const c = entry({ frequencyCap: { maxImpressionsPerUserPerDay: 2 } });
    expect(preselect(input([c], { caps: () => ({ ...none, today: 2 }) })).candidates).toEqual([]);
    expect(preselect(input([c], { caps: () => ({ ...none, today: 1 }) })).candidates).toHaveLength(
      1,
    );
    expect(capped(c.campaign, { ...none, lastMs: NOW - 10 }, NOW)).toBe(false);
    const gap = entry({ frequencyCap: { minInterval: { seconds: 60, nanos: 0 } } });
    expect(capped(gap.campaign, { ...none, lastMs: NOW - 10_000 }, NOW)).toBe(true);
  });

  describe('at the cart page, offers that cannot be redeemed on the cart', () => {
    const newItems = {
      offerId: 'new-15',
      type: OfferType.OFFER_TYPE_PERCENT_OFF,
      percentOff: 15,
      applicableItemIds: ['sku-new-1', 'sku-new-2'],
    };
    const launch = entry({
      holdoutShare: 0.999999,
      offers: [
        newItems,
        {
          offerId: 'flash',
          type: OfferType.OFFER_TYPE_FLASH_SALE_PRICE,
          flashSale: {
            itemId: 'sku-flash',
            salePriceMinor: 500,
            stock: 3,
            startTime: new Date(NOW - 1000),
            endTime: new Date(NOW + 1000),
          },
        },
        {
          offerId: 'shoes-10',
          type: OfferType.OFFER_TYPE_PERCENT_OFF,
          percentOff: 10,
          applicableCategoryIds: ['shoes'],
        },
        { offerId: 'all-5', type: OfferType.OFFER_TYPE_AMOUNT_OFF, amountOffMinor: 500 },
      ],
    });
    const open = { ...launch, campaign: { ...launch.campaign, holdoutShare: 0 } };
    const ctx = (pageType: PageType, cartItemIds: string[]) =>
      RequestContext.fromPartial({ pageType, cartItemIds, cartValueMinor: 4000 });
    const offered = (e: CatalogEntry, c: RequestContext) =>
      preselect(input([e], { context: c })).candidates.map((x) => x.offer.offerId);

    it('are not candidates (item scope and flash-sale item checked against the cart)', () => {
      expect(offered(open, ctx(PageType.PAGE_TYPE_CART, ['sku-old']))).toEqual([
        'shoes-10',
        'all-5',
      ]);
      expect(offered(open, ctx(PageType.PAGE_TYPE_CHECKOUT, ['sku-old', 'sku-new-2']))).toEqual([
        'new-15',
        'shoes-10',
        'all-5',
      ]);
      expect(offered(open, ctx(PageType.PAGE_TYPE_CART, ['sku-flash']))).toEqual([
        'flash',
        'shoes-10',
        'all-5',
      ]);
    });

    it('stay candidates where the cart is unknown or the page is not the cart', () => {
      const all = ['new-15', 'flash', 'shoes-10', 'all-5'];
      expect(offered(open, ctx(PageType.PAGE_TYPE_CART, []))).toEqual(all);
      expect(offered(open, ctx(PageType.PAGE_TYPE_PRODUCT, ['sku-old']))).toEqual(all);
      expect(offered(open, ctx(PageType.PAGE_TYPE_HOME, ['sku-old']))).toEqual(all);
    });

    it('leave a campaign with none of them out before its holdout', () => {
      const scoped = entry({ holdoutShare: 0.999999, offers: [newItems] });
      const miss = preselect(input([scoped], { context: ctx(PageType.PAGE_TYPE_CART, ['x']) }));
      expect(miss.holdoutCampaigns).toEqual([]);
      const hit = preselect(
        input([scoped], { context: ctx(PageType.PAGE_TYPE_CART, ['x', 'sku-new-1']) }),
      );
      expect(hit.holdoutCampaigns.map((e) => e.campaign.campaignId)).toEqual(['c1']);
    });
  });
});

describe('profileAllows', () => {
  const profile: UserProfile = {
    segments: ['vip'],
    tenure: UserTenure.USER_TENURE_RETURNING,
    valueBand: ValueBand.VALUE_BAND_HIGH,
    churnRisk: 0.7,
    country: 'DE',
  };
  it('checks segments, tenure, value bands and churn risk against the profile', () => {
    expect(
      profileAllows(
        {
          includeSegments: ['vip'],
          excludeSegments: [],
          tenure: 0,
          valueBands: [],
          countries: [],
          channels: [],
          pageTypes: [],
        },
        profile,
        undefined,
      ),
    ).toBe(true);
    expect(
      profileAllows(
        {
          includeSegments: [],
          excludeSegments: [],
          tenure: UserTenure.USER_TENURE_NEW,
          valueBands: [],
          countries: [],
          channels: [],
          pageTypes: [],
        },
        profile,
        undefined,
      ),
    ).toBe(false);
    expect(
      profileAllows(
        {
          includeSegments: [],
          excludeSegments: [],
          tenure: 0,
          valueBands: [],
          countries: [],
          channels: [],
          pageTypes: [],
          minChurnRisk: 0.8,
        },
        profile,
        undefined,
      ),
    ).toBe(false);
  });
  it('fails closed when the profile is unknown (features unavailable)', () => {
    expect(
      profileAllows(
        {
          includeSegments: ['vip'],
          excludeSegments: [],
          tenure: 0,
          valueBands: [],
          countries: [],
          channels: [],
          pageTypes: [],
        },
        undefined,
        undefined,
      ),
    ).toBe(false);
    expect(profileAllows(undefined, undefined, undefined)).toBe(true);
  });
});

describe('profileWithTraits', () => {
  const derived: UserProfile = {
    segments: ['from-events'],
    tenure: UserTenure.USER_TENURE_RETURNING,
    valueBand: ValueBand.VALUE_BAND_HIGH,
    churnRisk: 0.02,
    country: 'DE',
  };
  const winback = { minChurnRisk: 0.6, includeSegments: [], excludeSegments: [] };

  it('joins segments and lets the shop’s churn risk replace the derived one', () => {
    const p = profileWithTraits(derived, {
      segments: ['lapsed-30d', 'from-events'],
      churnRisk: 0.8,
    });
    expect(p).toMatchObject({ segments: ['from-events', 'lapsed-30d'], churnRisk: 0.8 });
    expect(p?.tenure).toBe(UserTenure.USER_TENURE_RETURNING);
    const e = Eligibility.fromPartial(winback);
    expect(profileAllows(e, derived, undefined)).toBe(false);
    expect(profileAllows(e, p, undefined)).toBe(true);
    expect(profileWithTraits(derived, { segments: [] })).toBe(derived);
    expect(profileWithTraits(derived, { segments: ['x'] })?.churnRisk).toBe(0.02);
  });

  it('makes a profile from traits alone, whose unknown tenure still fails tenure rules', () => {
    const p = profileWithTraits(undefined, { segments: [], churnRisk: 0.9 });
    expect(profileAllows(Eligibility.fromPartial(winback), p, undefined)).toBe(true);
    const returning = Eligibility.fromPartial({ tenure: UserTenure.USER_TENURE_RETURNING });
    expect(profileAllows(returning, p, undefined)).toBe(false);
    expect(profileWithTraits(undefined, undefined)).toBeUndefined();
  });
});
