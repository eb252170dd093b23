import { ArmList } from './campaign-policy';
import { EpsilonGreedyPolicy } from './epsilon-greedy.policy';
import {
  FakePosteriors,
  linearWithMean,
  listDistribution,
  makeCampaign,
  offerIds,
  offerRank,
} from './policy.fixture';
import { type CampaignArms } from './policy.types';
import { seededRng } from './rng';
import { Sampler } from './sampling';

function makeEpsilon(values: readonly (number | undefined)[], over: Partial<CampaignArms> = {}) {
  const campaign = makeCampaign({
    policy: 'epsilon_greedy',
    params: { epsilon: 0.2 },
    arms: values.map((modelValue, i) => ({ offerId: `o${i}`, modelValue })),
    ...over,
  });
  return new EpsilonGreedyPolicy(
    campaign,
    offerRank(campaign),
    new FakePosteriors().withLinear('o0', linearWithMean([7], 1000)),
  );
}

describe('EpsilonGreedyPolicy', () => {
  it('gives the best of K options 1 − ε + ε/K and every other option, "no offer" too, ε/K', () => {
    const dist = listDistribution(makeEpsilon([5, 3, -1]), 1);
    expect(dist.get('o0')).toBeCloseTo(0.8 + 0.05, 12);
    expect(dist.get('o1')).toBeCloseTo(0.05, 12);
    expect(dist.get('o2')).toBeCloseTo(0.05, 12);
    expect(dist.get('')).toBeCloseTo(0.05, 12);
  });

  it('gives "no offer" the greedy share when no offer beats it', () => {
    const dist = listDistribution(makeEpsilon([-5, 0]), 1);
    expect(dist.get('')).toBeCloseTo(0.8 + 0.2 / 3, 12);
    expect(dist.get('o1')).toBeCloseTo(0.2 / 3, 12);
  });

  it('re-applies the distribution to the remaining options at each position', () => {
    const dist = listDistribution(makeEpsilon([5, 3, -1]), 2);
    // Second position after o0: K = 3 (o1, o2, none) and o1 is best.
    expect(dist.get('o0,o1')).toBeCloseTo(0.85 * (0.8 + 0.2 / 3), 12);
    expect(dist.get('o0')).toBeCloseTo(0.85 * (0.2 / 3), 12);
    // After o1: o0 is best of (o0, o2, none).
    expect(dist.get('o1,o0')).toBeCloseTo(0.05 * (0.8 + 0.2 / 3), 12);
    expect([...dist.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('draws lists with the enumerated probabilities', () => {
    const policy = makeEpsilon([5, 3, -1], { params: { epsilon: 0.5 } });
    const dist = listDistribution(policy, 2);
    const n = 20_000;
    const counts = new Map<string, number>();
    const s = new Sampler(seededRng(1));
    const list = new ArmList(2);
    for (let k = 0; k < n; k++) {
      policy.drawList(s, 2, list);
      const key = offerIds(policy, list).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const key of new Set([...dist.keys(), ...counts.keys()])) {
      const p = dist.get(key) ?? 0;
      const f = (counts.get(key) ?? 0) / n;
      expect(Math.abs(f - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
    }
  });

  it("falls back to the linear posterior's mean when no model scored the offer", () => {
    const policy = makeEpsilon([undefined, 6.5]);
    // θ̂ = 1000·7/(λ + 1000) after 1000 noiseless observations.
    expect(policy.details(0)['mean_value']).toBeCloseTo(7000 / 1001, 9);
    const list = new ArmList(2);
    policy.greedyList(2, list);
    expect(offerIds(policy, list)).toEqual(['o0', 'o1']);
  });

  it('explores with ε = 0.05 by default', () => {
    const policy = makeEpsilon([1], { params: {} });
    expect(policy.details(0)['epsilon']).toBe(0.05);
    expect(listDistribution(policy, 1).get('')).toBeCloseTo(0.025, 12);
  });

  it('stops enumerating beyond the cap', () => {
    const policy = makeEpsilon([1, 2, 3, 4, 5, 6]);
    expect(policy.enumerateLists(3, 50, () => undefined)).toBe(false);
    expect(policy.enumerateLists(3, 1000, () => undefined)).toBe(true);
  });
});
