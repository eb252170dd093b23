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
  it('does not price a campaign more than the floor below its plan', () => {
    const { sut } = makePacer();
    expect(sut.price('c')).toBe(0);
    // Budget 10 000, floor −1.5 %: up to 150 below the plan nothing is priced.
    expect(sut.observe('c', 1, 0, 1000)).toBe(0);
    expect(sut.observe('c', 2, 850, 1000)).toBe(0);
  });

  it('raises the price as the square of the way from the floor to the ceiling', () => {
    const { sut } = makePacer({ floor: -0.02, ceiling: 0.01, rampPrice: 2 });
    // Budget 10 000: floor at plan − 200, ceiling at plan + 100.
    expect(sut.observe('c', 1, 950, 1000)).toBeCloseTo(2 * (150 / 300) ** 2, 12);
    expect(sut.observe('c', 2, 1100, 1000)).toBeCloseTo(2, 12);
    // Past the ceiling it rises on.
    expect(sut.observe('c', 3, 1250, 1000)).toBeCloseTo(2 * (450 / 300) ** 2, 12);
  });

  it('holds no memory: back below the floor, the price is 0 at once', () => {
    const { sut } = makePacer();
    expect(sut.observe('c', 1, 2000, 1000)).toBe(10);
    expect(sut.observe('c', 2, 2000, 2000)).toBeGreaterThan(0);
    expect(sut.observe('c', 3, 2000, 3000)).toBe(0);
  });

  it('refuses a ceiling that is not above the floor', () => {
    expect(() => new BudgetPacer({ floor: 0.01, ceiling: 0.01 })).toThrow(PolicyException);
    expect(() => new BudgetPacer({ rampPrice: 0 })).toThrow(PolicyException);
    expect(() => new BudgetPacer({ floor: Number.NaN })).toThrow(PolicyException);
  });

  it('caps the price at maxPrice', () => {
    const { sut } = makePacer({ maxPrice: 3 });
    expect(sut.observe('c', 1, 5000, 100)).toBe(3);
  });

  it('ignores an observation older than the last one', () => {
    const { sut } = makePacer();
    const priced = sut.observe('c', 10, 1000, 1000);
    expect(priced).toBeGreaterThan(0);
    expect(sut.observe('c', 5, 9000, 1000)).toBe(priced);
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
    expect(() => new BudgetPacer({ maxPrice: -1 })).toThrow(PolicyException);
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
    let worstAbove = 0;
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
      worstAbove = Math.max(worstAbove, (reported - plan) / budget);
    }
    return { endOfDay: reported / budget, exhaustedAtHour, worstDeviation, worstAbove };
  }

  it('keeps a campaign that would run out at mid-day on its plan to the end of the day', () => {
    const unpaced = simulateDay(undefined);
    expect(unpaced.exhaustedAtHour).toBeGreaterThan(10);
    expect(unpaced.exhaustedAtHour).toBeLessThan(16);
    const paced = simulateDay(new BudgetPacer());
    expect(Math.abs(paced.endOfDay - 1)).toBeLessThan(0.03);
    expect(paced.worstDeviation).toBeLessThan(0.05);
    // The plan is a ceiling: never more than 2 % of the budget above it.
    expect(paced.worstAbove).toBeLessThan(0.02);
    expect(unpaced.worstAbove).toBeGreaterThan(0.2);
  });

  it('stays on plan when redemptions are reported up to half an hour late', () => {
    const paced = simulateDay(new BudgetPacer(), 30);
    expect(Math.abs(paced.endOfDay - 1)).toBeLessThan(0.03);
    expect(paced.worstDeviation).toBeLessThan(0.05);
  });
});
