import {
  comparison,
  describeLogs,
  doublyRobust,
  estimateAll,
  gate,
  importanceWeights,
  ips,
  onPolicy,
  snips,
} from './estimators';
import { OpeErrorCode, OpeInputError } from './ope.exception';
import {
  BETTER_POLICY,
  epsilonGreedy,
  LOGGING_POLICY,
  PROMO_BANDIT,
  retarget,
  seededRng,
  simulateLogs,
  trueValue,
} from './ope-simulation.fixture';
import { NO_OFFER, type Estimate, type LoggedDecision } from './ope.types';
import { crossFitRewardModel } from './reward-model';

/** A decision over actions '' / 'a' / 'b' with the given overrides. */
function decision(over: Partial<LoggedDecision> = {}): LoggedDecision {
  return {
    actions: [NO_OFFER, 'a', 'b'],
    loggedAction: 'a',
    loggingPropensity: 0.5,
    reward: 1,
    targetProbabilities: new Map([
      [NO_OFFER, 0],
      ['a', 1],
      ['b', 0],
    ]),
    ...over,
  };
}

/** The OpeInputError `fn` throws (fails the test if it throws nothing or something else). */
function opeErrorOf(fn: () => unknown): OpeInputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof OpeInputError) return e;
    throw e;
  }
  throw new Error('expected an OpeInputError, nothing was thrown');
}

const TRUE_VALUE = trueValue(PROMO_BANDIT, BETTER_POLICY);

/** 20,000 decisions of the ε-greedy logging policy, viewed under the better policy, cross-fitted. */
const SIMULATED = crossFitRewardModel(simulateLogs(20_000, seededRng(7), { features: true }));
const CANDIDATE = retarget(SIMULATED, BETTER_POLICY);
const PRODUCTION = retarget(SIMULATED, LOGGING_POLICY);

function covers(e: Estimate, truth: number): boolean {
  return e.ci[0] <= truth && truth <= e.ci[1];
}

describe('estimators on hand-computed logs', () => {
  // Weights: 1/0.5 = 2, 0/0.25 = 0, 0.5/0.25 = 2.
  const logs: LoggedDecision[] = [
    decision({ loggedAction: 'a', loggingPropensity: 0.5, reward: 3 }),
    decision({
      loggedAction: 'b',
      loggingPropensity: 0.25,
      reward: 10,
      targetProbabilities: new Map([['a', 1]]),
    }),
    decision({
      loggedAction: 'b',
      loggingPropensity: 0.25,
      reward: -1,
      targetProbabilities: new Map([
        ['a', 0.5],
        ['b', 0.5],
      ]),
    }),
  ];

  it('computes IPS as the mean of weight times reward', () => {
    expect(ips(logs).value).toBeCloseTo((2 * 3 + 0 * 10 + 2 * -1) / 3, 12);
  });

  it('computes SNIPS as the weighted rewards over the sum of weights', () => {
    expect(snips(logs).value).toBeCloseTo((2 * 3 + 2 * -1) / 4, 12);
  });

  it('computes DR as the model value under the target plus the weighted residual', () => {
    const q = new Map([
      [NO_OFFER, 0],
      ['a', 2],
      ['b', 4],
    ]);
    const withModel = logs.map((d) => ({ ...d, rewardModel: q }));
    const terms = [2 + 2 * (3 - 2), 2 + 0, 0.5 * 2 + 0.5 * 4 + 2 * (-1 - 4)];
    expect(doublyRobust(withModel).value).toBeCloseTo((terms[0]! + terms[1]! + terms[2]!) / 3, 12);
  });

  it('falls back to IPS where a decision has no reward model', () => {
    expect(doublyRobust(logs).value).toBeCloseTo(ips(logs).value, 12);
  });

  it('reports the mean logged reward as the on-policy value', () => {
    expect(onPolicy(logs).value).toBeCloseTo(4, 12);
    expect(onPolicy(logs).effectiveSampleSize).toBe(3);
  });

  it('computes the effective sample size and max weight from the weights', () => {
    const e = ips(logs);
    expect(e.effectiveSampleSize).toBeCloseTo(16 / 8, 12);
    expect(e.maxWeight).toBe(2);
    expect(e.clippedShare).toBeUndefined();
  });

  it('gives an IPS standard error equal to the sample sd of the terms over √n', () => {
    const terms = [6, 0, -2];
    const mean = 4 / 3;
    const sd = Math.sqrt(terms.reduce((s, t) => s + (t - mean) ** 2, 0) / 2);
    const e = ips(logs);
    expect(e.stdError).toBeCloseTo(sd / Math.sqrt(3), 12);
    expect(e.ci[0]).toBeCloseTo(mean - 1.959964 * e.stdError, 5);
    expect(e.ci[1]).toBeCloseTo(mean + 1.959964 * e.stdError, 5);
  });

  it('gives SNIPS the delta-method standard error', () => {
    // ψᵢ = wᵢ(rᵢ − V)/w̄ with V = 1, w̄ = 4/3: ψ = [3, 0, −3], sample variance 9.
    expect(snips(logs).stdError).toBeCloseTo(Math.sqrt(9 / 3), 12);
  });

  it('widens the interval when asked for a higher confidence level', () => {
    const e95 = ips(logs);
    const e99 = ips(logs, { confidenceLevel: 0.99 });
    expect(e99.ci[1] - e99.ci[0]).toBeCloseTo((e95.ci[1] - e95.ci[0]) * (2.575829 / 1.959964), 4);
  });

  it('says SNIPS is undefined when the target never chose a logged action', () => {
    const e = snips([decision({ targetProbabilities: new Map([['b', 1]]) })]);
    expect(e.value).toBeNaN();
    expect(e.effectiveSampleSize).toBe(0);
  });
});

