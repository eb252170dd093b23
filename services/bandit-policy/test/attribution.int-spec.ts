import { queryRows, sql } from '@offerstream/clickhouse';
import { Event, EventType, PolicyType, Reward } from '@offerstream/contracts';
import { toEventMessage } from '@offerstream/events';
import { IdempotentProducer, TOPICS, type Kafka } from '@offerstream/kafka';
import { expectEventually, uniqueName } from '@offerstream/testing';
import {
  activeCampaign,
  banditClients,
  isolatedBanditEnv,
  learnedRewards,
  startBandit,
  startIngest,
  waitReady,
  type Bandit,
  type Db,
} from './support';

jest.setTimeout(180_000);

let kafka: Kafka;
let db: Db;
let prefix: string;
let common: Record<string, string>;
let ingest: Awaited<ReturnType<typeof startIngest>>;
let bandit: Bandit;
let banditEnv: Record<string, string>;

beforeAll(async () => {
  ({ kafka, db, prefix, common } = await isolatedBanditEnv());
  ingest = await startIngest({
    ...common,
    INGEST_CONSUMER_GROUP: uniqueName('ingest'),
    INGEST_BATCH_LINGER_MS: '5',
  });
  banditEnv = {
    ...common,
    // No feature service: the fixed rule needs none, and decisions then say they are degraded.
    FEATURE_SERVICE_ADDR: '127.0.0.1:9',
    SCORING_SERVICE_ADDR: 'none',
    BANDIT_ATTRIBUTION_INTERVAL_MS: '250',
    BANDIT_ATTRIBUTION_GRACE_MS: '1500',
    BANDIT_INSTANCE_ID: 'bp-attr',
    BANDIT_CONSUMER_GROUP: uniqueName('bp'),
  };
  bandit = await startBandit(banditEnv);
  await waitReady(bandit);
});

afterAll(async () => {
  await bandit?.stop();
  await ingest?.stop();
  await db?.drop();
});

async function produce(events: Partial<Event>[]): Promise<void> {
  const p = new IdempotentProducer(kafka);
  await p.connect();
  try {
    await p.send(
      prefix + TOPICS.events.name,
      events.map((e) =>
        toEventMessage(
          Event.fromPartial({
            eventId: uniqueName('ev'),
            shopId: 'shop-b',
            eventTime: new Date(),
            ...e,
          }),
        ),
      ),
    );
  } finally {
    await p.disconnect();
  }
}

interface RewardRow {
  reward_id: string;
  revision: number;
  purchased: number;
  redeemed: number;
  clicked: number;
  revenue_minor: string;
  discount_cost_minor: string;
  incremental_profit_minor: string;
}

const rewardsOf = (decisionId: string) =>
  queryRows<RewardRow>(
    db.client,
    sql`SELECT reward_id, revision, purchased, redeemed, clicked, revenue_minor, discount_cost_minor, incremental_profit_minor
        FROM rewards WHERE decision_id = ${decisionId} ORDER BY reward_id, revision`,
  );

