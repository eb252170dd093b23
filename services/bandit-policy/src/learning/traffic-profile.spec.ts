import { trafficShares, type HourlyDecisions } from './traffic-profile';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 4, 12);

/** `perHour[h]` decisions of `shopId` at UTC hour h, the first `ageMs` before NOW. */
function rows(shopId: string, perHour: readonly number[], ageMs: number): HourlyDecisions[] {
  return perHour.map((decisions, hour) => ({ shopId, hour, decisions, firstMs: NOW - ageMs }));
}

describe('trafficShares', () => {
  it('gives each hour its share of the decisions, plus the even share, summing to 1', () => {
    // An evening shop: 40 an hour from 18:00 to 22:00, 8 an hour otherwise.
    const counts = Array.from({ length: 24 }, (_, h) => (h >= 18 && h < 22 ? 40 : 8));
    const total = 4 * 40 + 20 * 8;
    const got = trafficShares(rows('s', counts, 2 * 24 * HOUR), NOW).get('s');
    expect(got).toHaveLength(24);
    expect(got!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(got![19]).toBeCloseTo(0.9 * (40 / total) + 0.1 / 24, 12);
    expect(got![3]).toBeCloseTo(0.9 * (8 / total) + 0.1 / 24, 12);
  });

  it('keeps an even share in hours that never had traffic', () => {
    const counts = Array.from({ length: 24 }, (_, h) => (h === 20 ? 500 : 0));
    const got = trafficShares(rows('s', counts, 3 * 24 * HOUR), NOW, { evenShare: 0.2 }).get('s')!;
    expect(got[4]).toBeCloseTo(0.2 / 24, 12);
    expect(got[20]).toBeCloseTo(0.8 + 0.2 / 24, 12);
  });

  it('leaves out shops whose decisions are too recent or too few to show a day', () => {
    const busy = Array.from({ length: 24 }, () => 20);
    const got = trafficShares(
      [
        ...rows('young', busy, 23 * HOUR),
        ...rows(
          'sparse',
          busy.map(() => 5),
          5 * 24 * HOUR,
        ),
        ...rows('ok', busy, 24 * HOUR),
      ],
      NOW,
    );
    expect([...got.keys()]).toEqual(['ok']);
    // The rules can be loosened.
    expect(trafficShares(rows('young', busy, HOUR), NOW, { minSpanMs: HOUR }).has('young')).toBe(
      true,
    );
  });

  it('adds up rows of the same hour, ignores rows that are not an hour of the day or a count', () => {
    const got = trafficShares(
      [
        { shopId: 's', hour: 5, decisions: 200, firstMs: NOW - 2 * 24 * HOUR },
        { shopId: 's', hour: 5, decisions: 100, firstMs: NOW - HOUR },
        { shopId: 's', hour: 24, decisions: 1000, firstMs: NOW - HOUR },
        { shopId: 's', hour: 1.5, decisions: 1000, firstMs: NOW - HOUR },
        { shopId: 's', hour: 7, decisions: Number.NaN, firstMs: NOW - HOUR },
      ],
      NOW,
      { evenShare: 0 },
    ).get('s')!;
    expect(got[5]).toBe(1);
    expect(got.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('rejects an even share outside [0, 1]', () => {
    expect(() => trafficShares([], NOW, { evenShare: 1.5 })).toThrow(RangeError);
    expect(() => trafficShares([], NOW, { evenShare: -0.1 })).toThrow(RangeError);
  });
});
