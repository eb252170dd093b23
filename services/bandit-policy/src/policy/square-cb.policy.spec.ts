import { ArmList } from './campaign-policy';
import { RidgeArmPosterior } from './linear-posterior';
import {
  context,
  listDistribution,
  makeCampaign,
  FakePosteriors,
  offerIds,
  offerRank,
} from './policy.fixture';
import { POLICY_CONTEXT_DIM, type CampaignArms } from './policy.types';
import { seededRng } from './rng';
import { Sampler } from './sampling';
import { SquareCbPolicy } from './square-cb.policy';

function makeSquareCb(values: readonly number[], over: Partial<CampaignArms> = {}) {
  const campaign = makeCampaign({
    policy: 'square_cb',
    arms: values.map((modelValue, i) => ({ offerId: `o${i}`, modelValue })),
    ...over,
  });
  return new SquareCbPolicy(campaign, offerRank(campaign), new FakePosteriors());
}

describe('SquareCbPolicy', () => {
  it('weights every option by the inverse of its gap and gives the best the rest', () => {
    const dist = listDistribution(
      makeSquareCb([10, 4, -2], { params: { gamma: 2, scale: 10 } }),
      1,
    );
    // K = 4 options, v* = 10, gaps scaled by 10.
    const p1 = 1 / (4 + 2 * 0.6);
    const p2 = 1 / (4 + 2 * 1.2);
    const pNone = 1 / (4 + 2 * 1);
    expect(dist.get('o1')).toBeCloseTo(p1, 12);
    expect(dist.get('o2')).toBeCloseTo(p2, 12);
    expect(dist.get('')).toBeCloseTo(pNone, 12);
    expect(dist.get('o0')).toBeCloseTo(1 - p1 - p2 - pNone, 12);
  });

  it('scales gaps by the largest |value| unless a scale is given', () => {
    const byDefault = listDistribution(makeSquareCb([10, 4, -2], { params: { gamma: 2 } }), 2);
    const explicit = listDistribution(
      makeSquareCb([10, 4, -2], { params: { gamma: 2, scale: 10 } }),
      2,
    );
    expect([...byDefault.keys()].sort()).toEqual([...explicit.keys()].sort());
    for (const [k, p] of explicit) expect(byDefault.get(k)).toBeCloseTo(p, 12);
    // The same values in another unit give the same distribution.
    const cents = listDistribution(makeSquareCb([1000, 400, -200], { params: { gamma: 2 } }), 2);
    for (const [k, p] of explicit) expect(cents.get(k)).toBeCloseTo(p, 12);
  });

  it('makes "no offer" the best option when no priced value is positive', () => {
    const negative = listDistribution(makeSquareCb([-4, -2], { params: { gamma: 100 } }), 1);
    // K = 3, v* = 0 ("no offer"), gaps scaled by 4.
    expect(negative.get('o1')).toBeCloseTo(1 / (3 + 100 * 0.5), 12);
    expect(negative.get('o0')).toBeCloseTo(1 / (3 + 100 * 1), 12);
    expect(negative.get('')).toBeCloseTo(1 - 1 / 53 - 1 / 103, 12);
    const campaign = makeCampaign({
      policy: 'square_cb',
      budgetPrice: 1,
      arms: [
        { offerId: 'o0', modelValue: 4, expectedCostMinor: 5 },
        { offerId: 'o1', modelValue: 2, expectedCostMinor: 5 },
      ],
    });
    const priced = new SquareCbPolicy(campaign, offerRank(campaign), new FakePosteriors());
    const d = listDistribution(priced, 1);
    expect(d.get('')).toBeGreaterThan(0.9);
    expect(priced.details(0)['mean_value']).toBe(-1);
    expect(priced.details(0)['gamma']).toBe(100);
  });

  it('explores less as gamma grows', () => {
    const best = (gamma: number) =>
      listDistribution(makeSquareCb([10, 9, 1], { params: { gamma } }), 1).get('o0')!;
    expect(best(1)).toBeLessThan(best(10));
    expect(best(10)).toBeLessThan(best(1000));
    expect(best(1e9)).toBeCloseTo(1, 6);
  });

  describe('an arm the model did not score', () => {
    // A linear posterior that has seen this offer pay 50 in context x = (1, 0, …).
    const learned = () => {
      const p = new RidgeArmPosterior(POLICY_CONTEXT_DIM, 1);
      for (let i = 0; i < 20; i++) p.update(context(1), 50);
      return new FakePosteriors().withLinear('o1', p);
    };
    const make = (params: Record<string, number>) => {
      const campaign = makeCampaign({
        policy: 'square_cb',
        params: { gamma: 10, ...params },
        arms: [{ offerId: 'o0', modelValue: 30 }, { offerId: 'o1' }],
      });
      return new SquareCbPolicy(campaign, offerRank(campaign), learned());
    };

    it('is valued by its linear posterior mean by default', () => {
      const d = listDistribution(make({}), 1);
      expect(d.get('o1')).toBeGreaterThan(0.5); // ≈ 47.6 against the model's 30 for o0
    });

    it('is no option with unscored_fallback 0: never drawn, the rest as if it were absent', () => {
      const policy = make({ unscored_fallback: 0 });
      const d = listDistribution(policy, 2);
      expect([...d.keys()].some((k) => k.includes('o1'))).toBe(false);
      const alone = listDistribution(
        makeSquareCb([30], { params: { gamma: 10, unscored_fallback: 0 } }),
        2,
      );
      for (const [k, p] of alone) expect(d.get(k)).toBeCloseTo(p, 12);
      const sampler = new Sampler(seededRng(3));
      const list = new ArmList(2);
      for (let i = 0; i < 2000; i++) {
        policy.drawList(sampler, 2, list);
        expect(offerIds(policy, list)).not.toContain('o1');
      }
      policy.greedyList(2, list);
      expect(offerIds(policy, list)).toEqual(['o0']);
    });

    it('with unscored_fallback 0 and no scores at all, shows nothing for sure', () => {
      const campaign = makeCampaign({
        policy: 'square_cb',
        params: { unscored_fallback: 0 },
        arms: [{ offerId: 'o0' }, { offerId: 'o1' }],
      });
      const policy = new SquareCbPolicy(campaign, offerRank(campaign), learned());
      expect(listDistribution(policy, 2)).toEqual(new Map([['', 1]]));
    });
  });
});
