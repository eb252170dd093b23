import { Market } from '../market';
import type { MarketEvent } from '../market-event';
import { basketMargin } from '../outcome-model';
import { campaignsAt, loadScenario, withHistory, withOverrides } from '../scenario';
import { ArmLedger } from './arm-ledger';
import type { EventPublisher } from './event-publisher.adapter';
import { cartPageAt, decisionTruthRow, LiveArmDriver, type LiveDecider } from './live-arm';
import { TimeWarp } from './time-warp';

describe('cartPageAt', () => {
  // 1,800 simulated ms per real ms: a minute of the session is 33 ms real.
  const warp = new TimeWarp(0, 1_000_000, 1800);
  const at = (timeMs: number) => ({ timeMs }) as MarketEvent;
  const session = { events: [at(0), at(60_000), at(120_000), at(3_600_000)] };

  it('asks at the decision point when the gap is 0 (compressed time as it is)', () => {
    expect(cartPageAt(session, { timeMs: 180_000 }, warp, 0)).toBe(warp.toReal(180_000));
  });

  it('asks no sooner than the gap after the last event before the decision point', () => {
    // The add-to-cart at 2 min sim is 66.7 ms real after the start; the point at 3 min
    // 100 ms: a 1 s gap moves the request to 1,066.7 ms. The event after the point (the
    // purchase an hour later) does not count.
    expect(cartPageAt(session, { timeMs: 180_000 }, warp, 1000)).toBeCloseTo(
      warp.toReal(120_000) + 1000,
      6,
    );
  });

  it('keeps a decision point that is already later than the gap', () => {
    const late = { timeMs: 120_000 + 1800 * 5000 }; // 5 s real after the last event
    expect(cartPageAt(session, late, warp, 1000)).toBe(warp.toReal(late.timeMs));
  });

  it('uses the decision point when the session has no event before it', () => {
    expect(cartPageAt({ events: [] }, { timeMs: 60_000 }, warp, 1000)).toBe(warp.toReal(60_000));
  });
});

describe('decisionTruthRow', () => {
  it("values every campaign offer on the decision's basket with the ground truth", () => {
    const scenario = withOverrides(loadScenario('double-11'), { users: 200 });
    const market = new Market(scenario, scenario.epochMs);
    const offers = campaignsAt(scenario, scenario.epochMs).flatMap((c) => c.offers);
    let checked = 0;
    for (let s = market.nextSession(); s && checked < 20; s = market.nextSession()) {
      const point = s.decisionPoint;
      market.completeSession(s, null);
      if (!point) continue;
      const row = decisionTruthRow({ name: 'arm-x', market }, s.userId, point, `d-${checked}`, {
        holdout: false,
        offerId: null,
        userType: market.population.byId.get(s.userId)!.type,
      });
      expect(Object.keys(row.truthByOffer).sort()).toEqual(offers.map((o) => o.offerId).sort());
      for (const o of offers)
        expect(row.truthByOffer[o.offerId]).toBe(
          market.truth.evaluate(s.userId, point.basket, o).incrementalProfit,
        );
      expect(row).toMatchObject({
        arm: 'arm-x',
        decisionId: `d-${checked}`,
        userId: s.userId,
        simTimeMs: point.timeMs,
        cartValueMinor: point.basket.subtotalMinor,
        cartMarginMinor: basketMargin(point.basket),
      });
      checked++;
    }
    expect(checked).toBe(20);
  });
});

describe('LiveArmDriver with a fast-forwarded history', () => {
  it('asks nothing before the first campaign and every cart page after it', async () => {
    const scenario = withHistory(withOverrides(loadScenario('double-11'), { users: 60 }), 24);
    const start = scenario.epochMs;
    const firstMs = campaignsAt(scenario, start)[0]!.schedule!.startTime!.getTime();
    expect(firstMs).toBeGreaterThan(start + 24 * 3_600_000);
    const asked: number[] = [];
    let n = 0;
    const decider: LiveDecider = {
      policy: 'test',
      decide: (_s, point) => {
        asked.push(point.timeMs);
        return Promise.resolve({
          decided: true,
          decisionId: `d-${n++}`,
          offer: null,
          holdout: false,
        });
      },
      facts: () => ({
        requests: 0,
        errors: 0,
        degraded: 0,
        latencyP50Ms: 0,
        latencyP99Ms: 0,
        models: [],
      }),
    };
    const market = new Market(scenario, start);
    const ledger = new ArmLedger('a', 'live', { warmupEndMs: start, flashStock: new Map() });
    const rows: string[] = [];
    const publisher = { publish: () => undefined } as unknown as EventPublisher;
    // The whole run in well under a second of real time.
    const warp = new TimeWarp(start, Date.now(), 2e6, { untilSimMs: firstMs, speedup: 8e6 });
    await new LiveArmDriver(
      {
        name: 'a',
        market,
        decider,
        ledger,
        windowSimMs: 0,
        decisionLog: (r) => rows.push(r.decisionId),
        asksFromSimMs: firstMs,
      },
      warp,
      publisher,
      100,
      1000,
    ).run();
    expect(asked.length).toBeGreaterThan(0);
    expect(Math.min(...asked)).toBeGreaterThanOrEqual(firstMs);
    // Cart pages of the history were sessions all the same: their orders are booked.
    expect(ledger.progress.decisions).toBe(asked.length);
    expect(rows).toHaveLength(asked.length);
    expect(ledger.progress.orders).toBeGreaterThan(0);
  });
});
