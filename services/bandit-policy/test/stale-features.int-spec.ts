import { DegradedReason } from '@offerstream/contracts';
import { expectEventually } from '@offerstream/testing';
import {
  activeCampaign,
  banditClients,
  countingScorer,
  isolatedBanditEnv,
  startBandit,
  startFeature,
  waitReady,
  type Bandit,
  type Db,
} from './support';

jest.setTimeout(120_000);

let db: Db;
let common: Record<string, string>;
let feature: Awaited<ReturnType<typeof startFeature>>;
let scorer: Awaited<ReturnType<typeof countingScorer>>;
const bandits: Bandit[] = [];

beforeAll(async () => {
  ({ db, common } = await isolatedBanditEnv());
  // A 1 ms load budget: a user's first request is answered before ClickHouse has loaded
  // their history, i.e. stale.
  feature = await startFeature({
    ...common,
    FEATURE_CONSUMER_GROUP: `f-${Date.now()}`,
    FEATURE_LOAD_BUDGET_MS: '1',
  });
  scorer = await countingScorer();
});

afterAll(async () => {
  for (const b of bandits) await b.stop();
  scorer?.stop();
  await feature?.stop();
  await db?.drop();
});

async function bandit(extra: Record<string, string>): Promise<ReturnType<typeof banditClients>> {
  const b = await startBandit({
    ...common,
    FEATURE_SERVICE_ADDR: `127.0.0.1:${feature.grpcPort}`,
    SCORING_SERVICE_ADDR: `127.0.0.1:${scorer.port}`,
    BANDIT_SEED: '7',
    ...extra,
  });
  bandits.push(b);
  await waitReady(b);
  return banditClients(b.grpcPort);
}

const STALE = DegradedReason.DEGRADED_REASON_FEATURES_STALE;

describe('a user vector flagged stale', () => {
  it('is not scored: the answer says stale and names no model; once loaded, the model scores', async () => {
    const client = await bandit({});
    try {
      const c = await client.create(activeCampaign({ name: 'stale-not-scored' }));
      const ask = (userId: string) =>
        client.getOffers({ userId, campaignIds: [c.campaignId] }, 5000);
      const before = scorer.calls();
      const first = await ask('u-stale-1');
      expect(first.degradedReasons).toContain(STALE);
      expect(first.modelVersion).toBe('');
      expect(scorer.calls()).toBe(before);
      // The load finishes in the background; the same user is then answered from memory.
      const loaded = await expectEventually(
        async () => {
          const a = await ask('u-stale-1');
          expect(a.degradedReasons).not.toContain(STALE);
          return a;
        },
        { timeoutMs: 20_000 },
      );
      expect(loaded.modelVersion).toBe('v-test');
      expect(scorer.calls()).toBeGreaterThan(before);
    } finally {
      client.close();
    }
  });

  it('is scored when BANDIT_SCORE_STALE_FEATURES is on', async () => {
    const client = await bandit({ BANDIT_SCORE_STALE_FEATURES: 'true' });
    try {
      const c = await client.create(activeCampaign({ name: 'stale-scored' }));
      const before = scorer.calls();
      const a = await client.getOffers({ userId: 'u-stale-2', campaignIds: [c.campaignId] }, 5000);
      expect(a.degradedReasons).toContain(STALE);
      expect(a.modelVersion).toBe('v-test');
      expect(scorer.calls()).toBe(before + 1);
    } finally {
      client.close();
    }
  });
});
