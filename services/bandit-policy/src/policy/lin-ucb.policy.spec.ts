import { ArmList } from './campaign-policy';
import { LinUcbPolicy } from './lin-ucb.policy';
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

function makeUcb(over: Partial<CampaignArms> = {}) {
  // 'sure' is known well (mean ≈ 5), 'unsure' barely (mean 2, sd ≈ 0.71).
  const posteriors = new FakePosteriors()
    .withLinear('sure', linearWithMean([5.05], 100))
    .withLinear('unsure', linearWithMean([4], 1));
  const campaign = makeCampaign({
    policy: 'lin_ucb',
    arms: [
      { offerId: 'sure', expectedCostMinor: 1 },
      { offerId: 'unsure', expectedCostMinor: 1 },
    ],
    ...over,
  });
  return new LinUcbPolicy(campaign, offerRank(campaign), posteriors);
}

describe('LinUcbPolicy', () => {
  it('ranks offers by mean plus alpha times the posterior standard deviation', () => {
    const policy = makeUcb({ params: { alpha: 6 } });
    const list = new ArmList(2);
    policy.drawList(new Sampler(seededRng(1)), 2, list);
    expect(offerIds(policy, list)).toEqual(['unsure', 'sure']);
    policy.greedyList(2, list);
    expect(offerIds(policy, list)).toEqual(['sure', 'unsure']);
    const d = policy.details(1);
    expect(d['mean_value']).toBeCloseTo(2, 9);
    expect(d['ucb_bonus']).toBeCloseTo(6 * Math.sqrt(0.5), 9);
    expect(d['ucb_value']).toBeCloseTo(d['mean_value']! + d['ucb_bonus']!, 12);
  });

  it('leaves out offers whose optimistic priced value does not beat showing nothing', () => {
    const policy = makeUcb({ budgetPrice: 4.5 });
    const list = new ArmList(2);
    policy.drawList(new Sampler(seededRng(1)), 2, list);
    // sure: 5 + 0.1 − 4.5 > 0; unsure: 2 + 0.71 − 4.5 < 0.
    expect(offerIds(policy, list)).toEqual(['sure']);
  });

  it('has one list, with probability 1', () => {
    const policy = makeUcb();
    expect(policy.deterministic).toBe(true);
    expect(listDistribution(policy, 2)).toEqual(new Map([['sure,unsure', 1]]));
  });
});
