import { status, type ServiceError } from '@grpc/grpc-js';
import { queryRows, sql } from '@offerstream/clickhouse';
import {
  callUnary,
  CampaignStatus,
  DegradedReason,
  EventType,
  OfferType,
  PolicyType,
  RequestContext,
} from '@offerstream/contracts';
import { CURRENT_SPEC_VERSION, loadFeatureSpec } from '@offerstream/features';
import { expectEventually } from '@offerstream/testing';
import { event, produceValidEvents } from '../../feature/test/support';
import {
  activeCampaign,
  amountOff,
  banditClients,
  isolatedBanditEnv,
  startBandit,
  startFeature,
  waitReady,
  type Bandit,
  type Db,
} from './support';

jest.setTimeout(120_000);

let env: Awaited<ReturnType<typeof isolatedBanditEnv>>;
let db: Db;
let common: Record<string, string>;
let feature: Awaited<ReturnType<typeof startFeature>>;
let bandit: Bandit;
let client: ReturnType<typeof banditClients>;

beforeAll(async () => {
  env = await isolatedBanditEnv();
  ({ db, common } = env);
  feature = await startFeature({ ...common, FEATURE_CONSUMER_GROUP: `f-${Date.now()}` });
  bandit = await startBandit({
    ...common,
    FEATURE_SERVICE_ADDR: `127.0.0.1:${feature.grpcPort}`,
    SCORING_SERVICE_ADDR: 'none',
    BANDIT_SEED: '42',
  });
  await waitReady(bandit);
  client = banditClients(bandit.grpcPort);
});

afterAll(async () => {
  client?.close();
  await bandit?.stop();
  await feature?.stop();
  await db?.drop();
});

const grpcError = async (p: Promise<unknown>): Promise<ServiceError> => {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
};

/**
 * Runs `body` against a replica of its own, on its own topics and database, then stops it:
 * the file's other replica would otherwise see the body's campaigns too, and could lease
 * their small budgets first (its housekeeping tops up every campaign it serves), leaving
 * this replica nothing to show until shutdown.
 */
async function withOwnReplica(
  settings: Record<string, string>,
  body: (c: ReturnType<typeof banditClients>, db: Db) => Promise<void>,
): Promise<void> {
  const own = await isolatedBanditEnv();
  const replica = await startBandit({
    ...own.common,
    FEATURE_SERVICE_ADDR: `127.0.0.1:${feature.grpcPort}`,
    SCORING_SERVICE_ADDR: 'none',
    BANDIT_LEASE_MIN_MINOR: '500',
    ...settings,
  });
  await waitReady(replica);
  const c = banditClients(replica.grpcPort);
  try {
    await body(c, own.db);
  } finally {
    c.close();
    await replica.stop();
    await own.db.drop();
  }
}

