/**
 * The market simulator driven through the real services (ingest, feature, bandit-policy,
 * in this process, on fresh topics and a fresh database): a small double-11 market in
 * compressed time, its behaviour produced to Kafka, GetOffers at every cart page, outcomes
 * back as events with the decision id. Offerstream's cold-start Thompson sampling must earn
 * more true incremental profit than random offers on the same market (the random arm runs
 * in-process: it needs no service).
 */
import { PolicyType } from '@offerstream/contracts';
import { TOPICS, type Kafka } from '@offerstream/kafka';
import { uniqueName } from '@offerstream/testing';
import {
  isolatedBanditEnv,
  startBandit,
  startFeature,
  startIngest,
  waitReady,
  type Bandit,
  type Db,
} from '../../services/bandit-policy/test/support';
import {
  defaultArms,
  defaultWarmupEnd,
  EventPublisher,
  liveEquivalent,
  loadScenario,
  OfferstreamClient,
  runInProcessArms,
  runLivePhase,
} from '../../tools/market/src';

jest.setTimeout(150_000);

/** Small enough for a test (< 2 minutes with the services' boot), big enough to learn. */
const USERS = 400;
const PHASE_SECONDS = 45;

let db: Db;
let kafka: Kafka;
let prefix: string;
let ingest: Awaited<ReturnType<typeof startIngest>>;
let feature: Awaited<ReturnType<typeof startFeature>>;
let bandit: Bandit;

beforeAll(async () => {
  let common: Record<string, string>;
  ({ db, kafka, prefix, common } = await isolatedBanditEnv());
  ingest = await startIngest({
    ...common,
    INGEST_CONSUMER_GROUP: uniqueName('ingest'),
    INGEST_BATCH_LINGER_MS: '5',
  });
  feature = await startFeature({ ...common, FEATURE_CONSUMER_GROUP: uniqueName('feature') });
  bandit = await startBandit({
    ...common,
    FEATURE_SERVICE_ADDR: `127.0.0.1:${feature.grpcPort}`,
    // Nothing listens there: the cold start has no model (an empty value means the default).
    SCORING_SERVICE_ADDR: '127.0.0.1:9',
    BANDIT_LEASE_SHARE: '0.5',
    BANDIT_SEED: '11',
  });
  await Promise.all([waitReady(ingest), waitReady(feature), waitReady(bandit)]);
});

afterAll(async () => {
  await bandit?.stop();
  await feature?.stop();
  await ingest?.stop();
  await db?.drop();
});

describe('the market run through the live services', () => {
  it('cold-start Thompson sampling earns more true incremental profit than random offers', async () => {
    const { scenario } = liveEquivalent(loadScenario('double-11'), USERS);
    const startMs = scenario.epochMs;
    const warmupEndMs = defaultWarmupEnd(scenario, startMs);
    const [random] = runInProcessArms({
      scenario,
      startMs,
      arms: defaultArms(scenario.seed).filter((a) => a.name === 'random-offer'),
      warmupEndMs,
    });
    const publisher = new EventPublisher(kafka, prefix + TOPICS.events.name);
    await publisher.start();
    const client = new OfferstreamClient({
      offers: `127.0.0.1:${bandit.grpcPort}`,
      features: `127.0.0.1:${feature.grpcPort}`,
    });
    try {
      const phase = await runLivePhase({
        scenario,
        simStartMs: startMs,
        speedup: scenario.durationMs / (PHASE_SECONDS * 1000),
        warmupEndMs,
        runId: uniqueName('m'),
        arms: [
          {
            name: 'offerstream-thompson',
            shopId: 'shop-market',
            kind: 'offerstream',
            policy: { type: PolicyType.POLICY_TYPE_THOMPSON_BETA, params: {} },
            policyLabel: 'THOMPSON_BETA',
          },
        ],
        client,
        publisher,
        // The test is about learning, not latency: a generous deadline keeps a busy machine from timing calls out.
        deadlineMs: 2000,
        settleMs: 3000,
      });
      const ts = phase.arms[0]!;
      // The run went through the system: it decided, logged and attributed. (It decides for
      // fewer cart pages than the in-process arm: an offer's worst-case cost stays reserved
      // for the attribution window, and a decision that finds no budget left shows nothing.)
      expect(ts.live!.errors).toBeLessThan(0.2 * ts.live!.requests);
      expect(ts.decisions).toBeGreaterThan(0.25 * random!.decisions);
      expect(ts.live!.stats!.decisions).toBeGreaterThan(0);
      expect(ts.live!.stats!.impressions).toBeGreaterThan(0);
      expect(ts.trueIncrementalProfitMinor).toBeGreaterThan(random!.trueIncrementalProfitMinor);
    } finally {
      client.close();
      await publisher.stop();
    }
  });
});
