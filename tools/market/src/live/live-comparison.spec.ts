import type { SessionOutcome } from '../market';
import type { TruthAnswer } from '../outcome-model';
import { ActionQueue } from './action-queue';
import { ArmLedger, type ArmFigures } from './arm-ledger';
import { renderTable } from '../report';
import {
  benchLine,
  checkTargets,
  marketRunReport,
  pairedDelta,
  type MarketRun,
} from './live-comparison';
import { TimeWarp } from './time-warp';

const outcome = (profitMinor: number): SessionOutcome => ({
  decisionId: 'd',
  offerId: undefined,
  campaignId: undefined,
  clicked: false,
  purchased: profitMinor > 0,
  redeemed: false,
  orderId: undefined,
  orderTimeMs: undefined,
  revenueMinor: profitMinor * 3,
  cogsMinor: profitMinor * 2,
  marginMinor: profitMinor,
  discountMinor: 0,
  offerCostMinor: 0,
  profitMinor,
  flashUnits: 0,
  refundAtMs: undefined,
  refundEventIds: [],
  pBuy: 0.5,
  pBuyNoOffer: 0.5,
  eventIds: [],
});
const truth = (incrementalProfit: number): TruthAnswer => ({
  userType: 'persuadable',
  pBuyNoOffer: 0.1,
  pBuy: 0.5,
  effect: null,
  incrementalProfit,
});

/** An arm that earned `values[i]` of true incremental profit at session i. */
function arm(name: string, values: readonly number[]): ArmFigures {
  const l = new ArmLedger(name, 'live', { warmupEndMs: 5, flashStock: new Map() });
  values.forEach((v, i) => {
    l.cartSession(`s${i}`, 'u', i, outcome(0));
    l.decision({
      sessionId: `s${i}`,
      userId: 'u',
      timeMs: i,
      holdout: false,
      offerId: 'o',
      truth: truth(v),
      outcome: outcome(0),
    });
  });
  return l.figures();
}

describe('paired comparisons between arms', () => {
  it('sum the per-session differences, with an interval from their spread', () => {
    const a = arm('a', [10, 12, 9, 11, 10, 12, 9, 11]);
    const b = arm('b', [0, 1, -1, 0, 1, 0, -1, 0]);
    const d = pairedDelta(a, b, 'trueIncMinor');
    expect(d.value).toBe(84);
    expect(d.lo).toBeGreaterThan(0);
    expect(d.hi).toBeGreaterThan(d.value);
    expect(pairedDelta(a, b, 'trueIncMinor', 5).value).toBe(12 + 9 + 11 - 0 + 1);
  });

  it('count "after warm-up" from the warm-up end on', () => {
    expect(arm('a', [1, 1, 1, 1, 1, 1, 1]).trueAfterWarmupMinor).toBe(2);
  });
});

describe('the holdout lift', () => {
  it('compares treated and holdout users over their campaign-time cart sessions, capped ones included', () => {
    const l = new ArmLedger('a', 'live', {
      warmupEndMs: 0,
      flashStock: new Map(),
      liftWindowMs: [0, 100],
    });
    for (let i = 0; i < 40; i++) {
      const user = `${i % 2 === 0 ? 't' : 'c'}${i % 8}`;
      const treated = user.startsWith('t');
      const profit = treated ? 1000 + (i % 4) : 800;
      l.cartSession(`s${i}`, user, i, outcome(profit));
      // Treated users' later sessions are capped: no decision, still in the lift.
      if (i < 16 || !treated)
        l.decision({
          sessionId: `s${i}`,
          userId: user,
          timeMs: i,
          holdout: !treated,
          offerId: treated ? 'o' : null,
          truth: truth(treated ? 400 : 0),
          outcome: outcome(profit),
        });
    }
    l.cartSession('late', 't0', 150, outcome(5000));
    const f = l.figures();
    expect(f.holdoutUsers).toBe(4);
    // 5 sessions per user: treated 5 × 1001 on average, holdout 5 × 800.
    expect(f.liftProfitPerUserMinor.value).toBeCloseTo(5 * 1001 - 5 * 800, 6);
    expect(f.liftOrdersPerUser.value).toBe(0);
    // Two decided sessions of 400 per treated user.
    expect(f.truthLiftPerUserMinor).toBe(800);
  });
});