describe('GetOffers', () => {
  it('answers with an offer, its propensity and a decision id that lands in ClickHouse', async () => {
    const c = await client.create(
      activeCampaign({
        name: 'basic',
        policy: { type: PolicyType.POLICY_TYPE_EPSILON_GREEDY, params: { epsilon: 0.2 } },
      }),
    );
    expect(c.version).toBe(1);
    expect(c.offers.map((o) => o.campaignId)).toEqual([c.campaignId, c.campaignId]);
    let shown: Awaited<ReturnType<typeof client.getOffers>> | undefined;
    for (let i = 0; i < 20 && !shown?.slots.length; i++)
      shown = await client.getOffers({
        userId: `u-basic-${i}`,
        campaignIds: [c.campaignId],
        explain: true,
      });
    expect(shown!.decisionId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const slot = shown!.slots[0]!;
    expect(slot.rank).toBe(1);
    expect(slot.campaignId).toBe(c.campaignId);
    expect(slot.propensity).toBeGreaterThan(0);
    expect(slot.propensity).toBeLessThanOrEqual(1);
    expect(slot.offer?.currency).toBe('EUR');
    expect(slot.explanation?.policyName).toBe('EPSILON_GREEDY');
    const rows = await expectEventually(
      async () => {
        const r = await queryRows<{ rank: number; offer_id: string; propensity: number }>(
          db.client,
          sql`SELECT rank, offer_id, propensity FROM decision_candidates WHERE decision_id = ${shown!.decisionId} ORDER BY offer_id`,
        );
        expect(r.length).toBe(2);
        return r;
      },
      { timeoutMs: 20_000 },
    );
    expect(rows.find((r) => r.offer_id === slot.offerId)).toMatchObject({ rank: 1 });
    expect(rows.find((r) => r.offer_id === slot.offerId)!.propensity).toBeCloseTo(
      slot.propensity,
      6,
    );
  });

  it('never overspends a small budget under 1,000 concurrent requests on two replicas', async () => {
    // 10 × 500 fits the budget; the 11th redemption would not.
    const c = await client.create(
      activeCampaign({
        name: 'small budget',
        budget: { currency: 'EUR', totalBudgetMinor: 5000, dailyBudgetMinor: 0 },
        offers: [amountOff('sb-500', 500)],
        policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
      }),
    );
    const second = await startBandit({
      ...common,
      FEATURE_SERVICE_ADDR: `127.0.0.1:${feature.grpcPort}`,
      SCORING_SERVICE_ADDR: 'none',
      BANDIT_LEASE_MIN_MINOR: '500',
    });
    await waitReady(second);
    const other = banditClients(second.grpcPort);
    try {
      // Let both replicas take leases, then fire.
      await new Promise((r) => setTimeout(r, 1500));
      const calls = Array.from({ length: 1000 }, (_, i) =>
        (i % 2 ? client : other).getOffers(
          { userId: `u-budget-${i}`, campaignIds: [c.campaignId] },
          20_000,
        ),
      );
      const answers = await Promise.all(calls);
      const shown = answers.filter((a) => a.slots.length > 0).length;
      expect(shown).toBeLessThanOrEqual(10);
      expect(shown).toBeGreaterThan(0);
    } finally {
      other.close();
      await second.stop();
    }
  });

  it('holds budget only while a shown offer can be redeemed, then gives back what was not redeemed', async () => {
    await withOwnReplica(
      { BANDIT_OFFER_TTL_MS: '1500', BANDIT_REDEEM_GRACE_MS: '500' },
      async (other) => {
        // Room for exactly one shown offer at a time.
        const c = await other.create(
          activeCampaign({
            name: 'ttl',
            budget: { currency: 'EUR', totalBudgetMinor: 500, dailyBudgetMinor: 0 },
            offers: [amountOff('ttl-500', 500)],
            policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
          }),
        );
        const first = await expectEventually(
          async () => {
            const a = await other.getOffers({ userId: 'u-ttl-1', campaignIds: [c.campaignId] });
            expect(a.slots).toHaveLength(1);
            return a;
          },
          // The fresh replica's first budget lease: more than 10 s once, on a loaded CI box.
          { timeoutMs: 30_000 },
        );
        expect(
          first.slots[0]!.expiresAt!.getTime() - first.servedAt!.getTime(),
        ).toBeLessThanOrEqual(1500);
        expect(
          (await other.getOffers({ userId: 'u-ttl-2', campaignIds: [c.campaignId] })).slots,
        ).toHaveLength(0);
        // Not redeemed: once it expired, its budget serves the next user.
        await expectEventually(
          async () =>
            expect(
              (await other.getOffers({ userId: 'u-ttl-3', campaignIds: [c.campaignId] })).slots,
            ).toHaveLength(1),
          { timeoutMs: 15_000, intervalMs: 300 },
        );
      },
    );
  });

  it('holds a percentage offer’s discount on the cart, not its cap, when the campaign sets a cart headroom', async () => {
    // A replica of its own (withOwnReplica). The offer's 40 EUR cap exceeds the 30 EUR
    // budget: without a cart only the cap bounds a redemption and nothing can be shown; on a
    // 50 EUR cart with headroom 0.5 it holds 20 % × 75 EUR = 15 EUR, so two fit and a third
    // does not while both are redeemable.
    await withOwnReplica({ BANDIT_OFFER_TTL_MS: '120000' }, async (other, ownDb) => {
      const c = await other.create(
        activeCampaign({
          name: 'cart headroom',
          budget: {
            currency: 'EUR',
            totalBudgetMinor: 3000,
            dailyBudgetMinor: 0,
            cartHeadroom: 0.5,
          },
          offers: [
            {
              offerId: 'ch-20pct',
              type: OfferType.OFFER_TYPE_PERCENT_OFF,
              percentOff: 20,
              maxDiscountMinor: 4000,
            },
          ],
          policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
        }),
      );
      expect(c.budget?.cartHeadroom).toBe(0.5);
      const cart = RequestContext.fromPartial({ cartValueMinor: 5000, currency: 'EUR' });
      let n = 0;
      const ask = (context?: RequestContext) =>
        other.getOffers({ userId: `u-cart-${++n}`, campaignIds: [c.campaignId], context });
      const shown: Awaited<ReturnType<typeof ask>>[] = [];
      // The fresh replica leases its budget in steps: ask until two offers are out.
      await expectEventually(
        async () => {
          const a = await ask(cart);
          if (a.slots.length > 0) shown.push(a);
          expect(shown.length).toBe(2);
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      for (const a of shown) expect(a.slots[0]!.offer?.maxDiscountMinor).toBe(1500);
      expect((await ask(cart)).slots).toHaveLength(0);
      expect((await ask()).slots).toHaveLength(0);
      const held = await expectEventually(
        async () => {
          const r = await queryRows<{ reserved_minor: string }>(
            ownDb.client,
            sql`SELECT reserved_minor FROM decision_candidates WHERE has(${shown.map((a) => a.decisionId)}, decision_id) AND offer_id = ${'ch-20pct'}`,
          );
          expect(r).toHaveLength(2);
          return r.map((x) => Number(x.reserved_minor));
        },
        { timeoutMs: 20_000 },
      );
      expect(held).toEqual([1500, 1500]);
    });
  });

  it('never oversells a flash sale and respects a frequency cap', async () => {
    const now = Date.now();
    const c = await client.create(
      activeCampaign({
        name: 'flash',
        offers: [
          {
            offerId: 'flash-1',
            type: OfferType.OFFER_TYPE_FLASH_SALE_PRICE,
            flashSale: {
              itemId: 'sku-f',
              salePriceMinor: 900,
              stock: 3,
              startTime: new Date(now - 60_000),
              endTime: new Date(now + 3_600_000),
            },
          },
        ],
        policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
      }),
    );
    const burst = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.getOffers({ userId: `u-flash-${i}`, campaignIds: [c.campaignId] }, 20_000),
      ),
    );
    let sold = burst.filter((a) => a.slots.length > 0).length;
    expect(sold).toBeLessThanOrEqual(3);
    // Leases arrive over the next moments: keep asking until the stock is gone, and beyond.
    for (let i = 0; i < 60; i++) {
      const a = await client.getOffers({
        userId: `u-flash-late-${i}`,
        campaignIds: [c.campaignId],
      });
      sold += a.slots.length;
      if (sold >= 3) await new Promise((r) => setTimeout(r, 50));
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(sold).toBe(3);
    const stats = await expectEventually(
      async () => {
        const r = await callUnary(
          client.campaigns.getCampaignStats.bind(client.campaigns),
          { shopId: 'shop-b', campaignId: c.campaignId },
          { deadlineMs: 5000 },
        );
        expect(r.stats!.decisions).toBeGreaterThanOrEqual(200);
        return r.stats!;
      },
      { timeoutMs: 20_000 },
    );
    expect(stats.offers[0]!.remainingStock).toBe(0);
    expect(stats.currency).toBe('EUR');

    const capped = await client.create(
      activeCampaign({
        name: 'capped',
        offers: [amountOff('cap-1', 100)],
        frequencyCap: { maxImpressionsPerUserPerDay: 2, maxImpressionsPerUserLifetime: 0 },
        policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
      }),
    );
    const seen: number[] = [];
    for (let i = 0; i < 5; i++)
      seen.push(
        (await client.getOffers({ userId: 'u-capped', campaignIds: [capped.campaignId] })).slots
          .length,
      );
    expect(seen).toEqual([1, 1, 0, 0, 0]);

    // Another replica (or this one after a restart) reads the user's impressions from the
    // decision log once they are stored: the cap holds there too.
    await expectEventually(
      async () => {
        const r = await queryRows<{ n: string }>(
          db.client,
          sql`SELECT count() AS n FROM decisions WHERE user_id = 'u-capped' AND length(slot_campaign_ids) > 0`,
        );
        expect(Number(r[0]?.n)).toBe(2);
      },
      { timeoutMs: 20_000 },
    );
    const fresh = await startBandit({
      ...common,
      FEATURE_SERVICE_ADDR: `127.0.0.1:${feature.grpcPort}`,
      SCORING_SERVICE_ADDR: 'none',
    });
    await waitReady(fresh);
    const other = banditClients(fresh.grpcPort);
    try {
      const a = await other.getOffers(
        { userId: 'u-capped', campaignIds: [capped.campaignId] },
        5000,
      );
      expect(a.slots).toHaveLength(0);
      const b = await other.getOffers(
        { userId: 'u-uncapped', campaignIds: [capped.campaignId] },
        5000,
      );
      expect(b.slots).toHaveLength(1);
    } finally {
      other.close();
      await fresh.stop();
    }
  });

  it('keeps a stable holdout group that gets no offer and is logged as such', async () => {
    const c = await client.create(
      activeCampaign({
        // A fixed id: membership hashes (shop, user, campaign), so a generated id made the
        // count a fresh Binomial(40, 0.5) draw each run (outside 9..31 about 1 run in 5,000;
        // it happened once in CI). With this id, 21 of the 40 users are held out.
        campaignId: 'cmp-holdout-stable',
        name: 'holdout',
        holdoutShare: 0.5,
        policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
      }),
    );
    const first = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        client.getOffers({ userId: `u-h-${i}`, campaignIds: [c.campaignId] }),
      ),
    );
    const held = first.filter((a) => a.holdout).length;
    expect(held).toBeGreaterThan(8);
    expect(held).toBeLessThan(32);
    for (const a of first)
      expect(a.holdout ? a.slots.length : 1).toBe(a.holdout ? 0 : a.slots.length);
    const again = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        client.getOffers({ userId: `u-h-${i}`, campaignIds: [c.campaignId] }),
      ),
    );
    expect(again.map((a) => a.holdout)).toEqual(first.map((a) => a.holdout));

    // Held-out decisions are logged with the user's features as the serving path saw them
    // (BANDIT_HOLDOUT_FEATURES, on by default): the uplift model's control rows.
    await expectEventually(
      async () => {
        const rows = await queryRows<{ holdout: number; n: string; width: number; spec: string }>(
          db.client,
          sql`SELECT holdout, count() AS n, min(length(user_features)) AS width, any(feature_spec_version) AS spec FROM decisions WHERE user_id LIKE 'u-h-%' GROUP BY holdout ORDER BY holdout`,
        );
        expect(rows.map((r) => [Number(r.holdout), Number(r.n)])).toEqual([
          [0, 2 * (40 - held)],
          [1, 2 * held],
        ]);
        const [treated, control] = rows;
        expect(Number(control!.width)).toBeGreaterThan(0);
        expect(Number(control!.width)).toBe(Number(treated!.width));
        expect(control!.spec).toBe(treated!.spec);
      },
      { timeoutMs: 20_000 },
    );
  });

  it('holds out the same users in two campaigns of one holdout group, and keeps the group fixed', async () => {
    const inGroup = (campaignId: string) =>
      client.create(
        activeCampaign({
          campaignId,
          name: campaignId,
          holdoutShare: 0.5,
          holdoutGroup: 'grp-global-control',
          policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
        }),
      );
    const [a, b] = [await inGroup('cmp-group-a'), await inGroup('cmp-group-b')];
    const heldOut = (campaignId: string) =>
      Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          client.getOffers({ userId: `u-g-${i}`, campaignIds: [campaignId] }),
        ),
      ).then((answers) => answers.map((x) => x.holdout));
    const held = await heldOut(a.campaignId);
    expect(held.filter(Boolean).length).toBeGreaterThan(8);
    expect(held.filter(Boolean).length).toBeLessThan(32);
    expect(await heldOut(b.campaignId)).toEqual(held);

    const moved = await grpcError(
      callUnary(
        client.campaigns.updateCampaign.bind(client.campaigns),
        {
          campaign: { ...a, holdoutGroup: 'grp-other' },
          expectedVersion: a.version,
          changeReason: '',
        },
        { deadlineMs: 10_000, metadata: client.meta() },
      ),
    );
    expect(moved.code).toBe(status.INVALID_ARGUMENT);
    expect(moved.details).toContain('holdout_group');
  });

  it('serves a churn-risk campaign by the shop’s traits and holds out only users it would treat', async () => {
    const c = await client.create(
      activeCampaign({
        // A fixed id: holdout membership hashes (shop, user, campaign).
        campaignId: 'cmp-winback-traits',
        name: 'winback',
        holdoutShare: 0.5,
        eligibility: { minChurnRisk: 0.6 },
        policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
      }),
    );
    const ask = (prefix: string, traits?: { segments: string[]; churnRisk?: number }) =>
      Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          client.getOffers({ userId: `${prefix}-${i}`, campaignIds: [c.campaignId], traits }),
        ),
      );
    const atRisk = await ask('u-risk', { segments: [], churnRisk: 0.9 });
    const served = atRisk.filter((a) => a.slots.length > 0).length;
    const held = atRisk.filter((a) => a.holdout).length;
    expect(served).toBeGreaterThan(0);
    expect(held).toBeGreaterThan(0);
    expect(served + held).toBe(30);
    // Below the rule, or without any churn risk (no events, no traits): not treated, and
    // not held out either — the control group holds only users the campaign would treat.
    for (const a of [
      ...(await ask('u-safe', { segments: ['vip'], churnRisk: 0.1 })),
      ...(await ask('u-risk')),
    ]) {
      expect(a.slots).toHaveLength(0);
      expect(a.holdout).toBe(false);
    }
  });

  it('degrades instead of failing when the feature service is away', async () => {
    const c = await client.create(activeCampaign({ name: 'degraded' }));
    const lonely = await startBandit({
      ...common,
      FEATURE_SERVICE_ADDR: '127.0.0.1:9',
      SCORING_SERVICE_ADDR: 'none',
    });
    await waitReady(lonely);
    const other = banditClients(lonely.grpcPort);
    try {
      // The first call of a fresh replica pays for connecting and compiling; then the
      // dead feature service must cost no more than its share of the deadline.
      await other.getOffers({ userId: 'u-deg', campaignIds: [c.campaignId] }, 5000);
      const started = Date.now();
      const a = await other.getOffers({ userId: 'u-deg', campaignIds: [c.campaignId] }, 300);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(a.degraded).toBe(true);
      expect(a.degradedReasons).toContain(DegradedReason.DEGRADED_REASON_FEATURES_UNAVAILABLE);
      expect(a.decisionId).not.toBe('');
    } finally {
      other.close();
      await lonely.stop();
    }
  });
  // The served model may read more of the user's last events than the spec's default length
  // (the uplift forest counts categories over 50), and the trainer learns from what the
  // decision log kept: a decision asks for, and logs, the whole sequence the store keeps.
  it('logs the user’s last max_length events with a decision, not the default length', async () => {
    const { max_length: max, default_length: dflt } =
      loadFeatureSpec(CURRENT_SPEC_VERSION).sequence;
    expect(max).toBeGreaterThan(dflt);
    const user = 'u-long-history';
    const history = Array.from({ length: max + 5 }, (_, i) =>
      event(EventType.EVENT_TYPE_VIEW, user, max + 5 - i, {
        shopId: 'shop-b',
        itemId: `sku-${i}`,
        categoryId: `cat-${i % 7}`,
      }),
    );
    await produceValidEvents(env.kafka, env.prefix, history);
    const c = await client.create(activeCampaign({ name: 'long-history' }));
    // Asked until the feature service has taken in the whole history (it consumes the topic).
    const logged = await expectEventually(
      async () => {
        const a = await client.getOffers({ userId: user, campaignIds: [c.campaignId] });
        const rows = await expectEventually(
          () =>
            queryRows<{ n: number; last: string }>(
              db.client,
              sql`SELECT length(seq_item_ids) AS n, seq_item_ids[length(seq_item_ids)] AS last
                    FROM decisions WHERE decision_id = ${a.decisionId}`,
            ).then((r) => {
              expect(r).toHaveLength(1);
              return r;
            }),
          { timeoutMs: 20_000 },
        );
        expect(Number(rows[0]!.n)).toBe(max);
        return rows[0]!;
      },
      { timeoutMs: 40_000 },
    );
    // The most recent events, not the oldest ones.
    expect(logged.last).toBe(`sku-${max + 4}`);
  });
});

