import { BudgetPacer, plannedSpend } from './budget-pacer.service';
import { PolicyErrorCode, PolicyException } from './policy.exception';
import { seededRng } from './rng';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Quiet nights, busy evenings: shares of traffic by UTC hour. */
const PROFILE = [
  1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.2, 1.5, 1.6, 1.6, 1.7, 1.8, 1.7, 1.6, 1.6, 1.7, 1.9, 2.2, 2.5,
  2.4, 2.0, 1.6, 1.2,
];

function makePacer(options: ConstructorParameters<typeof BudgetPacer>[0] = {}) {
  const sut = new BudgetPacer(options);
  sut.track('c', 10_000);
  return { sut };
}

describe('plannedSpend', () => {
  it('spreads the budget evenly over the window by default', () => {
    expect(plannedSpend(1000, 0, DAY, -5)).toBe(0);
    expect(plannedSpend(1000, 0, DAY, 6 * HOUR)).toBeCloseTo(250, 9);
    expect(plannedSpend(1000, 0, DAY, DAY)).toBe(1000);
    expect(plannedSpend(1000, 0, DAY, 2 * DAY)).toBe(1000);
  });

  it('follows an hour-of-day traffic profile', () => {
    // Traffic only in the afternoon, evenly.
    const afternoon = PROFILE.map((_, h) => (h >= 12 && h < 18 ? 1 : 0));
    expect(plannedSpend(600, 0, DAY, 12 * HOUR)).toBeCloseTo(300, 9);
    expect(plannedSpend(600, 0, DAY, 12 * HOUR, afternoon)).toBeCloseTo(0, 9);
    expect(plannedSpend(600, 0, DAY, 13.5 * HOUR, afternoon)).toBeCloseTo(150, 9);
    expect(plannedSpend(600, 0, DAY, 20 * HOUR, afternoon)).toBeCloseTo(600, 9);
  });

  it('works over windows spanning several days and starting mid-hour', () => {
    const start = 10 * DAY + 2.5 * HOUR;
    const end = start + 3 * DAY;
    // Each whole day carries a third of the budget whatever the profile.
    expect(plannedSpend(900, start, end, start + DAY, PROFILE)).toBeCloseTo(300, 9);
    expect(plannedSpend(900, start, end, start + 2 * DAY, PROFILE)).toBeCloseTo(600, 9);
    const early = plannedSpend(900, start, end, start + HOUR, PROFILE);
    // 02:30–03:30 is quiet: 0.5·0.4 + 0.5·0.3 of 3 days' total.
    const dayTotal = PROFILE.reduce((a, b) => a + b, 0);
    expect(early).toBeCloseTo((900 * 0.35) / (3 * dayTotal), 9);
  });

  it('spends evenly when the window holds no traffic at all', () => {
    const nights = PROFILE.map((_, h) => (h < 6 ? 1 : 0));
    expect(plannedSpend(100, 8 * HOUR, 16 * HOUR, 12 * HOUR, nights)).toBeCloseTo(50, 9);
  });

  it('refuses malformed profiles and windows', () => {
    expect(() => plannedSpend(1, 0, DAY, 1, [1, 2])).toThrow(PolicyException);
    expect(() =>
      plannedSpend(
        1,
        0,
        DAY,
        1,
        PROFILE.map((w, h) => (h ? w : -1)),
      ),
    ).toThrow(PolicyException);
    expect(() => plannedSpend(1, 5, 5, 5)).toThrow(PolicyException);
  });
});

