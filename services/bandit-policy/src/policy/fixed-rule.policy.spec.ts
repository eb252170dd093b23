import { ArmList } from './campaign-policy';
import { FixedRulePolicy } from './fixed-rule.policy';
import {
  FakePosteriors,
  listDistribution,
  makeCampaign,
  offerIds,
  offerRank,
} from './policy.fixture';
import { seededRng } from './rng';
import { Sampler } from './sampling';

describe('FixedRulePolicy', () => {
  const campaign = makeCampaign({
    policy: 'fixed_rule',
    budgetPrice: 1,
    arms: [
      { offerId: 'late', ruleOrder: 3, modelValue: 100 },
      { offerId: 'b-first', ruleOrder: 1, modelValue: -5, expectedCostMinor: 2 },
      { offerId: 'a-first', ruleOrder: 1, modelValue: 1 },
    ],
  });
  const policy = new FixedRulePolicy(campaign, offerRank(campaign), new FakePosteriors());

  it('lists offers by rule order, ties by offerId, whatever their value', () => {
    const list = new ArmList(3);
    policy.drawList(new Sampler(seededRng(1)), 3, list);
    expect(offerIds(policy, list)).toEqual(['a-first', 'b-first', 'late']);
    // The priced value still travels with each offer, for the merge across campaigns.
    expect(Array.from(list.value)).toEqual([1, -7, 100]);
  });

  it('gives the same single list every time, greedy included', () => {
    expect(listDistribution(policy, 2)).toEqual(new Map([['a-first,b-first', 1]]));
    const list = new ArmList(1);
    policy.greedyList(1, list);
    expect(offerIds(policy, list)).toEqual(['a-first']);
    expect(policy.details(1)).toEqual({
      mean_value: -7,
      rule_order: 1,
      budget_price: 1,
      budget_cost: 2,
    });
  });
});
