import {
  Campaign,
  CampaignStatus,
  Channel,
  DeviceType,
  EventType,
  FeatureSource,
  OfferType,
  PageType,
  RequestContext,
  type Event,
} from '@offerstream/contracts';
import { catalogOffers, CURRENT_SPEC_VERSION, loadFeatureSpec } from '@offerstream/features';
import type { Kafka } from '@offerstream/kafka';
import type { RunningService } from '@offerstream/service-kit';
import { expectEventually } from '@offerstream/testing';
import type { featureVars } from '../src/feature.config';
import type { ingestVars } from '../../ingest/src/ingest.config';
import { aggregatesSettled, countRows, expectSameVector, offlineFeatures } from './parity';
import {
  event,
  featureClient,
  isolatedFeatureEnv,
  produceEvents,
  publishCampaign,
  startFeature,
  startIngest,
  type Db,
} from './support';

const spec = loadFeatureSpec(CURRENT_SPEC_VERSION);
const userNames = spec.user.map((d) => d.name);
const candNames = spec.candidate.map((d) => d.name);
const H = 60; // minutes

const campaign = Campaign.fromPartial({
  campaignId: 'cmp-parity',
  shopId: 'shop-f',
  name: 'parity',
  status: CampaignStatus.CAMPAIGN_STATUS_ACTIVE,
  budget: { currency: 'EUR', totalBudgetMinor: 50_000 },
  offers: [
    {
      offerId: 'o-flash',
      type: OfferType.OFFER_TYPE_FLASH_SALE_PRICE,
      flashSale: {
        itemId: 'sku-1',
        salePriceMinor: 6000,
        stock: 40,
        startTime: new Date(),
        endTime: new Date(Date.now() + 86_400_000),
      },
    },
    // 15 % of the 40 EUR cart is 6 EUR, capped at 5 (fs-2's o_cart_saving sees the cap).
    {
      offerId: 'o-pct',
      type: OfferType.OFFER_TYPE_PERCENT_OFF,
      percentOff: 15,
      maxDiscountMinor: 500,
    },
    {
      offerId: 'o-ship',
      type: OfferType.OFFER_TYPE_FREE_SHIPPING,
      freeShipping: { thresholdMinor: 3000, expectedShippingCostMinor: 450 },
    },
    {
      offerId: 'o-sxsy',
      type: OfferType.OFFER_TYPE_SPEND_X_SAVE_Y,
      spendXSaveY: { thresholdMinor: 5000, saveMinor: 1000 },
    },
  ],
});
const candidates = [
  { offerId: 'o-flash', campaignId: 'cmp-parity', itemId: 'sku-1', categoryId: '' },
  { offerId: 'o-pct', campaignId: 'cmp-parity', itemId: 'sku-2', categoryId: 'bags' },
  { offerId: 'o-sxsy', campaignId: 'cmp-parity', itemId: '', categoryId: '' },
  { offerId: 'o-ship', campaignId: 'cmp-parity', itemId: '', categoryId: '' },
  { offerId: 'o-unknown', campaignId: 'cmp-x', itemId: 'sku-404', categoryId: '' },
];
const context = RequestContext.fromPartial({
  device: DeviceType.DEVICE_TYPE_MOBILE,
  channel: Channel.CHANNEL_WEB,
  pageType: PageType.PAGE_TYPE_PRODUCT,
  cartValueMinor: 4000,
  cartItemIds: ['sku-2'],
  currency: 'EUR',
});
const offlineContext = {
  device: 'mobile',
  channel: 'web',
  pageType: 'product',
  cartValueMinor: 4000,
  cartItemIds: ['sku-2'],
};

