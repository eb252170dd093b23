/**
 * The production split: replicas that serve GetOffers run with BANDIT_DECISION_SINK=false,
 * and a sink replica (k8s/base/bandit-sink) stores their decision log and attributes
 * rewards, which every serving replica then learns from. Real Kafka and ClickHouse.
 */
import { ident, queryRows, sql } from '@offerstream/clickhouse';
import { PolicyType } from '@offerstream/contracts';
import { expectEventually, uniqueName } from '@offerstream/testing';
import {
  activeCampaign,
  banditClients,
  isolatedBanditEnv,
  learnedRewards,
  startBandit,
  waitReady,
  type Bandit,
  type Db,
} from './support';

jest.setTimeout(180_000);

let db: Db;
let serving: Bandit | undefined;
let sink: Bandit | undefined;

afterAll(async () => {
  await serving?.stop();
  await sink?.stop();
  await db?.drop();
});

const rowsOf = async (table: 'decisions' | 'rewards', decisionId: string) =>
  Number(
    (
      await queryRows<{ n: string }>(
        db.client,
        sql`SELECT count() AS n FROM ${ident(table)} WHERE decision_id = ${decisionId}`,
      )
    )[0]?.n,
  );

it('a serving replica without the sink: a sink replica stores and rewards its decisions, and the serving replica learns them', async () => {
  const env = await isolatedBanditEnv();
  db = env.db;
  const base = {
    ...env.common,
    FEATURE_SERVICE_ADDR: '127.0.0.1:9',
    SCORING_SERVICE_ADDR: 'none',
    BANDIT_ATTRIBUTION_INTERVAL_MS: '250',
    BANDIT_ATTRIBUTION_GRACE_MS: '500',
    BANDIT_CONSUMER_GROUP: uniqueName('bp'),
  };
  serving = await startBandit({
    ...base,
    BANDIT_INSTANCE_ID: 'bp-serve',
    BANDIT_DECISION_SINK: 'false',
  });
  await waitReady(serving);
  const client = banditClients(serving.grpcPort);
  const c = await client.create(
    activeCampaign({
      name: 'split',
      attributionWindow: { seconds: 10, nanos: 0 },
      policy: { type: PolicyType.POLICY_TYPE_FIXED_RULE, params: {} },
    }),
  );
  const d = await client.getOffers({ userId: 'u-split', campaignIds: [c.campaignId] });
  client.close();
  expect(d.slots).toHaveLength(1);

  // Well past the sink's linger (500 ms) nobody has stored it: the serving replica does not
  // sink (nor attribute: the sink's partitions are what attribution works on).
  await new Promise((r) => setTimeout(r, 3000));
  expect(await rowsOf('decisions', d.decisionId)).toBe(0);

  sink = await startBandit({ ...base, BANDIT_INSTANCE_ID: 'bp-sink' });
  await waitReady(sink);
  await expectEventually(async () => expect(await rowsOf('decisions', d.decisionId)).toBe(1), {
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  await expectEventually(async () => expect(await rowsOf('rewards', d.decisionId)).toBe(1), {
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  // Every replica learns from the rewards topic, the serving one included.
  await expectEventually(async () => expect(await learnedRewards(serving!)).toBe(1), {
    timeoutMs: 30_000,
  });
});
