import { PosteriorStore, type LearnedReward } from './posterior-store.service';

const x = [1, 0.5, 0, 0, 0.2, 0, 0, 0, 0, 0, 0, 0];

function reward(over: Partial<LearnedReward> = {}): LearnedReward {
  return {
    rewardId: 'd1:1',
    shopId: 's',
    revision: 1,
    campaignId: 'c',
    offerId: 'o',
    segment: 'new/low',
    purchased: true,
    value: 300,
    x,
    ...over,
  };
}

describe('PosteriorStore', () => {
  it('learns a reward once, however often it is delivered', () => {
    const s = new PosteriorStore();
    expect(s.learn(reward())).toBe(true);
    expect(s.learn(reward())).toBe(false);
    expect(s.forShop('s').offerConversion('c', 'o', 'new/low')).toEqual({ alpha: 2, beta: 1 });
    expect(s.forShop('s').linear('c', 'o').count).toBe(1);
    expect(s.count).toBe(1);
  });

  it('replaces a reward’s contribution with its later revision (a refund)', () => {
    const s = new PosteriorStore();
    s.learn(reward());
    const before = s.forShop('s').linear('c', 'o').mean();
    expect(s.learn(reward({ revision: 2, purchased: false, value: 0 }))).toBe(true);
    expect(s.forShop('s').offerConversion('c', 'o', 'new/low')).toEqual({ alpha: 1, beta: 2 });
    expect(s.forShop('s').linear('c', 'o').count).toBe(1);
    const after = s.forShop('s').linear('c', 'o').mean();
    // θ̂ = A⁻¹ b with b = r·x: a reward of 0 leaves θ̂ at 0.
    expect(after.every((v) => Math.abs(v) < 1e-12)).toBe(true);
    expect(before.some((v) => Math.abs(v) > 1)).toBe(true);
    expect(s.learn(reward({ revision: 1 }))).toBe(false);
  });

  it('counts control rewards as the baseline of showing nothing, per segment', () => {
    const s = new PosteriorStore();
    s.learn(reward({ rewardId: 'd2:0:c', offerId: '', purchased: true, x: [] }));
    s.learn(reward({ rewardId: 'd3:0:c', offerId: '', purchased: false, x: [] }));
    expect(s.forShop('s').baselineConversion('c', 'new/low')).toEqual({ alpha: 2, beta: 2 });
    expect(s.forShop('s').baselineConversion('c', 'returning/top')).toEqual({ alpha: 1, beta: 1 });
    expect(s.forShop('s').offerConversion('c', 'o', 'new/low')).toEqual({ alpha: 1, beta: 1 });
  });

  it('keeps the mean reward of showing nothing per segment, following revisions', () => {
    const s = new PosteriorStore();
    const view = () => s.forShop('s');
    expect(view().baselineValue('c', 'new/low')).toBe(0);
    s.learn(reward({ rewardId: 'd2:0:c', offerId: '', purchased: true, value: 900, x: [] }));
    s.learn(reward({ rewardId: 'd3:0:c', offerId: '', purchased: false, value: 0, x: [] }));
    expect(view().baselineValue('c', 'new/low')).toBe(450);
    // A refund revises d2's reward to −100: the mean follows, the count does not grow.
    s.learn(
      reward({
        rewardId: 'd2:0:c',
        revision: 2,
        offerId: '',
        purchased: true,
        value: -100,
        x: [],
      }),
    );
    expect(view().baselineValue('c', 'new/low')).toBe(-50);
    // Offer rewards and other segments and shops are apart.
    s.learn(reward({ rewardId: 'd4:1', value: 5000 }));
    expect(view().baselineValue('c', 'new/low')).toBe(-50);
    expect(view().baselineValue('c', 'returning/top')).toBe(0);
    expect(s.forShop('other').baselineValue('c', 'new/low')).toBe(0);
  });

  it('forgets the oldest reward ids beyond its bound but keeps every sum', () => {
    const s = new PosteriorStore(1, 2);
    for (let i = 0; i < 5; i++) s.learn(reward({ rewardId: `d${i}:1` }));
    expect(s.forShop('s').offerConversion('c', 'o', 'new/low').alpha).toBe(6);
    expect(s.count).toBe(5);
  });
});

it('keeps what one shop learned away from another shop with the same campaign id', () => {
  const s = new PosteriorStore();
  s.learn(reward({ shopId: 'a' }));
  expect(s.forShop('a').offerConversion('c', 'o', 'new/low').alpha).toBe(2);
  expect(s.forShop('b').offerConversion('c', 'o', 'new/low').alpha).toBe(1);
});