/** A week of one user's behaviour (ingest takes events up to 7 days old), plus other users on the same items and offers. */
function history(user: string): Event[] {
  const o = (offerId: string) => ({
    offerId,
    campaignId: 'cmp-parity',
    decisionId: `d-${offerId}`,
  });
  const mine: Event[] = [];
  for (let d = 0; d < 7; d++) {
    mine.push(
      event(EventType.EVENT_TYPE_VIEW, user, d * 24 * H + 40 + d, {
        itemId: 'sku-1',
        categoryId: 'shoes',
        priceMinor: 8000,
        currency: 'EUR',
      }),
    );
    if (d % 2 === 0)
      mine.push(
        event(EventType.EVENT_TYPE_VIEW, user, d * 24 * H + 90, {
          itemId: 'sku-2',
          categoryId: 'bags',
          priceMinor: 3000,
          currency: 'EUR',
        }),
      );
    if (d % 3 === 0)
      mine.push(
        event(EventType.EVENT_TYPE_OFFER_IMPRESSION, user, d * 24 * H + 41, {
          ...o('o-flash'),
          itemId: '',
        }),
      );
  }
  mine.push(
    event(EventType.EVENT_TYPE_SEARCH, user, 5 * 24 * H, {
      itemId: '',
      categoryId: '',
      searchQuery: 'red shoes',
    }),
    event(EventType.EVENT_TYPE_ADD_TO_CART, user, 2 * 24 * H + 30, {
      itemId: 'sku-1',
      quantity: 1,
      priceMinor: 8000,
      currency: 'EUR',
    }),
    event(EventType.EVENT_TYPE_OFFER_CLICK, user, 3 * 24 * H + 40, { ...o('o-flash'), itemId: '' }),
    event(EventType.EVENT_TYPE_PURCHASE, user, 2 * 24 * H + 20, {
      ...o('o-flash'),
      itemId: 'sku-1',
      orderId: 'o-1',
      priceMinor: 8000,
      quantity: 1,
      discountMinor: 2000,
      currency: 'EUR',
    }),
    event(EventType.EVENT_TYPE_OFFER_REDEEM, user, 2 * 24 * H + 20, {
      ...o('o-flash'),
      itemId: '',
      orderId: 'o-1',
      discountMinor: 2000,
      currency: 'EUR',
    }),
    event(EventType.EVENT_TYPE_PURCHASE, user, 6 * 24 * H + 100, {
      itemId: 'sku-2',
      categoryId: 'bags',
      orderId: 'o-2',
      priceMinor: 3000,
      quantity: 2,
      currency: 'EUR',
    }),
    event(EventType.EVENT_TYPE_REFUND, user, 6 * 24 * H, {
      itemId: 'sku-2',
      orderId: 'o-2',
      priceMinor: 3000,
      quantity: 1,
      currency: 'EUR',
    }),
  );
  const others: Event[] = [];
  for (let i = 0; i < 30; i++) {
    const who = `other-${i % 7}`;
    others.push(
      event(EventType.EVENT_TYPE_VIEW, who, (i % 12) * 11 * H + i, {
        itemId: i % 2 ? 'sku-1' : 'sku-2',
        categoryId: i % 2 ? 'shoes' : 'bags',
        priceMinor: i % 2 ? 7900 : 3100,
        currency: 'EUR',
      }),
    );
    if (i % 4 === 0)
      others.push(event(EventType.EVENT_TYPE_CLICK, who, (i % 12) * 11 * H, { itemId: 'sku-1' }));
    if (i % 3 === 0)
      others.push(
        event(EventType.EVENT_TYPE_OFFER_IMPRESSION, who, i * 5 * H, {
          ...o(i % 2 ? 'o-pct' : 'o-flash'),
          itemId: '',
        }),
      );
    if (i % 10 === 0)
      others.push(
        event(EventType.EVENT_TYPE_OFFER_REDEEM, who, i * 5 * H, {
          ...o('o-pct'),
          itemId: '',
          orderId: `oo-${i}`,
          discountMinor: 450,
          currency: 'EUR',
        }),
      );
  }
  return [...mine, ...others];
}