it('rewards each decision exactly once, through re-delivery, a restart and a refund', async () => {
  const client = banditClients(bandit.grpcPort);
  const c = await client.create(
    activeCampaign({
      name: 'attribution',
      attributionWindow: { seconds: 10, nanos: 0 },
      policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
      defaultMarginRate: 0.4,
    }),
  );
  const buyer = await client.getOffers({ userId: 'u-buyer', campaignIds: [c.campaignId] });
  const late = await client.getOffers({ userId: 'u-late', campaignIds: [c.campaignId] });
  client.close();
  const offer = buyer.slots[0]!;
  expect(offer.offerId).toBe(c.offers[0]!.offerId);
  const base = {
    decisionId: buyer.decisionId,
    offerId: offer.offerId,
    campaignId: c.campaignId,
    userId: 'u-buyer',
  };
  await produce([
    { ...base, type: EventType.EVENT_TYPE_OFFER_IMPRESSION },
    { ...base, type: EventType.EVENT_TYPE_OFFER_CLICK },
    {
      ...base,
      type: EventType.EVENT_TYPE_PURCHASE,
      itemId: 'sku-1',
      orderId: 'order-1',
      priceMinor: 4000,
      quantity: 1,
      currency: 'EUR',
      discountMinor: 500,
    },
    {
      ...base,
      type: EventType.EVENT_TYPE_OFFER_REDEEM,
      orderId: 'order-1',
      discountMinor: 500,
      currency: 'EUR',
    },
  ]);

  // The window (10 s) closes, then attribution rewards both decisions.
  const [first] = await expectEventually(
    async () => {
      const r = await rewardsOf(buyer.decisionId);
      expect(r).toHaveLength(1);
      return r;
    },
    { timeoutMs: 40_000, intervalMs: 500 },
  );
  expect(first).toMatchObject({
    reward_id: `${buyer.decisionId}:1`,
    revision: 1,
    purchased: 1,
    redeemed: 1,
    clicked: 1,
  });
  expect(Number(first!.revenue_minor)).toBe(3500);
  expect(Number(first!.discount_cost_minor)).toBe(500);
  // margin 4000 × 0.4 = 1600, minus the 500 discount.
  expect(Number(first!.incremental_profit_minor)).toBe(1100);

  // A purchase after u-late's window: the default reward.
  await new Promise((r) => setTimeout(r, 500));
  const lateRows = await expectEventually(
    async () => {
      const r = await rewardsOf(late.decisionId);
      expect(r).toHaveLength(1);
      return r;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  await produce([
    {
      userId: 'u-late',
      type: EventType.EVENT_TYPE_PURCHASE,
      orderId: 'late-1',
      priceMinor: 9999,
      currency: 'EUR',
      itemId: 'sku-2',
    },
  ]);
  expect(lateRows[0]).toMatchObject({ purchased: 0, revision: 1 });

  await expectEventually(async () => expect(await learnedRewards(bandit)).toBe(2), {
    timeoutMs: 10_000,
  });

  // Re-delivery: the same reward published again teaches nothing new.
  const p = new IdempotentProducer(kafka);
  await p.connect();
  const again = Reward.fromPartial({
    rewardId: `${buyer.decisionId}:1`,
    revision: 1,
    decisionId: buyer.decisionId,
    shopId: 'shop-b',
    userId: 'u-buyer',
    offerId: offer.offerId,
    campaignId: c.campaignId,
    rank: 1,
    purchased: true,
    final: true,
  });
  await p.send(prefix + TOPICS.rewards.name, [
    { key: 'u-buyer', value: Buffer.from(Reward.encode(again).finish()) },
  ]);
  await p.disconnect();

  // A restart rebuilds the posteriors from ClickHouse: still two rewards, not four.
  await bandit.stop();
  bandit = await startBandit(banditEnv);
  await waitReady(bandit);
  expect(await learnedRewards(bandit)).toBe(2);

  // A refund revises the buyer's reward (revision 2); the late purchase changes nothing.
  await produce([
    {
      userId: 'u-buyer',
      type: EventType.EVENT_TYPE_REFUND,
      orderId: 'order-1',
      priceMinor: 4000,
      quantity: 1,
      currency: 'EUR',
      itemId: 'sku-1',
    },
  ]);
  const revised = await expectEventually(
    async () => {
      const r = await rewardsOf(buyer.decisionId);
      expect(r).toHaveLength(2);
      return r;
    },
    { timeoutMs: 40_000, intervalMs: 500 },
  );
  expect(revised[1]).toMatchObject({ revision: 2, purchased: 0 });
  expect(await rewardsOf(late.decisionId)).toHaveLength(1);
  // The revision replaces the first one in the posteriors: still two rewards learned.
  await new Promise((r) => setTimeout(r, 1000));
  expect(await learnedRewards(bandit)).toBe(2);
});

it('teaches nothing from a deferred offer that was never shown, and rewards one that was', async () => {
  const client = banditClients(bandit.grpcPort);
  const c = await client.create(
    activeCampaign({
      name: 'deferred',
      attributionWindow: { seconds: 10, nanos: 0 },
      policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
    }),
  );
  const shown = await client.getOffers({
    userId: 'u-shown',
    campaignIds: [c.campaignId],
    deferActivation: true,
  });
  const unseen = await client.getOffers({
    userId: 'u-unseen',
    campaignIds: [c.campaignId],
    deferActivation: true,
  });
  client.close();
  expect(shown.activationDeadline).toBeDefined();
  const offerId = shown.slots[0]!.offerId;
  await produce([
    {
      userId: 'u-shown',
      type: EventType.EVENT_TYPE_OFFER_IMPRESSION,
      decisionId: shown.decisionId,
      offerId,
      campaignId: c.campaignId,
    },
  ]);
  // The impression activates the shown decision; its window then closes with a reward.
  await expectEventually(
    async () => {
      const r = await queryRows<{ status: string }>(
        db.client,
        sql`SELECT status FROM decision_activations WHERE decision_id = ${shown.decisionId}`,
      );
      expect(r.map((x) => x.status)).toEqual(['activated']);
    },
    { timeoutMs: 20_000, intervalMs: 300 },
  );
  await expectEventually(async () => expect(await rewardsOf(shown.decisionId)).toHaveLength(1), {
    timeoutMs: 40_000,
    intervalMs: 500,
  });
  // The unseen one has no verdict until its activation deadline (15 min by default), and
  // no reward: it never opened a window.
  expect(await rewardsOf(unseen.decisionId)).toHaveLength(0);
});