describe('estimators on a simulated contextual bandit with a known true value', () => {
  const logs = SIMULATED;
  const estimates = estimateAll(logs);

  it('sets up a target whose value differs from the logging policy', () => {
    expect(TRUE_VALUE - trueValue(PROMO_BANDIT, LOGGING_POLICY)).toBeGreaterThan(10);
    expect(onPolicy(logs).value).toBeLessThan(TRUE_VALUE - 5);
  });

  it.each(['ips', 'snips', 'dr'] as const)('%s contains the true value in its 95% CI', (kind) => {
    const e = estimates.find((x) => x.estimator === kind)!;
    expect(e.ci[0]).toBeLessThanOrEqual(TRUE_VALUE);
    expect(e.ci[1]).toBeGreaterThanOrEqual(TRUE_VALUE);
    // An interval that always covers is no test: it must also be informative.
    expect(e.ci[1] - e.ci[0]).toBeLessThan(15);
  });

  it('covers the true value in at least 85% of 50 independent replications', () => {
    const hits = { ips: 0, snips: 0, dr: 0 };
    const replications = 50;
    for (let seed = 1000; seed < 1000 + replications; seed++) {
      // Smaller logs than above keep this under a few seconds; coverage is a property of
      // the interval at any size where the normal approximation holds.
      const rep = crossFitRewardModel(simulateLogs(2_000, seededRng(seed), { features: true }));
      for (const e of estimateAll(rep)) {
        if (e.estimator !== 'on_policy' && covers(e, TRUE_VALUE)) hits[e.estimator]++;
      }
    }
    expect(hits.ips / replications).toBeGreaterThanOrEqual(0.85);
    expect(hits.snips / replications).toBeGreaterThanOrEqual(0.85);
    expect(hits.dr / replications).toBeGreaterThanOrEqual(0.85);
  });

  it('gives DR a smaller standard error than IPS when the reward model is good', () => {
    const dr = doublyRobust(logs);
    const plain = ips(logs);
    expect(dr.stdError).toBeLessThan(plain.stdError * 0.6);
  });

  it('gives DR less spread than IPS across replications when the reward model is good', () => {
    const drValues: number[] = [];
    const ipsValues: number[] = [];
    for (let seed = 2000; seed < 2030; seed++) {
      const rep = simulateLogs(2_000, seededRng(seed), { oracleRewardModel: true });
      drValues.push(doublyRobust(rep).value);
      ipsValues.push(ips(rep).value);
    }
    expect(variance(drValues)).toBeLessThan(variance(ipsValues) * 0.5);
  });

  it('caps every weight at the clipping threshold and reports how many it clipped', () => {
    const raw = importanceWeights(logs);
    const clipped = importanceWeights(logs, 5);
    expect(raw.maxWeight).toBeGreaterThan(5);
    expect(clipped.maxWeight).toBe(5);
    expect(clipped.clippedShare).toBeGreaterThan(0);
    expect(clipped.effectiveSampleSize).toBeGreaterThan(raw.effectiveSampleSize);
    const e = ips(logs, { clipWeightAt: 5 });
    expect(e.maxWeight).toBe(5);
    expect(e.clippedShare).toBeCloseTo(clipped.clippedShare, 12);
  });

  it('biases clipped IPS downwards for positive rewards, and DR much less', () => {
    const clipIps = ips(logs, { clipWeightAt: 2 }).value;
    const clipDr = doublyRobust(logs, { clipWeightAt: 2 }).value;
    expect(clipIps).toBeLessThan(TRUE_VALUE - 10);
    expect(Math.abs(clipDr - TRUE_VALUE)).toBeLessThan(3);
  });

  it('reproduces a bootstrap interval for the same seed and agrees with the normal one', () => {
    const small = logs.slice(0, 3_000);
    const a = snips(small, { rng: seededRng(1), bootstrapResamples: 400 });
    const b = snips(small, { rng: seededRng(1), bootstrapResamples: 400 });
    const normal = snips(small);
    expect(a.ciMethod).toBe('bootstrap');
    expect(a.ci).toEqual(b.ci);
    expect(a.stdError).toBeGreaterThan(normal.stdError * 0.8);
    expect(a.stdError).toBeLessThan(normal.stdError * 1.2);
    expect(Math.abs(a.ci[0] - normal.ci[0])).toBeLessThan(normal.stdError);
  });

  it('describes the logs: size, on-policy value and the share of tiny propensities', () => {
    const tiny = [...logs.slice(0, 9), { ...logs[9]!, loggingPropensity: 0.005 }];
    const stats = describeLogs(tiny);
    expect(stats.n).toBe(10);
    expect(stats.lowPropensityShare).toBeCloseTo(0.1, 12);
    expect(stats.minPropensity).toBe(0.005);
  });
});

