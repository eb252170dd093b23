import { FakePosteriors, linearWithMean, makeCampaign, makeRequest } from './policy.fixture';
import { type CampaignArms, type PosteriorView, type SlateRequest } from './policy.types';
import { childRng } from './rng';
import { decideSlate, slateDistribution, type SlateDistribution } from './slate';

/**
 * The logged propensities must be the probabilities of what decideSlate actually does: we
 * run the same decision many times on fresh streams and compare how often each offer lands
 * in each slot with what was logged.
 */

const SEED = 20_240_601n;

interface Scenario {
  readonly campaigns: readonly CampaignArms[];
  readonly posteriors: PosteriorView;
  readonly slots: number;
}

/** What N decisions with identical inputs did, and what they logged. */
interface Observed {
  readonly runs: number;
  readonly samples: number;
  /** `${slot}:${offerId}` → times chosen. */
  readonly counts: Map<string, number>;
  /** `${slot}:${offerId}` → the propensities logged when chosen. */
  readonly logged: Map<string, number[]>;
  readonly methods: Set<string>;
  emptyAnswers: number;
  loggedNoOffer: number;
}

function request(s: Scenario, run: number, samples: number): SlateRequest {
  return makeRequest(s.campaigns, {
    posteriors: s.posteriors,
    slots: s.slots,
    propensitySamples: samples,
    rng: childRng(SEED, run),
  });
}

