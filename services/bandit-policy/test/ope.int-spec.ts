import { freshDatabase } from '../../../test/support/infra';
import { runOpe } from '../src/ope.cli';
import { seededRng } from '../src/policy/rng';

jest.setTimeout(120_000);

type Db = Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

/** Mean reward of each action in each of two contexts (known ground truth). */
const MEANS: Record<string, Record<string, number>> = {
  young: { '': 100, 'off-a': 400, 'off-b': 150 },
  old: { '': 300, 'off-a': 200, 'off-b': 500 },
};

it('estimates known policies within their intervals from logs of a uniformly random policy', async () => {
  const rng = seededRng(2024);
  const now = Date.now();
  const decisions: Record<string, unknown>[] = [];
  const candidates: Record<string, unknown>[] = [];
  const rewards: Record<string, unknown>[] = [];
  const N = 3000;
  for (let i = 0; i < N; i++) {
    const ctx = rng.next() < 0.5 ? 'young' : 'old';
    const served = now - 3_600_000 + i * 1000;
    const id = `d${i}`;
    const u = rng.next();
    const action = u < 1 / 3 ? '' : u < 2 / 3 ? 'off-a' : 'off-b';
    // Reward: the mean times a noisy factor in [0, 2] (mean 1).
    const reward = Math.round(MEANS[ctx]![action]! * 2 * rng.next());
    const at = { served_at: Math.floor(served / 1000), served_at_ms: served };
    decisions.push({
      decision_id: id,
      shop_id: 's',
      user_id: `u${i}`,
      ...at,
      no_offer_propensity: 1 / 3,
      holdout: 0,
      segment: ctx,
    });
    for (const offer of ['off-a', 'off-b'])
      candidates.push({
        decision_id: id,
        shop_id: 's',
        user_id: `u${i}`,
        ...at,
        offer_id: offer,
        campaign_id: 'c',
        rank: offer === action ? 1 : 0,
        propensity: offer === action ? 1 / 3 : 0,
        selection_probability: 1 / 3,
        policy: 'epsilon_greedy',
        segment: ctx,
        policy_features: [
          1,
          ctx === 'young' ? 1 : 0,
          0,
          0,
          offer === 'off-a' ? 1 : 0,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
        ],
        objective: 'incremental_profit',
      });
    if (action === '')
      candidates.push({
        decision_id: id,
        shop_id: 's',
        user_id: `u${i}`,
        ...at,
        offer_id: '',
        campaign_id: 'c',
        rank: 0,
        holdout: 0,
      });
    rewards.push({
      reward_id: action === '' ? `${id}:0:c` : `${id}:1`,
      revision: 1,
      decision_id: id,
      shop_id: 's',
      campaign_id: 'c',
      offer_id: action,
      rank: action === '' ? 0 : 1,
      holdout: 0,
      reward_value: reward,
      ...at,
      final: 1,
      computed_at_ms: now,
    });
  }
  for (const [table, values] of [
    ['decisions', decisions],
    ['decision_candidates', candidates],
    ['rewards', rewards],
  ] as const)
    await db.client.insert({ table, values, format: 'JSONEachRow' });

  const { report, text, gatePassed } = await runOpe(
    ['--since', '2h', '--policy', 'none', '--policy', 'fixed_rule', '--gate', 'fixed_rule'],
    { CLICKHOUSE_URL: process.env.CLICKHOUSE_URL, CLICKHOUSE_DATABASE: db.database },
    now + 1000,
  );
  expect(text).toContain('3000 decisions');
  const truth = { none: (100 + 300) / 2, fixed_rule: (400 + 200) / 2 };
  // Six intervals at 95 % would miss the truth now and then by chance alone; each estimate
  // must lie within 3.5 standard errors of the truth (a 1-in-2,000 miss per estimate),
  // and its 95 % interval must be informative.
  for (const p of report.policies) {
    const want = truth[p.policy as keyof typeof truth];
    expect(p.estimates.map((e) => e.estimator).sort()).toEqual(['dr', 'ips', 'snips']);
    for (const e of p.estimates) {
      expect(Math.abs(e.value - want)).toBeLessThanOrEqual(3.5 * e.stdError);
      expect(e.ci[1] - e.ci[0]).toBeLessThan(150);
      expect(e.ci[0]).toBeLessThan(e.value);
    }
  }
  // The logging policy's own value is the mean of all three: (100+400+150+300+200+500)/6 ≈ 275;
  // always offer-a (300) is not worse, so the gate lets it through.
  expect(gatePassed).toBe(true);
});
