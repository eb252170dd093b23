import { queryRows, sql } from '@offerstream/clickhouse';
import { EventType } from '@offerstream/contracts';
import { toEventMessage } from '@offerstream/events';
import { CURRENT_SPEC_VERSION, loadFeatureSpec } from '@offerstream/features';
import { expectEventually } from '@offerstream/testing';
import { event, produceValidRecords } from '../../feature/test/support';
import {
  activeCampaign,
  banditClients,
  isolatedBanditEnv,
  startBandit,
  startFeature,
  waitReady,
  type Bandit,
  type Db,
} from './support';

jest.setTimeout(120_000);

const spec = loadFeatureSpec(CURRENT_SPEC_VERSION);
let db: Db;
let feature: Awaited<ReturnType<typeof startFeature>>;
let bandit: Bandit;
let env: Awaited<ReturnType<typeof isolatedBanditEnv>>;

beforeAll(async () => {
  env = await isolatedBanditEnv();
  db = env.db;
  feature = await startFeature({ ...env.common, FEATURE_CONSUMER_GROUP: `f-${Date.now()}` });
  bandit = await startBandit({
    ...env.common,
    FEATURE_SERVICE_ADDR: `127.0.0.1:${feature.grpcPort}`,
    SCORING_SERVICE_ADDR: 'none',
    BANDIT_SEED: '3',
  });
  await waitReady(bandit);
});

afterAll(async () => {
  await bandit?.stop();
  await feature?.stop();
  await db?.drop();
});

// The served model may read more of the user's last events than the spec's default length
// (the uplift forest counts categories over 50), and the trainer learns from what the
// decision log kept: a decision asks for, and logs, the whole sequence the store keeps.
it('logs the user’s last max_length events with a decision, not the default length', async () => {
  const { max_length: max, default_length: dflt } = spec.sequence;
  expect(max).toBeGreaterThan(dflt);
  const user = 'u-long-history';
  const history = Array.from({ length: max + 5 }, (_, i) =>
    event(EventType.EVENT_TYPE_VIEW, user, max + 5 - i, {
      shopId: 'shop-b',
      itemId: `sku-${i}`,
      categoryId: `cat-${i % 7}`,
    }),
  );
  await produceValidRecords(env.kafka, env.prefix, history.map(toEventMessage));
  const client = banditClients(bandit.grpcPort);
  try {
    const c = await client.create(activeCampaign({ name: 'long-history' }));
    // Asked until the feature service has taken in the whole history (it consumes the topic).
    const decisionId = await expectEventually(
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
        return { id: a.decisionId, last: rows[0]!.last };
      },
      { timeoutMs: 40_000 },
    );
    // The most recent events, not the oldest ones.
    expect(decisionId.last).toBe(`sku-${max + 4}`);
  } finally {
    client.close();
  }
});