function observe(s: Scenario, runs: number, samples = 256): Observed {
  const obs: Observed = {
    runs,
    samples,
    counts: new Map(),
    logged: new Map(),
    methods: new Set(),
    emptyAnswers: 0,
    loggedNoOffer: 0,
  };
  for (let run = 0; run < runs; run++) {
    const d = decideSlate(request(s, run, samples));
    for (const slot of d.slots) {
      const key = `${slot.rank}:${slot.arm.offerId}`;
      obs.counts.set(key, (obs.counts.get(key) ?? 0) + 1);
      const logged = obs.logged.get(key);
      if (logged) logged.push(slot.propensity);
      else obs.logged.set(key, [slot.propensity]);
      obs.methods.add(slot.method);
    }
    if (d.slots.length === 0) obs.emptyAnswers++;
    obs.loggedNoOffer += d.noOfferPropensity / runs;
  }
  return obs;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * How far an empirical frequency may be from a logged propensity p: 4 binomial standard
 * errors of the frequency (N runs), plus, for Monte-Carlo propensities averaged over the
 * m times they were logged, 4 errors of that average (S draws each) and the 1/(S + 1)
 * floor on chosen outcomes.
 */
function tolerance(p: number, runs: number, monteCarlo: boolean, samples: number, m: number) {
  const q = Math.min(Math.max(p, 1e-12), 1);
  const variance = (q * (1 - q)) / runs + (monteCarlo ? (q * (1 - q)) / (samples * m) : 0);
  return 4 * Math.sqrt(variance) + (monteCarlo ? 1 / (samples + 1) : 1 / runs);
}

/** Disagreements between what happened and what was logged; empty when they agree. */
function mismatches(obs: Observed, monteCarlo: boolean): string[] {
  const out: string[] = [];
  for (const [key, values] of obs.logged) {
    const p = mean(values);
    if (!monteCarlo && values.some((v) => Math.abs(v - values[0]!) > 1e-12)) {
      out.push(`${key}: exact propensity varies between identical decisions`);
    }
    const f = obs.counts.get(key)! / obs.runs;
    const tol = tolerance(p, obs.runs, monteCarlo, obs.samples, values.length);
    if (Math.abs(f - p) > tol) out.push(`${key}: frequency ${f} vs propensity ${p} (±${tol})`);
  }
  const fEmpty = obs.emptyAnswers / obs.runs;
  const pEmpty = obs.loggedNoOffer;
  const tol = tolerance(pEmpty, obs.runs, monteCarlo, obs.samples, obs.runs);
  if (Math.abs(fEmpty - pEmpty) > tol) {
    out.push(`empty answer: frequency ${fEmpty} vs noOfferPropensity ${pEmpty} (±${tol})`);
  }
  return out;
}

/** The distribution must be one: each slot holds one offer or nothing. */
function expectNormalized(dist: SlateDistribution, slots: number): void {
  expect(dist.slotProbability).toHaveLength(slots);
  for (let k = 0; k < slots; k++) {
    let total = dist.slotEmptyProbability[k]!;
    for (const p of dist.slotProbability[k]!.values()) total += p;
    expect(total).toBeCloseTo(1, 9);
  }
  // Slots fill in order: a later slot is empty at least as often as an earlier one.
  for (let k = 1; k < slots; k++) {
    expect(dist.slotEmptyProbability[k]! + 1e-12).toBeGreaterThanOrEqual(
      dist.slotEmptyProbability[k - 1]!,
    );
  }
  expect(dist.noOfferProbability).toBeCloseTo(dist.slotEmptyProbability[0]!, 12);
}

/** Every offer, chosen or not, is as frequent in each slot as the distribution says. */
function expectFrequenciesMatch(obs: Observed, dist: SlateDistribution, monteCarlo: boolean) {
  dist.slotProbability.forEach((byOffer, k) => {
    for (const [offerId, p] of byOffer) {
      const f = (obs.counts.get(`${k + 1}:${offerId}`) ?? 0) / obs.runs;
      const m = monteCarlo ? 1 : obs.runs;
      expect(Math.abs(f - p)).toBeLessThanOrEqual(
        tolerance(p, obs.runs, monteCarlo, dist.samples, m),
      );
    }
  });
}

// ---------------------------------------------------------------- scenarios

function thompsonBeta(campaignId = 'T'): { campaign: CampaignArms; posteriors: FakePosteriors } {
  const posteriors = new FakePosteriors()
    .withBaseline(campaignId, 10, 90)
    .withOffer(`${campaignId}-a`, 14, 86)
    .withOffer(`${campaignId}-b`, 12, 88)
    .withOffer(`${campaignId}-c`, 11, 89)
    .withOffer(`${campaignId}-d`, 25, 475);
  const campaign = makeCampaign({
    campaignId,
    policy: 'thompson_beta',
    arms: ['a', 'b', 'c', 'd'].map((s) => ({
      offerId: `${campaignId}-${s}`,
      marginMinor: 1000,
      redemptionCostMinor: 100,
      expectedCostMinor: 10,
    })),
    budgetPrice: 0.2,
  });
  return { campaign, posteriors };
}

const SCENARIOS: Record<string, () => Scenario> = {
  thompson_beta: () => {
    const { campaign, posteriors } = thompsonBeta();
    return { campaigns: [campaign], posteriors, slots: 2 };
  },
  linear_thompson: () => {
    const posteriors = new FakePosteriors()
      .withLinear('a', linearWithMean([3], 4))
      .withLinear('b', linearWithMean([2.5], 2))
      .withLinear('c', linearWithMean([2], 3))
      .withLinear('d', linearWithMean([-1], 3));
    const campaign = makeCampaign({
      policy: 'linear_thompson',
      params: { v: 1.2 },
      arms: ['a', 'b', 'c', 'd'].map((offerId) => ({ offerId })),
    });
    return { campaigns: [campaign], posteriors, slots: 2 };
  },
  lin_ucb: () => {
    const posteriors = new FakePosteriors()
      .withLinear('a', linearWithMean([3], 40))
      .withLinear('b', linearWithMean([2.5], 2))
      .withLinear('c', linearWithMean([-1], 3));
    const campaign = makeCampaign({
      policy: 'lin_ucb',
      arms: ['a', 'b', 'c'].map((offerId) => ({ offerId })),
    });
    return { campaigns: [campaign], posteriors, slots: 2 };
  },
  epsilon_greedy: () => ({
    campaigns: [
      makeCampaign({
        policy: 'epsilon_greedy',
        params: { epsilon: 0.3 },
        arms: [5, 3, 1, -2].map((modelValue, i) => ({ offerId: `o${i}`, modelValue })),
      }),
    ],
    posteriors: new FakePosteriors(),
    slots: 2,
  }),
  square_cb: () => ({
    campaigns: [
      makeCampaign({
        policy: 'square_cb',
        params: { gamma: 5 },
        arms: [10, 8, 3, -4].map((modelValue, i) => ({ offerId: `o${i}`, modelValue })),
      }),
    ],
    posteriors: new FakePosteriors(),
    slots: 2,
  }),
  fixed_rule: () => ({
    campaigns: [
      makeCampaign({
        policy: 'fixed_rule',
        arms: [2, 0, 1].map((ruleOrder, i) => ({ offerId: `o${i}`, ruleOrder })),
      }),
    ],
    posteriors: new FakePosteriors(),
    slots: 2,
  }),
  'thompson_beta + epsilon_greedy': () => {
    const { campaign, posteriors } = thompsonBeta('A');
    const greedy = makeCampaign({
      campaignId: 'B',
      policy: 'epsilon_greedy',
      params: { epsilon: 0.2 },
      arms: [30, 10, -5].map((modelValue, i) => ({ offerId: `B-${i}`, modelValue })),
    });
    return { campaigns: [campaign, greedy], posteriors, slots: 2 };
  },
  'square_cb + lin_ucb': () => {
    const posteriors = new FakePosteriors()
      .withLinear('B-0', linearWithMean([6], 10))
      .withLinear('B-1', linearWithMean([2], 1));
    const squareCb = makeCampaign({
      campaignId: 'A',
      policy: 'square_cb',
      params: { gamma: 4 },
      arms: [7, 5, 1].map((modelValue, i) => ({ offerId: `A-${i}`, modelValue })),
    });
    const ucb = makeCampaign({
      campaignId: 'B',
      policy: 'lin_ucb',
      arms: [{ offerId: 'B-0' }, { offerId: 'B-1' }],
    });
    return { campaigns: [squareCb, ucb], posteriors, slots: 2 };
  },
};

const EXPECTED_METHOD: Record<string, 'exact' | 'monte_carlo'> = {
  thompson_beta: 'monte_carlo',
  linear_thompson: 'monte_carlo',
  lin_ucb: 'exact',
  epsilon_greedy: 'exact',
  square_cb: 'exact',
  fixed_rule: 'exact',
  'thompson_beta + epsilon_greedy': 'monte_carlo',
  'square_cb + lin_ucb': 'exact',
};

describe('slate propensities', () => {
  it.each(Object.keys(SCENARIOS))(
    'log, under %s, how often each offer really lands in each slot',
    (name) => {
      const scenario = SCENARIOS[name]!();
      const monteCarlo = EXPECTED_METHOD[name] === 'monte_carlo';
      const obs = observe(scenario, monteCarlo ? 4000 : 10_000);
      expect(mismatches(obs, monteCarlo)).toEqual([]);
      if (monteCarlo) expect(obs.methods).toEqual(new Set(['monte_carlo']));
      else expect(obs.methods.has('monte_carlo')).toBe(false);
      // The full distribution: normalized per slot, and matching the frequencies of every
      // offer (also those never chosen). Monte-Carlo references use many more draws.
      const dist = slateDistribution(request(scenario, 1e6, monteCarlo ? 40_000 : 0));
      expect(dist.method).toBe(EXPECTED_METHOD[name]);
      expectNormalized(dist, scenario.slots);
      expectFrequenciesMatch(obs, dist, monteCarlo);
      expect(Math.abs(obs.emptyAnswers / obs.runs - dist.noOfferProbability)).toBeLessThanOrEqual(
        tolerance(dist.noOfferProbability, obs.runs, monteCarlo, dist.samples, 1),
      );
    },
  );

  it('explore, in these scenarios, at least three offers for the first slot', () => {
    // Guards the test above against scenarios too lopsided to check anything.
    const narrow: string[] = [];
    for (const name of ['thompson_beta', 'linear_thompson', 'epsilon_greedy', 'square_cb']) {
      const obs = observe(SCENARIOS[name]!(), 400, 16);
      const firstSlot = [...obs.counts.keys()].filter((k) => k.startsWith('1:'));
      if (firstSlot.length < 3) narrow.push(`${name}: ${firstSlot.join(' ')}`);
    }
    expect(narrow).toEqual([]);
  });

  it('are caught by the frequency check when they are off by 10 %', () => {
    const obs = observe(SCENARIOS['square_cb']!(), 10_000);
    expect(mismatches(obs, false)).toEqual([]);
    const skewed: Observed = {
      ...obs,
      logged: new Map([...obs.logged].map(([k, v]) => [k, v.map((p) => Math.min(1, p * 1.1))])),
    };
    expect(mismatches(skewed, false).length).toBeGreaterThan(0);
    const mcObs = observe(SCENARIOS['thompson_beta']!(), 4000);
    const mcSkewed: Observed = {
      ...mcObs,
      logged: new Map([...mcObs.logged].map(([k, v]) => [k, v.map((p) => p * 0.9)])),
    };
    expect(mismatches(mcSkewed, true).length).toBeGreaterThan(0);
  });
});