describe('BudgetPacer', () => {
  it('raises the price while the campaign spends ahead of its plan', () => {
    const { sut } = makePacer({ eta: 0.1, damping: 0 });
    expect(sut.price('c')).toBe(0);
    // 20 % over a plan of 1000: λ = 0.1·0.2.
    expect(sut.observe('c', 1, 1200, 1000)).toBeCloseTo(0.02, 12);
    expect(sut.observe('c', 2, 1300, 1000)).toBeCloseTo(0.05, 12);
    expect(sut.price('c')).toBeCloseTo(0.05, 12);
  });

  it('lowers the price when spending falls behind, never below zero', () => {
    const { sut } = makePacer({ eta: 0.1, damping: 0 });
    sut.observe('c', 1, 2000, 1000);
    expect(sut.observe('c', 2, 500, 1000)).toBeCloseTo(0.05, 12);
    expect(sut.observe('c', 3, 0, 1000)).toBe(0);
  });

  it('measures the error against 1 % of the budget while the plan is smaller', () => {
    const { sut } = makePacer({ eta: 1, damping: 0 });
    // Plan 10 (≪ 1 % of 10 000 = 100): 50 over counts as 0.5, not 5.
    expect(sut.observe('c', 1, 60, 10)).toBeCloseTo(0.5, 12);
  });

  it('damps by the change of the error since the last observation', () => {
    const { sut } = makePacer({ eta: 0.1, damping: 2 });
    expect(sut.observe('c', 1, 1200, 1000)).toBeCloseTo(0.1 * 0.2 + 2 * 0.2, 12);
    // Same error again: only the η term moves it.
    expect(sut.observe('c', 2, 1200, 1000)).toBeCloseTo(0.42 + 0.02, 12);
    // Error shrinking to 0.1: the damping term pulls back 2·0.1.
    expect(sut.observe('c', 3, 1100, 1000)).toBeCloseTo(0.44 + 0.01 - 0.2, 12);
  });

  it('does not price a narrowing shortfall far behind the plan', () => {
    const { sut } = makePacer({ eta: 0.1, damping: 3, anticipation: 0.2 });
    sut.observe('c', 1, 1200, 1000);
    const priced = sut.price('c');
    // Half the plan, then 60 %: 40 % behind, κ does not raise λ, and η·e lowers it.
    const a = sut.observe('c', 2, 500, 1000);
    const b = sut.observe('c', 3, 600, 1000);
    expect(a).toBeLessThan(priced);
    expect(b).toBeCloseTo(Math.max(0, a - 0.1 * 0.4), 12);
    // Within 20 % of the plan the narrowing is priced again (κ·0.3 > η·0.1).
    expect(sut.observe('c', 4, 900, 1000)).toBeGreaterThan(b);
    expect(() => new BudgetPacer({ anticipation: -1 })).toThrow(PolicyException);
  });

  it('caps the price at maxPrice', () => {
    const { sut } = makePacer({ eta: 100, maxPrice: 3 });
    expect(sut.observe('c', 1, 5000, 100)).toBe(3);
  });

  it('ignores an observation older than the last one', () => {
    const { sut } = makePacer({ eta: 0.1, damping: 0 });
    sut.observe('c', 10, 1200, 1000);
    expect(sut.observe('c', 5, 9000, 1000)).toBeCloseTo(0.02, 12);
  });

  it('prices untracked campaigns at 0 and refuses observations of them', () => {
    const { sut } = makePacer();
    expect(sut.price('other')).toBe(0);
    expect(() => sut.observe('other', 1, 1, 1)).toThrow(
      expect.objectContaining({ code: PolicyErrorCode.UNKNOWN_CAMPAIGN }) as Error,
    );
    sut.untrack('c');
    expect(sut.price('c')).toBe(0);
    expect(() => sut.track('c', 0)).toThrow(PolicyException);
    expect(() => new BudgetPacer({ eta: 0 })).toThrow(PolicyException);
  });

  /**
   * One day of a campaign whose unpriced demand is twice its budget. Every request's offer
   * is worth m × its expected cost, m ~ U(0, 3), so it is shown while m > λ (value minus
   * λ × cost > 0); a redemption (p = 0.1) spends 100. Traffic follows PROFILE.
   */
  function simulateDay(pacer: BudgetPacer | undefined, reportDelayMinutes = 0) {
    const budget = 360_000;
    const rng = seededRng(2024);
    const meanShare = PROFILE.reduce((a, b) => a + b, 0) / 24;
    pacer?.track('c', budget);
    const pending: number[] = new Array<number>(1440 + reportDelayMinutes + 1).fill(0);
    let reported = 0;
    let exhaustedAtHour: number | undefined;
    let worstDeviation = 0;
    for (let minute = 0; minute < 1440; minute++) {
      const requests = Math.round((50 * PROFILE[Math.floor(minute / 60)]!) / meanShare);
      const price = pacer?.price('c') ?? 0;
      for (let r = 0; r < requests; r++) {
        const m = 3 * rng.next();
        if (m - price > 0 && rng.next() < 0.1) {
          const at = minute + Math.floor(rng.next() * (reportDelayMinutes + 1));
          pending[at] = pending[at]! + 100;
        }
      }
      reported += pending[minute]!;
      const nowMs = (minute + 1) * 60_000;
      const plan = plannedSpend(budget, 0, DAY, nowMs, PROFILE);
      pacer?.observe('c', nowMs, reported, plan);
      if (exhaustedAtHour === undefined && reported >= budget) exhaustedAtHour = minute / 60;
      if (minute >= 120)
        worstDeviation = Math.max(worstDeviation, Math.abs(reported - plan) / budget);
    }
    return { endOfDay: reported / budget, exhaustedAtHour, worstDeviation };
  }

  it('keeps a campaign that would run out at mid-day on its plan to the end of the day', () => {
    const unpaced = simulateDay(undefined);
    expect(unpaced.exhaustedAtHour).toBeGreaterThan(10);
    expect(unpaced.exhaustedAtHour).toBeLessThan(16);
    const paced = simulateDay(new BudgetPacer());
    expect(Math.abs(paced.endOfDay - 1)).toBeLessThan(0.03);
    expect(paced.worstDeviation).toBeLessThan(0.05);
  });

  it('stays on plan when redemptions are reported up to half an hour late', () => {
    const paced = simulateDay(new BudgetPacer(), 30);
    expect(Math.abs(paced.endOfDay - 1)).toBeLessThan(0.03);
    expect(paced.worstDeviation).toBeLessThan(0.05);
  });
});