const settings: MarketRun['settings'] = {
  scenario: 't',
  seed: 1,
  users: 8,
  currency: 'EUR',
  simStartMs: 0,
  simEndMs: 10,
  speedup: 100,
  warmupEndMs: 0,
  totalBudgetMinor: 0,
  budgetPlan: [],
  flashStock: {},
  notes: [],
};

describe('the report', () => {
  it('says by latent type where each arm earned and where it lost', () => {
    const text = renderTable(
      marketRunReport({ settings, arms: [arm('oracle', [250, 250]), arm('b', [-300, 100])] }),
    );
    const table = text.slice(text.indexOf('True incremental profit by the users’ latent type'));
    expect(table).toMatch(
      /sure thing \(EUR\)\s+persuadable \(EUR\)\s+sleeping dog \(EUR\)\s+lost cause/,
    );
    // arm() books every decision to a persuadable.
    expect(table).toMatch(/oracle \(live\)\s+0\.00\s+5\.00\s+0\.00\s+0\.00/);
    expect(table).toMatch(/b \(live\)\s+0\.00\s+-2\.00\s+0\.00\s+0\.00/);
  });
});

describe('the targets', () => {
  it('compare offerstream’s best arm with the oracle, the baselines and VW', () => {
    const run: MarketRun = {
      settings,
      arms: [
        arm('oracle', [10, 10, 10, 10, 10, 10, 10, 10]),
        arm('random-offer', [-5, -4, -6, -5, -5, -4, -6, -5]),
        arm('offerstream-thompson', [9, 10, 9, 10, 9, 10, 9, 10]),
        arm('vw-cb-explore-adf', [1, 2, 0, 1, 2, 0, 1, 1]),
      ],
    };
    const checks = checkTargets(run);
    expect(checks[0]!.measured).not.toContain('type oracle');
    const withTypeOracle = checkTargets({
      ...run,
      arms: [...run.arms, arm('type-oracle', [7, 7, 7, 7, 7, 7, 7, 7])],
    });
    expect(withTypeOracle[0]!.measured).toContain('the type oracle');
    expect(withTypeOracle[0]!.measured).toContain('70.0');
    expect(
      benchLine({ ...run, arms: [...run.arms, arm('type-oracle', [7, 7, 7, 7, 7, 7, 7, 7])] }),
    ).toContain('type_oracle_vs_oracle=0.700');
    expect(benchLine(run)).toContain('type_oracle_vs_oracle=nan');
    expect(checks.map((c) => [c.target.slice(0, 20), c.met])).toEqual([
      ['≥ 90 % of the oracle', true],
      ['beats random-offer b', true],
      ['never oversells stoc', true],
      ['at least as good as ', true],
    ]);
  });
});

describe('the live driver’s clock and agenda', () => {
  it('maps simulated time onto real time at the speed-up', () => {
    const w = new TimeWarp(1000, 50, 3600);
    expect(w.toReal(1000 + 3_600_000)).toBe(1050);
    expect(w.toSim(w.toReal(123_456))).toBeCloseTo(123_456);
  });

  it('runs due actions in time order, ties in insertion order', () => {
    const q = new ActionQueue();
    const seen: string[] = [];
    for (const [at, name] of [
      [3, 'c'],
      [1, 'a'],
      [2, 'b1'],
      [2, 'b2'],
      [9, 'z'],
    ] as const)
      q.push(at, () => seen.push(name));
    for (let run = q.popDue(5); run; run = q.popDue(5)) run();
    expect(seen).toEqual(['a', 'b1', 'b2', 'c']);
    expect(q.size).toBe(1);
    expect(q.nextAt).toBe(9);
  });
});
