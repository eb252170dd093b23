import { ArmList } from './campaign-policy';
import { LinearThompsonPolicy } from './linear-thompson.policy';
import {
  context,
  FakePosteriors,
  linearWithMean,
  makeCampaign,
  offerIds,
  offerRank,
} from './policy.fixture';
import { seededRng } from './rng';
import { Sampler } from './sampling';

describe('LinearThompsonPolicy', () => {
  it("draws each offer's value as xᵀθ with θ from the offer's posterior", () => {
    const posterior = linearWithMean([3, -1], 6);
    const x = context(1, 2);
    const campaign = makeCampaign({
      policy: 'linear_thompson',
      params: { v: 1.5 },
      budgetPrice: 0.1,
      arms: [{ offerId: 'a', x, expectedCostMinor: 10 }],
    });
    const policy = new LinearThompsonPolicy(
      campaign,
      offerRank(campaign),
      new FakePosteriors().withLinear('a', posterior),
    );
    const n = 20_000;
    const s = new Sampler(seededRng(1));
    const rng = seededRng(2);
    const viaPolicy: number[] = [];
    const viaTheta: number[] = [];
    for (let k = 0; k < n; k++) {
      policy.drawList(s, 1, new ArmList(1));
      viaPolicy.push(policy.details(0)['sampled_value']! + 1);
      const theta = posterior.sample(rng, 1.5);
      viaTheta.push(theta.reduce((acc, t, i) => acc + t * x[i]!, 0));
    }
    const mean = posterior.mean().reduce((acc, t, i) => acc + t * x[i]!, 0);
    const variance = 1.5 ** 2 * posterior.variance(x);
    for (const draws of [viaPolicy, viaTheta]) {
      const m = draws.reduce((a, b) => a + b, 0) / n;
      const v = draws.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
      expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(variance / n));
      // Var(s²) = 2σ⁴/(n − 1) for normal draws.
      expect(Math.abs(v - variance)).toBeLessThan(5 * variance * Math.sqrt(2 / (n - 1)));
    }
    expect(policy.details(0)['posterior_sd']).toBeCloseTo(
      1.5 * Math.sqrt(posterior.variance(x)),
      12,
    );
    expect(policy.details(0)['mean_value']).toBeCloseTo(mean - 1, 12);
  });

  it('values an offer by how much its reward beats the mean reward of showing nothing', () => {
    // xᵀθ̂ = 3·1 − 1·2 = 1 … scaled: the offer's expected reward with it shown is 500.
    const x = context(1, 2);
    const campaign = makeCampaign({
      policy: 'linear_thompson',
      arms: [{ offerId: 'a', x, expectedCostMinor: 0 }],
    });
    const withBaseline = (b: number) =>
      new LinearThompsonPolicy(
        campaign,
        offerRank(campaign),
        new FakePosteriors()
          .withLinear('a', linearWithMean([300, 100], 1e6))
          .withBaselineValue('c1', b),
      );
    // Users who would buy anyway: the offer's 500 is less than the 650 they bring without it.
    const sureThings = withBaseline(650);
    expect(sureThings.details(0)['mean_value']).toBeCloseTo(500 - 650, 1);
    expect(sureThings.details(0)['baseline_value']).toBe(650);
    const list = new ArmList(1);
    sureThings.greedyList(1, list);
    expect(list.length).toBe(0);
    // Users who buy little without it: the offer adds 400.
    const persuadable = withBaseline(100);
    expect(persuadable.details(0)['mean_value']).toBeCloseTo(400, 1);
    persuadable.greedyList(1, list);
    expect(offerIds(persuadable, list)).toEqual(['a']);
  });

  it('ranks the offers whose draw beats showing nothing and greedily by their means', () => {
    const posteriors = new FakePosteriors()
      .withLinear('hi', linearWithMean([5], 4))
      .withLinear('lo', linearWithMean([4], 4))
      .withLinear('neg', linearWithMean([-50], 50));
    const campaign = makeCampaign({
      policy: 'linear_thompson',
      arms: [{ offerId: 'neg' }, { offerId: 'lo' }, { offerId: 'hi' }],
    });
    const policy = new LinearThompsonPolicy(campaign, offerRank(campaign), posteriors);
    const list = new ArmList(3);
    policy.greedyList(3, list);
    expect(offerIds(policy, list)).toEqual(['hi', 'lo']);
    const s = new Sampler(seededRng(3));
    const seenFirst = new Set<string>();
    for (let k = 0; k < 300; k++) {
      policy.drawList(s, 3, list);
      expect(offerIds(policy, list)).not.toContain('neg');
      for (let i = 0; i < list.length; i++) expect(list.value[i]).toBeGreaterThan(0);
      seenFirst.add(offerIds(policy, list)[0] ?? '');
    }
    expect(seenFirst).toEqual(new Set(['hi', 'lo']));
  });
});
