import { TimeWarp } from './time-warp';

describe('TimeWarp', () => {
  it('maps simulated onto real time at one speed-up without a fast-forward', () => {
    const w = new TimeWarp(1_000, 50, 3600);
    expect(w.toReal(1_000 + 3600 * 10)).toBe(60);
    expect(w.toSim(60)).toBe(1_000 + 3600 * 10);
    expect(w.realDuration(7200)).toBe(2);
  });

  it('runs the fast-forwarded history faster and the rest at the phase speed-up', () => {
    // 1,000 simulated ms of history at 400 per real ms (2.5 ms real), then 100 per real ms.
    const w = new TimeWarp(0, 10, 100, { untilSimMs: 1_000, speedup: 400 });
    expect(w.toReal(0)).toBe(10);
    expect(w.toReal(400)).toBe(11);
    expect(w.toReal(1_000)).toBe(12.5);
    expect(w.toReal(1_100)).toBe(13.5);
    expect(w.realSpan(2_000)).toBe(12.5);
    // Durations are the campaign part's.
    expect(w.realDuration(1_000)).toBe(10);
    for (const sim of [0, 250, 999, 1_000, 1_001, 5_000])
      expect(w.toSim(w.toReal(sim))).toBeCloseTo(sim, 9);
  });

  it('is monotonic across the switch', () => {
    const w = new TimeWarp(0, 0, 2070, { untilSimMs: 84 * 3_600_000, speedup: 8280 });
    let last = -Infinity;
    for (let h = 0; h <= 132; h += 0.5) {
      const r = w.toReal(h * 3_600_000);
      expect(r).toBeGreaterThan(last);
      last = r;
    }
  });

  it('rejects speed-ups that are not positive', () => {
    expect(() => new TimeWarp(0, 0, 0)).toThrow(/speed-up/);
    expect(() => new TimeWarp(0, 0, 10, { untilSimMs: 5, speedup: -1 })).toThrow(/fast-forward/);
  });
});