describe('comparison', () => {
  const candidate = CANDIDATE;
  const production = PRODUCTION;

  it('estimates the difference of two policies as the difference of their estimates', () => {
    const c = comparison(candidate, production, { estimator: 'ips' });
    expect(c.difference).toBeCloseTo(c.target.value - c.baseline.value, 9);
  });

  it('contains the true difference and is sharper than two independent intervals', () => {
    const truth = TRUE_VALUE - trueValue(PROMO_BANDIT, LOGGING_POLICY);
    const c = comparison(candidate, production);
    expect(c.estimator).toBe('dr');
    expect(c.ci[0]).toBeLessThanOrEqual(truth);
    expect(c.ci[1]).toBeGreaterThanOrEqual(truth);
    expect(c.stdError).toBeLessThan(Math.hypot(c.target.stdError, c.baseline.stdError));
  });

  it('gives the same paired difference with a bootstrap interval close to the normal one', () => {
    const small = { candidate: candidate.slice(0, 3_000), production: production.slice(0, 3_000) };
    const normal = comparison(small.candidate, small.production, { estimator: 'snips' });
    const boot = comparison(small.candidate, small.production, {
      estimator: 'snips',
      rng: seededRng(2),
      bootstrapResamples: 300,
    });
    expect(boot.difference).toBe(normal.difference);
    expect(boot.ciMethod).toBe('bootstrap');
    expect(Math.abs(boot.ci[0] - normal.ci[0])).toBeLessThan(normal.stdError * 0.5);
    expect(Math.abs(boot.ci[1] - normal.ci[1])).toBeLessThan(normal.stdError * 0.5);
  });

  it('refuses logs that are not the same decisions', () => {
    const other = [...production];
    other[3] = { ...other[3]!, reward: other[3]!.reward + 1 };
    expect(opeErrorOf(() => comparison(candidate, other))).toMatchObject({
      code: OpeErrorCode.MISMATCHED_LOGS,
      decisionIndex: 3,
    });
  });
});

