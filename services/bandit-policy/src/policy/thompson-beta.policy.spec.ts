import { ArmList } from './campaign-policy';
import { FakePosteriors, makeCampaign, offerIds, offerRank } from './policy.fixture';
import { seededRng } from './rng';
import { Sampler } from './sampling';
import { ThompsonBetaPolicy } from './thompson-beta.policy';

function makeThompson(over: Parameters<typeof makeCampaign>[0], posteriors = new FakePosteriors()) {
  const campaign = makeCampaign({ policy: 'thompson_beta', ...over });
  return new ThompsonBetaPolicy(campaign, offerRank(campaign), posteriors);
}

describe('ThompsonBetaPolicy', () => {
  const arm = { offerId: 'a', marginMinor: 1000, redemptionCostMinor: 200, expectedCostMinor: 50 };

  it('values an offer by its sampled incremental profit over showing nothing', () => {
    const policy = makeThompson(
      { arms: [arm], budgetPrice: 0.5 },
      new FakePosteriors().withOffer('a', 30, 70).withBaseline('c1', 10, 90),
    );
    const s = new Sampler(seededRng(1));
    for (let k = 0; k < 50; k++) {
      policy.drawList(s, 1, new ArmList(1));
      const d = policy.details(0);
      expect(d['sampled_value']).toBeCloseTo(
        d['theta_offer']! * 800 - d['theta_baseline']! * 1000 - 25,
        9,
      );
      expect(d['budget_price']).toBe(0.5);
      expect(d['budget_cost']).toBe(25);
    }
  });

  it.each([
    ['conversions' as const, (to: number, t0: number) => to - t0 - 25],
    ['revenue' as const, (to: number, t0: number) => (to - t0) * 1000 - 25],
  ])('maps the %s objective as documented', (objective, value) => {
    const policy = makeThompson({ arms: [arm], budgetPrice: 0.5, objective });
    policy.drawList(new Sampler(seededRng(2)), 1, new ArmList(1));
    const d = policy.details(0);
    expect(d['sampled_value']).toBeCloseTo(value(d['theta_offer']!, d['theta_baseline']!), 9);
  });

  it("adds the campaign's prior on top of the posterior counts", () => {
    const posteriors = new FakePosteriors().withOffer('a', 3, 7).withBaseline('c1', 1, 9);
    const policy = makeThompson(
      { arms: [arm], params: { prior_alpha: 5, prior_beta: 1 } },
      posteriors,
    );
    // Beta(3 + 4, 7 + 0) = Beta(7, 7) for the offer, Beta(5, 9) for the baseline.
    expect(policy.details(0)['mean_value']).toBeCloseTo(0.5 * 800 - (5 / 14) * 1000, 9);
    const s = new Sampler(seededRng(3));
    let sum = 0;
    const n = 4000;
    for (let k = 0; k < n; k++) {
      policy.drawList(s, 1, new ArmList(1));
      sum += policy.details(0)['theta_offer']!;
    }
    // sd of Beta(7, 7) ≈ 0.129.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan((5 * 0.129) / Math.sqrt(n));
  });

  describe('the default prior of an offer (empirical Bayes around showing nothing)', () => {
    // Showing nothing converts at about 6 % (Beta(1 + 5, 1 + 90)).
    const posteriors = () => new FakePosteriors().withBaseline('c1', 6, 91);
    const shownShare = (policy: ThompsonBetaPolicy, seed: number) => {
      const s = new Sampler(seededRng(seed));
      const list = new ArmList(1);
      let shown = 0;
      for (let k = 0; k < 4000; k++) {
        policy.drawList(s, 1, list);
        if (list.length > 0) shown++;
      }
      return shown / 4000;
    };

    it('presumes an untried offer converts like showing nothing, so it is rarely shown', () => {
      const policy = makeThompson({ arms: [arm] }, posteriors());
      const m0 = 6 / 97;
      // Zero uplift: the offer's value is minus its redemption cost.
      expect(policy.details(0)['mean_value']).toBeCloseTo(m0 * 800 - m0 * 1000, 9);
      const list = new ArmList(1);
      policy.greedyList(1, list);
      expect(list.length).toBe(0);
      const share = shownShare(policy, 11);
      // Still explored (the draws are uncertain), but far less than under a flat prior.
      expect(share).toBeGreaterThan(0.05);
      expect(share).toBeLessThan(0.45);
      const flat = makeThompson({ arms: [arm], params: { prior_strength: 0 } }, posteriors());
      expect(shownShare(flat, 11)).toBeGreaterThan(0.85);
    });

    it("yields to the offer's own outcomes", () => {
      // 40 conversions in 100 showings against 6 % without: clearly worth its cost.
      const policy = makeThompson({ arms: [arm] }, posteriors().withOffer('a', 41, 61));
      expect(shownShare(policy, 12)).toBeGreaterThan(0.99);
      // And 2 in 100: clearly not.
      const poor = makeThompson({ arms: [arm] }, posteriors().withOffer('a', 3, 99));
      expect(shownShare(poor, 13)).toBeLessThan(0.1);
    });

    it('is replaced by an explicit prior_alpha/prior_beta', () => {
      const policy = makeThompson(
        { arms: [arm], params: { prior_alpha: 1, prior_beta: 1 } },
        posteriors(),
      );
      // Beta(1, 1) for the untried offer: mean 0.5.
      expect(policy.details(0)['mean_value']).toBeCloseTo(0.5 * 800 - (6 / 97) * 1000, 9);
    });
  });

  it('ranks only the offers whose draw beats showing nothing, best first', () => {
    const posteriors = new FakePosteriors()
      .withOffer('good', 40, 60)
      .withOffer('fair', 25, 75)
      .withOffer('bad', 1, 99)
      .withBaseline('c1', 20, 80);
    const policy = makeThompson(
      {
        arms: [
          { ...arm, offerId: 'bad' },
          { ...arm, offerId: 'fair' },
          { ...arm, offerId: 'good' },
        ],
      },
      posteriors,
    );
    const s = new Sampler(seededRng(4));
    const list = new ArmList(3);
    const firsts = new Map<string, number>();
    for (let k = 0; k < 500; k++) {
      policy.drawList(s, 3, list);
      for (let i = 0; i < list.length; i++) {
        expect(list.value[i]).toBeGreaterThan(0);
        if (i > 0) expect(list.value[i]).toBeLessThanOrEqual(list.value[i - 1]!);
        expect(list.value[i]).toBe(policy.details(list.arm[i]!)['sampled_value']);
      }
      expect(offerIds(policy, list)).not.toContain('bad');
      const first = offerIds(policy, list)[0] ?? '';
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // Both contenders win sometimes: the draw, not the mean, decides.
    expect(firsts.get('good')).toBeGreaterThan(firsts.get('fair') ?? 0);
    expect(firsts.get('fair')).toBeGreaterThan(0);
  });

  it('ranks by posterior means for the greedy list and is not exact', () => {
    const posteriors = new FakePosteriors()
      .withOffer('x', 30, 70)
      .withOffer('y', 35, 65)
      .withBaseline('c1', 20, 80);
    const policy = makeThompson(
      {
        arms: [
          { ...arm, offerId: 'x' },
          { ...arm, offerId: 'y' },
        ],
      },
      posteriors,
    );
    const list = new ArmList(2);
    policy.greedyList(2, list);
    expect(offerIds(policy, list)).toEqual(['y', 'x']);
    expect(policy.exact).toBe(false);
    expect(policy.enumerateLists(2, 1000, () => undefined)).toBe(false);
  });
});