describe('features online (service) and offline (trainer) agree', () => {
  let kafka: Kafka;
  let db: Db;
  let prefix: string;
  let ingest: RunningService<typeof ingestVars>;
  let feature: RunningService<typeof featureVars>;
  let client: ReturnType<typeof featureClient>;

  beforeAll(async () => {
    const env = await isolatedFeatureEnv();
    ({ kafka, db, prefix } = env);
    ingest = await startIngest(env.ingestEnv);
    // The test is about equality, not latency: a busy machine must not turn the load from
    // ClickHouse into a stale answer from memory (degradation is feature-edges' subject).
    feature = await startFeature({ ...env.featureEnv, FEATURE_LOAD_BUDGET_MS: '10000' });
    client = featureClient(feature.grpcPort);
    await publishCampaign(kafka, prefix, campaign);
  });

  afterAll(async () => {
    client?.close();
    await feature?.stop();
    await ingest?.stop();
    await db?.drop();
  });

  async function compare(user: string) {
    const res = (
      await client.get({ shopId: 'shop-f', userId: user, candidates, context, sequenceLength: 50 })
    ).features!;
    // Parity is promised for answers built from the store and the stream, not stale ones.
    const source = FeatureSource[res.freshness!.source];
    expect({
      stale: res.user!.stale,
      fromStoreOrStream: /_(CLICKHOUSE|MEMORY)$/.test(source),
    }).toEqual({ stale: false, fromStoreOrStream: true });
    const asOf = res.freshness!.computedAt!.getTime();
    const off = offlineFeatures(db.database, {
      spec_version: spec.version,
      shop_id: 'shop-f',
      user_id: user,
      as_of_ms: asOf,
      context: offlineContext,
      candidates,
      catalog: catalogOffers(campaign),
    });
    expect(off.spec_version).toBe(res.featureSpecVersion);
    expectSameVector(userNames, res.user!.values, off.user);
    expect(res.user!.coldStart).toBe(off.user_cold_start);
    res.candidates.forEach((c, i) => {
      expect(c.offerId).toBe(off.candidates[i]!.offer_id);
      expectSameVector(
        candNames.map((n) => `${c.offerId}.${n}`),
        c.values,
        off.candidates[i]!.values,
      );
      expect(c.coldStart).toBe(off.candidates[i]!.cold_start);
    });
    // The terms fs-2 reads reached the service through the campaigns topic.
    const saving = (id: string) =>
      res.candidates.find((c) => c.offerId === id)!.values[
        spec.candidateIndex.get('o_cart_saving')!
      ];
    expect(saving('o-pct')).toBeCloseTo(500 / 4000, 6);
    expect(saving('o-ship')).toBeCloseTo(450 / 4000, 6);
    expect(res.sequence.map((s) => s.itemId)).toEqual(off.sequence.map((s) => s.item_id));
    expect(res.sequence.map((s) => EventType[s.type])).toEqual(
      off.sequence.map((s) => `EVENT_TYPE_${s.type.toUpperCase()}`),
    );
    return res;
  }

  it('when the user is loaded from ClickHouse, and after the stream updated it (late events included)', async () => {
    const user = 'u-parity';
    const events = history(user);
    await produceEvents(kafka, prefix, events);
    await expectEventually(
      async () =>
        expect(await countRows(db.client, user)).toBe(
          events.filter((e) => e.userId === user).length,
        ),
      { timeoutMs: 30_000 },
    );
    await expectEventually(
      async () => {
        const n = await Promise.all(['other-0', 'other-6'].map((u) => countRows(db.client, u)));
        expect(n.every((x) => x > 0)).toBe(true);
      },
      { timeoutMs: 30_000 },
    );
    await expectEventually(async () => expect(await aggregatesSettled(db.client)).toBe(true), {
      timeoutMs: 30_000,
    });
    // The catalog arrives through the compacted topic.
    await expectEventually(
      async () => {
        const r = await client.get({
          shopId: 'shop-f',
          userId: 'probe',
          candidates: [candidates[0]!],
        });
        expect(r.features!.candidates[0]!.values[spec.candidateIndex.get('o_known')!]).toBe(1);
      },
      { timeoutMs: 20_000 },
    );
    const first = await compare(user);
    expect(first.user!.values[spec.userIndex.get('u_views_30d')!]).toBeCloseTo(Math.log1p(11), 5);

    // The stream updates the loaded user: fresh events, a late one (two days back) and one
    // for an offer, while ClickHouse takes them in too.
    const more = [
      event(EventType.EVENT_TYPE_VIEW, user, 0, {
        itemId: 'sku-3',
        categoryId: 'shoes',
        priceMinor: 9900,
        currency: 'EUR',
      }),
      event(EventType.EVENT_TYPE_ADD_TO_CART, user, 0, {
        itemId: 'sku-3',
        quantity: 2,
        priceMinor: 9900,
        currency: 'EUR',
      }),
      event(EventType.EVENT_TYPE_VIEW, user, 2 * 24 * H + 7, {
        itemId: 'sku-2',
        categoryId: 'bags',
        priceMinor: 2900,
        currency: 'EUR',
      }),
      event(EventType.EVENT_TYPE_OFFER_REDEEM, user, 1, {
        offerId: 'o-flash',
        campaignId: 'cmp-parity',
        itemId: '',
        orderId: 'o-9',
        discountMinor: 2000,
        currency: 'EUR',
      }),
    ];
    const stored = events.filter((e) => e.userId === user).length;
    await produceEvents(kafka, prefix, more);
    await expectEventually(
      async () => expect(await countRows(db.client, user)).toBe(stored + more.length),
      { timeoutMs: 30_000 },
    );
    await expectEventually(async () => expect(await aggregatesSettled(db.client)).toBe(true), {
      timeoutMs: 30_000,
    });
    await expectEventually(
      async () => {
        const r = await client.get({ shopId: 'shop-f', userId: user });
        expect(r.features!.user!.values[spec.userIndex.get('u_views_30d')!]).toBeCloseTo(
          Math.log1p(13),
          5,
        );
        expect(r.features!.user!.values[spec.userIndex.get('u_offer_redeems_30d')!]).toBeCloseTo(
          Math.log1p(2),
          5,
        );
      },
      { timeoutMs: 20_000 },
    );
    const second = await compare(user);
    expect(second.freshness!.asOf!.getTime()).toBeGreaterThan(first.freshness!.asOf!.getTime());
  });
});
