import { ArmList, POLICY_DEFAULTS, policyParam } from './campaign-policy';
import { EpsilonGreedyPolicy } from './epsilon-greedy.policy';
import { FixedRulePolicy } from './fixed-rule.policy';
import { LinUcbPolicy } from './lin-ucb.policy';
import { LinearThompsonPolicy } from './linear-thompson.policy';
import { createCampaignPolicy } from './policies';
import { PolicyException } from './policy.exception';
import { FakePosteriors, linearWithMean, makeCampaign, offerRank } from './policy.fixture';
import { type PolicyKind } from './policy.types';
import { seededRng } from './rng';
import { Sampler } from './sampling';
import { SquareCbPolicy } from './square-cb.policy';
import { ThompsonBetaPolicy } from './thompson-beta.policy';

const KINDS: readonly PolicyKind[] = [
  'thompson_beta',
  'linear_thompson',
  'lin_ucb',
  'epsilon_greedy',
  'square_cb',
  'fixed_rule',
];

/**
 * Three offers worth about 30, 20 and 10 before pricing under every policy (model values,
 * linear posteriors, and Beta posteriors with margin 1000 against a 0 % baseline).
 */
function pricedCampaign(policy: PolicyKind, budgetPrice: number) {
  const posteriors = new FakePosteriors().withBaseline('c1', 1e-3, 1e7);
  const arms = [30, 20, 10].map((value, i) => {
    const offerId = `o${i}`;
    posteriors.withOffer(offerId, value * 1e4, 1e7 - value * 1e4);
    posteriors.withLinear(offerId, linearWithMean([value], 10_000));
    return {
      offerId,
      modelValue: value,
      marginMinor: 1000,
      redemptionCostMinor: 0,
      expectedCostMinor: 10 * (i + 1),
    };
  });
  const campaign = makeCampaign({ policy, budgetPrice, arms });
  return { campaign, policy: createCampaignPolicy(campaign, posteriors, offerRank(campaign)) };
}

describe('createCampaignPolicy', () => {
  it.each([
    ['thompson_beta', ThompsonBetaPolicy, false, false],
    ['linear_thompson', LinearThompsonPolicy, false, false],
    ['lin_ucb', LinUcbPolicy, true, true],
    ['epsilon_greedy', EpsilonGreedyPolicy, true, false],
    ['square_cb', SquareCbPolicy, true, false],
    ['fixed_rule', FixedRulePolicy, true, true],
  ] as const)('prepares %s', (kind, type, exact, deterministic) => {
    const { policy } = pricedCampaign(kind, 0);
    expect(policy).toBeInstanceOf(type);
    expect(policy.exact).toBe(exact);
    expect(policy.deterministic).toBe(deterministic);
  });

  it.each(KINDS)('takes λ × expected cost off every value under %s', (kind) => {
    const free = pricedCampaign(kind, 0).policy;
    const paced = pricedCampaign(kind, 0.5).policy;
    for (let i = 0; i < 3; i++) {
      expect(paced.details(i)['mean_value']).toBeCloseTo(
        free.details(i)['mean_value']! - 0.5 * 10 * (i + 1),
        6,
      );
      expect(paced.details(i)['budget_cost']).toBeCloseTo(0.5 * 10 * (i + 1), 12);
    }
  });

  it.each(KINDS.filter((k) => k !== 'fixed_rule'))(
    'never shows an offer whose priced value is negative under the greedy choice of %s',
    (kind) => {
      // λ = 1.5 prices o1 (20 − 30) and o2 (10 − 45) below zero.
      const { policy } = pricedCampaign(kind, 1.5);
      const list = new ArmList(3);
      policy.greedyList(3, list);
      expect(Array.from(list.arm.subarray(0, list.length))).toEqual([0]);
      expect(list.value[0]).toBeGreaterThan(0);
    },
  );

  it.each(['thompson_beta', 'linear_thompson', 'lin_ucb'] as const)(
    'never shows an offer whose drawn value is negative under %s',
    (kind) => {
      const { policy } = pricedCampaign(kind, 1.5);
      const s = new Sampler(seededRng(1));
      const list = new ArmList(3);
      for (let k = 0; k < 200; k++) {
        policy.drawList(s, 3, list);
        for (let i = 0; i < list.length; i++) expect(list.value[i]).toBeGreaterThan(0);
        expect(Array.from(list.arm.subarray(0, list.length))).toEqual([0]);
      }
    },
  );
});

describe('policyParam', () => {
  it('reads a given parameter and falls back to the documented default', () => {
    const base = { arms: [{ offerId: 'a' }] };
    expect(policyParam(makeCampaign({ ...base, params: { epsilon: 0.3 } }), 'epsilon')).toBe(0.3);
    expect(policyParam(makeCampaign({ ...base, params: {} }), 'epsilon')).toBe(0.05);
    expect(policyParam(makeCampaign({ ...base, params: { epsilon: Number.NaN } }), 'epsilon')).toBe(
      0.05,
    );
    expect(policyParam(makeCampaign({ ...base, policy: 'square_cb' }), 'gamma')).toBe(100);
    expect(() => policyParam(makeCampaign({ ...base, policy: 'fixed_rule' }), 'x')).toThrow(
      PolicyException,
    );
    expect(POLICY_DEFAULTS.thompson_beta).toEqual({
      prior_alpha: 1,
      prior_beta: 1,
      prior_strength: 10,
    });
    expect(POLICY_DEFAULTS.linear_thompson).toEqual({ v: 1, lambda: 1 });
    expect(POLICY_DEFAULTS.lin_ucb).toEqual({ alpha: 1, lambda: 1 });
  });
});
