import { DegradedReason } from '@offerstream/contracts';
import { expectEventually } from '@offerstream/testing';
import {
  activeCampaign,
  banditClients,
  countingScorer,
  isolatedBanditEnv,
  metricValue,
  startBandit,
  startFeature,
  waitReady,
  type Bandit,
  type Db,
} from './support';

jest.setTimeout(120_000);

const OVERLOAD = DegradedReason.DEGRADED_REASON_OVERLOAD;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Holds this process's event loop (the replica runs in it) for `ms`. */
const block = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

let db: Db;
let feature: Awaited<ReturnType<typeof startFeature>>;
let scorer: Awaited<ReturnType<typeof countingScorer>>;
let b: Bandit;

beforeAll(async () => {
  const env = await isolatedBanditEnv();
  db = env.db;
  feature = await startFeature({ ...env.common, FEATURE_CONSUMER_GROUP: `f-${Date.now()}` });
  scorer = await countingScorer();
  b = await startBandit({
    ...env.common,
    FEATURE_SERVICE_ADDR: `127.0.0.1:${feature.grpcPort}`,
    SCORING_SERVICE_ADDR: `127.0.0.1:${scorer.port}`,
    BANDIT_SEED: '11',
    BANDIT_SHED_LAG_MS: '40',
  });
  await waitReady(b);
});

afterAll(async () => {
  await b?.stop();
  scorer?.stop();
  await feature?.stop();
  await db?.drop();
});

describe('load shedding (BANDIT_SHED_LAG_MS)', () => {
  it('answers a lagging replica’s calls without features and scoring, flagged overload, then takes the full path again', async () => {
    const client = banditClients(b.grpcPort);
    try {
      const c = await client.create(activeCampaign({ name: 'shedding' }));
      const ask = () => client.getOffers({ userId: 'u-shed', campaignIds: [c.campaignId] }, 5000);
      // The full path first: the user loaded, the model asked.
      await expectEventually(
        async () => {
          const a = await ask();
          expect(a.degradedReasons).not.toContain(OVERLOAD);
          expect(a.modelVersion).toBe('v-test');
        },
        { timeoutMs: 20_000 },
      );
      expect(await metricValue(b, 'offerstream_bandit_shed_share')).toBe(0);

      // The loop falls 80 ms behind in every 100 ms window for a second: the share climbs.
      for (let k = 0; k < 12; k++) {
        block(80);
        await sleep(20);
      }
      const share = await metricValue(b, 'offerstream_bandit_shed_share');
      expect(share).toBeGreaterThanOrEqual(0.5);
      const scored = scorer.calls();
      const answers = await Promise.all(Array.from({ length: 20 }, ask)); // none fails
      const shed = answers.filter((a) => a.degradedReasons.includes(OVERLOAD));
      expect(shed.length).toBeGreaterThanOrEqual(5);
      for (const a of shed) {
        expect(a.modelVersion).toBe(''); // not scored
        expect(a.decisionId).not.toBe('');
      }
      expect(scorer.calls() - scored).toBe(20 - shed.length);

      // Calm again: the share falls back to 0 and every call takes the full path.
      await expectEventually(
        async () => expect(await metricValue(b, 'offerstream_bandit_shed_share')).toBe(0),
        { timeoutMs: 15_000 },
      );
      for (let k = 0; k < 10; k++) expect((await ask()).degradedReasons).not.toContain(OVERLOAD);
    } finally {
      client.close();
    }
  });
});
