import { PolicyException } from './policy.exception';
import { FakePosteriors, linearWithMean, makeCampaign, makeRequest } from './policy.fixture';
import { type CampaignArms } from './policy.types';
import { childRng, seededRng } from './rng';
import { decideSlate, EXACT_STATE_CAP, slateDistribution } from './slate';

function offers(decision: ReturnType<typeof decideSlate>): string[] {
  return decision.slots.map((s) => s.arm.offerId);
}

describe('decideSlate', () => {
  it("merges the campaigns' lists by value, keeping each campaign's own order", () => {
    const posteriors = new FakePosteriors()
      .withLinear('b1', linearWithMean([30], 1e6))
      .withLinear('b2', linearWithMean([5], 1e6));
    const fixed = makeCampaign({
      campaignId: 'A',
      policy: 'fixed_rule',
      arms: [
        { offerId: 'a1', modelValue: 1 },
        { offerId: 'a2', modelValue: 50 },
      ],
    });
    const ucb = makeCampaign({
      campaignId: 'B',
      policy: 'lin_ucb',
      params: { alpha: 0 },
      arms: [{ offerId: 'b2' }, { offerId: 'b1' }],
    });
    const d = decideSlate(makeRequest([fixed, ucb], { posteriors, slots: 4 }));
    // a2 is worth most but the fixed rule shows a1 first, so a2 waits behind it.
    expect(offers(d)).toEqual(['b1', 'b2', 'a1', 'a2']);
    expect(d.slots.map((s) => s.rank)).toEqual([1, 2, 3, 4]);
    for (const s of d.slots) {
      expect(s.propensity).toBe(1);
      expect(s.method).toBe('deterministic');
      expect(s.samples).toBe(0);
    }
    expect(d.noOfferPropensity).toBe(0);
    expect(d.slots[0]!.value).toBeCloseTo(30, 4);
  });

  it('breaks ties in value by campaignId, then offerId', () => {
    const campaign = (campaignId: string, offerId: string) =>
      makeCampaign({ campaignId, policy: 'fixed_rule', arms: [{ offerId, modelValue: 7 }] });
    const d = decideSlate(
      makeRequest([campaign('cB', 'a'), campaign('cA', 'z'), campaign('cA2', 'b')], { slots: 3 }),
    );
    expect(offers(d)).toEqual(['z', 'b', 'a']);
  });

  it('answers with nothing, with certainty, when no offer beats showing nothing', () => {
    const posteriors = new FakePosteriors().withLinear('x', linearWithMean([-3], 100));
    const campaign = makeCampaign({ policy: 'lin_ucb', arms: [{ offerId: 'x' }] });
    const d = decideSlate(makeRequest([campaign], { posteriors, slots: 2 }));
    expect(d.slots).toEqual([]);
    expect(d.noOfferPropensity).toBe(1);
    expect(d.selectionProbability).toEqual(new Map([['x', 0]]));
  });

  it('logs exact propensities equal to the enumerated distribution', () => {
    const campaign = makeCampaign({
      policy: 'epsilon_greedy',
      params: { epsilon: 0.3 },
      arms: [
        { offerId: 'o0', modelValue: 5 },
        { offerId: 'o1', modelValue: 2 },
      ],
    });
    const req = (seed: number) => makeRequest([campaign], { slots: 2, rng: seededRng(seed) });
    const dist = slateDistribution(req(0));
    expect(dist.method).toBe('exact');
    for (let seed = 0; seed < 50; seed++) {
      const d = decideSlate(req(seed));
      d.slots.forEach((s, k) => {
        expect(s.method).toBe('exact');
        expect(s.propensity).toBeCloseTo(dist.slotProbability[k]!.get(s.arm.offerId)!, 12);
        expect(s.details['epsilon']).toBe(0.3);
      });
      expect(d.noOfferPropensity).toBeCloseTo(dist.noOfferProbability, 12);
      for (const [offerId, p] of dist.selectionProbability) {
        expect(d.selectionProbability.get(offerId)).toBeCloseTo(p, 12);
        // Offers are never repeated, so "in any slot" sums the slots.
        expect(p).toBeCloseTo(
          dist.slotProbability[0]!.get(offerId)! + dist.slotProbability[1]!.get(offerId)!,
          12,
        );
      }
    }
  });

  it('estimates propensities by Monte Carlo when a Thompson policy takes part', () => {
    const campaign = makeCampaign({
      policy: 'thompson_beta',
      arms: [{ offerId: 'a' }, { offerId: 'b' }],
      // A flat prior: untried offers are shown (the subject here is the estimate).
      params: { prior_strength: 0 },
    });
    const d = decideSlate(makeRequest([campaign], { propensitySamples: 300, rng: seededRng(3) }));
    expect(d.slots).toHaveLength(1);
    expect(d.slots[0]!.method).toBe('monte_carlo');
    expect(d.slots[0]!.samples).toBe(300);
    expect(d.slots[0]!.details['sampled_value']).toBe(d.slots[0]!.value);
    expect(d.slots[0]!.details['theta_offer']).toBeGreaterThan(0);
    // Counting 300 draws: every estimate is a multiple of 1/300.
    const p = d.slots[0]!.propensity * 300;
    expect(Math.abs(p - Math.round(p))).toBeLessThan(1e-9);
  });

  it('falls back to Monte Carlo when exact enumeration would pass the cap', () => {
    const campaign = makeCampaign({
      policy: 'epsilon_greedy',
      arms: Array.from({ length: 12 }, (_, i) => ({ offerId: `o${i}`, modelValue: i + 1 })),
    });
    // 12·11·10·9·8 lists of five offers alone exceed the cap.
    expect(12 * 11 * 10 * 9 * 8).toBeGreaterThan(EXACT_STATE_CAP);
    const d = decideSlate(makeRequest([campaign], { slots: 5, propensitySamples: 64 }));
    expect(d.slots.every((s) => s.method === 'monte_carlo' && s.samples === 64)).toBe(true);
    expect(decideSlate(makeRequest([campaign], { slots: 2 })).slots[0]!.method).toBe('exact');
  });

  it('keeps the Monte-Carlo propensity of what was chosen at 1/(samples + 1) or more', () => {
    const campaign = makeCampaign({
      policy: 'thompson_beta',
      arms: ['a', 'b', 'c', 'd', 'e'].map((offerId) => ({ offerId })),
    });
    let floored = 0;
    for (let seed = 0; seed < 100; seed++) {
      const d = decideSlate(
        makeRequest([campaign], { propensitySamples: 1, rng: childRng(5, seed) }),
      );
      for (const s of d.slots) {
        expect(s.propensity).toBeGreaterThanOrEqual(0.5);
        expect(d.selectionProbability.get(s.arm.offerId)).toBeGreaterThanOrEqual(s.propensity);
        if (s.propensity === 0.5) floored++;
      }
      if (d.slots.length === 0) expect(d.noOfferPropensity).toBeGreaterThanOrEqual(0.5);
    }
    // With one re-draw over five offers, most chosen offers were not re-drawn.
    expect(floored).toBeGreaterThan(20);
  });

  it('marks a slot explored exactly when it differs from the means-only choice', () => {
    const campaign = makeCampaign({
      policy: 'epsilon_greedy',
      params: { epsilon: 1 },
      arms: [
        { offerId: 'best', modelValue: 5 },
        { offerId: 'other', modelValue: 3 },
      ],
    });
    const seen = new Set<string>();
    for (let seed = 0; seed < 60; seed++) {
      const d = decideSlate(makeRequest([campaign], { rng: childRng(6, seed) }));
      const chosen = d.slots[0]?.arm.offerId ?? '';
      seen.add(chosen);
      if (d.slots[0]) expect(d.slots[0].explored).toBe(chosen !== 'best');
    }
    expect(seen).toEqual(new Set(['best', 'other', '']));
  });

  it('counts an optimistic LinUCB choice as explored although it is certain', () => {
    const posteriors = new FakePosteriors()
      .withLinear('sure', linearWithMean([5], 1e4))
      .withLinear('unsure', linearWithMean([8], 1));
    const campaign = makeCampaign({
      policy: 'lin_ucb',
      params: { alpha: 2 },
      arms: [{ offerId: 'sure' }, { offerId: 'unsure' }],
    });
    const d = decideSlate(makeRequest([campaign], { posteriors }));
    expect(d.slots[0]!.arm.offerId).toBe('unsure');
    expect(d.slots[0]!.explored).toBe(true);
    expect(d.slots[0]!.method).toBe('deterministic');
    expect(d.slots[0]!.details['ucb_bonus']).toBeCloseTo(2 * Math.sqrt(0.5), 9);
  });

  it('replays the same decision and propensities from the same seed', () => {
    const campaigns = [
      makeCampaign({
        campaignId: 'A',
        policy: 'thompson_beta',
        arms: [{ offerId: 'a1' }, { offerId: 'a2' }],
      }),
      makeCampaign({
        campaignId: 'B',
        policy: 'square_cb',
        arms: [{ offerId: 'b1', modelValue: 1 }],
      }),
    ];
    const run = () => decideSlate(makeRequest(campaigns, { slots: 2, rng: seededRng(77) }));
    expect(run()).toEqual(run());
  });

  it('computes the same exact distribution whatever order campaigns and arms arrive in', () => {
    const a = makeCampaign({
      campaignId: 'A',
      policy: 'square_cb',
      params: { gamma: 3 },
      arms: [
        { offerId: 'a1', modelValue: 4 },
        { offerId: 'a2', modelValue: 4 },
        { offerId: 'a3', modelValue: 1 },
      ],
    });
    const b = makeCampaign({
      campaignId: 'B',
      policy: 'epsilon_greedy',
      arms: [
        { offerId: 'b1', modelValue: 4 },
        { offerId: 'b2', modelValue: 2 },
      ],
    });
    const reversed = (c: CampaignArms): CampaignArms => ({ ...c, arms: [...c.arms].reverse() });
    const one = slateDistribution(makeRequest([a, b], { slots: 2 }));
    const two = slateDistribution(makeRequest([reversed(b), reversed(a)], { slots: 2 }));
    for (let k = 0; k < 2; k++) {
      for (const [offerId, p] of one.slotProbability[k]!) {
        expect(two.slotProbability[k]!.get(offerId)).toBeCloseTo(p, 12);
      }
    }
  });

  it('skips campaigns without arms', () => {
    const empty = makeCampaign({ campaignId: 'E', policy: 'thompson_beta', arms: [] });
    const fixed = makeCampaign({ policy: 'fixed_rule', arms: [{ offerId: 'f' }] });
    const d = decideSlate(makeRequest([empty, fixed]));
    expect(offers(d)).toEqual(['f']);
    expect(d.slots[0]!.method).toBe('deterministic');
  });

  it('refuses malformed requests', () => {
    const ok = makeCampaign({ policy: 'fixed_rule', arms: [{ offerId: 'x' }] });
    expect(() => decideSlate(makeRequest([ok], { slots: 0 }))).toThrow(PolicyException);
    expect(() => decideSlate(makeRequest([ok], { slots: 11 }))).toThrow(PolicyException);
    expect(() => decideSlate(makeRequest([ok], { slots: 1.5 }))).toThrow(PolicyException);
    expect(() => decideSlate(makeRequest([ok, ok]))).toThrow(/given twice/);
    expect(() => decideSlate(makeRequest([{ ...ok, campaignId: 'other' }]))).toThrow(
      /listed under campaign other/,
    );
    expect(() => decideSlate(makeRequest([{ ...ok, budgetPrice: -1 }]))).toThrow(PolicyException);
    const thompson = makeCampaign({ policy: 'thompson_beta', arms: [{ offerId: 't' }] });
    expect(() => decideSlate(makeRequest([thompson], { propensitySamples: 0 }))).toThrow(
      /propensitySamples is 0/,
    );
  });
});