describe('gate', () => {
  // Differs from production only for returning customers (+10 per decision on 70% of them).
  const slightlyBetter = epsilonGreedy(
    PROMO_BANDIT,
    { new: 'pct10', returning: 'free_ship', lapsed: 'free_ship' },
    0.3,
  );

  it('refuses a candidate whose CI of the difference straddles zero when it must be better', () => {
    const base = simulateLogs(1_500, seededRng(8));
    const input = {
      candidate: retarget(base, slightlyBetter),
      production: retarget(base, LOGGING_POLICY),
      minEffectiveSampleSize: 100,
    };
    const strict = gate({ ...input, requireCiAboveZero: true });
    // It looks better (as it truly is, by 2.1), but the logs cannot tell.
    expect(strict.comparison.difference).toBeGreaterThan(0);
    expect(strict.comparison.ci[0]).toBeLessThan(0);
    expect(strict.comparison.ci[1]).toBeGreaterThan(0);
    expect(strict.pass).toBe(false);
    expect(strict.reasons).toEqual([expect.stringMatching(/does not lie above zero/)]);
    // Not worse either, so a non-inferiority gate lets it through.
    expect(gate({ ...input, requireCiAboveZero: false }).pass).toBe(true);
  });

  it('passes a clearly better candidate with enough data', () => {
    const result = gate({
      candidate: CANDIDATE,
      production: PRODUCTION,
      minEffectiveSampleSize: 1_000,
      requireCiAboveZero: true,
    });
    expect(result.reasons).toEqual([]);
    expect(result.pass).toBe(true);
  });

  it('refuses a candidate the logs barely cover, whatever its estimate', () => {
    const result = gate({
      candidate: CANDIDATE,
      production: PRODUCTION,
      minEffectiveSampleSize: 15_000,
      requireCiAboveZero: false,
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([expect.stringMatching(/^candidate's effective sample size/)]);
  });

  it('refuses a candidate that is clearly worse even without requiring improvement', () => {
    const result = gate({
      candidate: PRODUCTION,
      production: CANDIDATE,
      minEffectiveSampleSize: 100,
      requireCiAboveZero: false,
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([expect.stringMatching(/lies below zero/)]);
  });
});

describe('input validation', () => {
  it.each([
    ['a propensity of 0', { loggingPropensity: 0 }, OpeErrorCode.INVALID_PROPENSITY],
    ['a propensity above 1', { loggingPropensity: 1.5 }, OpeErrorCode.INVALID_PROPENSITY],
    ['a NaN reward', { reward: NaN }, OpeErrorCode.INVALID_REWARD],
    [
      'target probabilities summing to 0.9',
      {
        targetProbabilities: new Map([
          ['a', 0.5],
          ['b', 0.4],
        ]),
      },
      OpeErrorCode.INVALID_TARGET_PROBABILITIES,
    ],
    [
      'a negative target probability',
      {
        targetProbabilities: new Map([
          ['a', 1.5],
          ['b', -0.5],
        ]),
      },
      OpeErrorCode.INVALID_TARGET_PROBABILITIES,
    ],
    ['a logged action that was not available', { loggedAction: 'c' }, OpeErrorCode.UNKNOWN_ACTION],
    [
      'a reward model missing an action',
      { rewardModel: new Map([['a', 1]]) },
      OpeErrorCode.INVALID_REWARD_MODEL,
    ],
  ] as const)('rejects %s, naming the decision', (_, bad, code) => {
    const err = opeErrorOf(() => ips([decision(), decision(), decision(bad)]));
    expect(err.code).toBe(code);
    expect(err.decisionIndex).toBe(2);
    expect(err.message).toMatch(/^decision 2: /);
  });

  it('accepts target probabilities that sum to 1 within 1e-6', () => {
    const nearlyOne = new Map([
      ['a', 0.6],
      ['b', 0.4 - 5e-7],
    ]);
    expect(() => ips([decision({ targetProbabilities: nearlyOne })])).not.toThrow();
  });

  it('rejects an empty log', () => {
    expect(opeErrorOf(() => snips([]))).toMatchObject({
      code: OpeErrorCode.EMPTY_LOG,
      decisionIndex: undefined,
    });
  });

  it('rejects a non-positive clipping threshold', () => {
    expect(opeErrorOf(() => ips([decision()], { clipWeightAt: 0 }))).toMatchObject({
      code: OpeErrorCode.INVALID_OPTION,
    });
  });
});

function variance(xs: readonly number[]): number {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
}
