import { PacingService } from './pacing.service';

describe('PacingService cost calibration', () => {
  const key = 'shop\u0000cmp';
  const budget = 100_000; // prior mass 0.5 % = 500

  it('starts at 1 and moves towards realized over expected cost as decisions settle', () => {
    const sut = new PacingService(0.05);
    expect(sut.costCalibration(key, budget)).toBe(1);
    for (let i = 0; i < 40; i++) {
      sut.onDecision(`d${i}/o`, key, '', 100);
      sut.onReward(`d${i}/o`, key, '', i % 2 === 0 ? 300 : 0); // 150 a decision on average
    }
    // (6000 + 500) / (4000 + 500)
    expect(sut.costCalibration(key, budget)).toBeCloseTo(6500 / 4500, 12);
    expect(sut.settled(key, '').total).toBe(6000);
  });

  it('counts only settled decisions it reserved, and stays within [1/4, 4]', () => {
    const sut = new PacingService(0.05);
    // A reward for a decision another replica made adds to the spend, not to the ratio.
    sut.onReward('elsewhere/o', key, '', 10_000);
    expect(sut.costCalibration(key, budget)).toBe(1);
    // A lapsed reservation never settles: it is not evidence either way.
    sut.onDecision('lapsed/o', key, '', 5_000);
    sut.forget('lapsed/o');
    expect(sut.costCalibration(key, budget)).toBe(1);
    sut.onDecision('big/o', key, '', 100);
    sut.onReward('big/o', key, '', 1_000_000);
    expect(sut.costCalibration(key, budget)).toBe(4);
    sut.onDecision('none/o', 'other', '', 1_000_000);
    sut.onReward('none/o', 'other', '', 0);
    expect(sut.costCalibration('other', budget)).toBe(0.25);
  });
});