describe('propensities', () => {
  // The same request many times (nothing learned in between: no window closes), so every
  // decision draws from the same distribution; the empirical share of each answer must
  // match the propensity the decisions logged for it.
  async function draws(policy: object, n: number) {
    const c = await client.create(
      activeCampaign({ name: `propensity ${JSON.stringify(policy)}`, policy }),
    );
    const logged = new Map<string, number[]>();
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const a = await client.getOffers({ userId: 'u-prop', campaignIds: [c.campaignId] });
      const key = a.slots[0]?.offerId ?? '';
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (a.slots[0]) logged.set(key, [...(logged.get(key) ?? []), a.slots[0].propensity]);
    }
    return { counts, logged };
  }

  it('match the empirical frequencies of an exact policy (ε-greedy)', async () => {
    const n = 600;
    const { counts, logged } = await draws(
      { type: PolicyType.POLICY_TYPE_EPSILON_GREEDY, params: { epsilon: 0.4 } },
      n,
    );
    expect(logged.size).toBe(2);
    for (const [offer, ps] of logged) {
      const p = ps[0]!;
      expect(ps.every((x) => x === p)).toBe(true);
      const k = counts.get(offer)!;
      expect(Math.abs(k / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('match the empirical frequencies of a Monte-Carlo policy (Thompson sampling)', async () => {
    const n = 600;
    const { counts, logged } = await draws({ type: PolicyType.POLICY_TYPE_THOMPSON_BETA }, n);
    expect(logged.size).toBeGreaterThan(0);
    for (const [offer, ps] of logged) {
      const p = ps.reduce((a, b) => a + b, 0) / ps.length;
      const k = counts.get(offer)!;
      // Binomial spread of the count plus the Monte-Carlo error of the estimate (256 draws).
      const sd = Math.sqrt((p * (1 - p)) / n + (p * (1 - p)) / 256);
      expect(Math.abs(k / n - p)).toBeLessThan(4 * sd);
    }
  });
});

describe('bad input', () => {
  it('answers an unknown user with defaults (cold start), not an error', async () => {
    const a = await client.getOffers({ userId: 'never-seen-before' });
    expect(a.decisionId).not.toBe('');
  });

  it('names the limit for too many slots and the field for missing ids', async () => {
    const tooMany = await grpcError(client.getOffers({ slots: 10_000 }));
    expect(tooMany.code).toBe(status.INVALID_ARGUMENT);
    expect(tooMany.details).toContain('slots must be 1..10');
    const noUser = await grpcError(client.getOffers({ userId: '' }));
    expect(noUser.code).toBe(status.INVALID_ARGUMENT);
    expect(noUser.details).toContain('user_id is required');
    const zero = await client.getOffers({ slots: 0 });
    expect(zero.slots.length).toBeLessThanOrEqual(1);
  });

  it('refuses traits out of range, naming the field', async () => {
    const risk = await grpcError(client.getOffers({ traits: { segments: [], churnRisk: 1.5 } }));
    expect(risk.code).toBe(status.INVALID_ARGUMENT);
    expect(risk.details).toContain('traits.churn_risk must be in [0, 1]');
    const seg = await grpcError(client.getOffers({ traits: { segments: [''] } }));
    expect(seg.code).toBe(status.INVALID_ARGUMENT);
    expect(seg.details).toContain('traits.segments[0] is required');
  });

  it('refuses an expired deadline', async () => {
    const late = await grpcError(client.getOffers({}, 1));
    expect(late.code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('refuses invalid campaigns naming the field', async () => {
    const cases: [Parameters<typeof activeCampaign>[0], string][] = [
      [
        { budget: { currency: 'EUR', totalBudgetMinor: -10, dailyBudgetMinor: 0 } },
        'budget.total_budget_minor',
      ],
      [
        {
          schedule: {
            startTime: new Date(Date.now()),
            endTime: new Date(Date.now() - 1000),
            timeZone: 'UTC',
            activeDays: [],
            activeHours: [],
          },
        },
        'schedule.end_time',
      ],
      [
        { offers: [{ offerId: 'pct', type: OfferType.OFFER_TYPE_PERCENT_OFF, percentOff: 150 }] },
        'offers[0].percent_off',
      ],
    ];
    for (const [over, field] of cases) {
      const err = await grpcError(client.create(activeCampaign(over)));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain(field);
    }
  });

  it('enforces versions and legal status moves', async () => {
    const c = await client.create(
      activeCampaign({ name: 'versions', status: CampaignStatus.CAMPAIGN_STATUS_DRAFT }),
    );
    const update = (expectedVersion: number) =>
      callUnary(
        client.campaigns.updateCampaign.bind(client.campaigns),
        { campaign: { ...c, name: `v${expectedVersion}` }, expectedVersion, changeReason: '' },
        { deadlineMs: 10_000, metadata: client.meta() },
      );
    const updated = (await update(1)).campaign!;
    expect(updated.version).toBe(2);
    const stale = await grpcError(update(1));
    expect(stale.code).toBe(status.ABORTED);
    const ended = await callUnary(
      client.campaigns.endCampaign.bind(client.campaigns),
      { shopId: 'shop-b', campaignId: c.campaignId, expectedVersion: 0, changeReason: 'done' },
      { deadlineMs: 10_000, metadata: client.meta() },
    );
    expect(ended.campaign!.status).toBe(CampaignStatus.CAMPAIGN_STATUS_ENDED);
    const resume = await grpcError(
      callUnary(
        client.campaigns.resumeCampaign.bind(client.campaigns),
        { shopId: 'shop-b', campaignId: c.campaignId, expectedVersion: 0, changeReason: '' },
        { deadlineMs: 10_000 },
      ),
    );
    expect(resume.code).toBe(status.FAILED_PRECONDITION);
    const missing = await grpcError(
      callUnary(
        client.campaigns.getCampaign.bind(client.campaigns),
        { shopId: 'shop-b', campaignId: 'nope' },
        { deadlineMs: 5000 },
      ),
    );
    expect(missing.code).toBe(status.NOT_FOUND);
  });
});
