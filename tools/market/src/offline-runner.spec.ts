import { compareArms, comparisonReport, type ArmResult } from './offline-runner';
import { liveEquivalent } from './live';
import { renderTable } from './report';
import { loadScenario, withHistory } from './scenario';

describe('the offline runner on the default scenario', () => {
  const comparison = compareArms({ scenario: loadScenario() });
  const arm = (name: string): ArmResult => comparison.arms.find((a) => a.name === name)!;

  it('runs the six arms on the same stream', () => {
    expect(comparison.arms.map((a) => a.name)).toEqual([
      'no-promotion',
      'random-offer',
      'blanket-10pct',
      'rule-based',
      'oracle',
      'type-oracle',
    ]);
    // The same users, arrivals and holdout: every arm meets the same held-out decisions.
    expect(new Set(comparison.arms.map((a) => a.holdoutDecisions)).size).toBe(1);
    expect(arm('no-promotion').incrementalProfitMinor).toBe(0);
    expect(arm('no-promotion').offersShown).toBe(0);
  });

  it('lets the oracle earn at least as much true incremental profit as every other arm', () => {
    const oracle = arm('oracle').trueIncrementalProfitMinor;
    expect(oracle).toBeGreaterThan(0);
    for (const a of comparison.arms) {
      expect(oracle).toBeGreaterThanOrEqual(a.trueIncrementalProfitMinor);
      expect(a.regretMinor).toBeGreaterThanOrEqual(0);
    }
  });

  it('shows that a blanket discount loses money on sure things', () => {
    expect(arm('blanket-10pct').trueIncrementalProfitByType.sure_thing).toBeLessThan(0);
    expect(arm('oracle').trueIncrementalProfitByType.sure_thing).toBe(0);
  });

  it('confirms the oracle’s lift against the holdout group', () => {
    const lift = arm('oracle').liftProfitPerDecisionMinor;
    expect(lift.lo).toBeGreaterThan(0);
    expect(arm('oracle').incrementalProfitMinor).toBeGreaterThan(0);
  });

  it('lets the type oracle earn only on persuadables, and less than the oracle', () => {
    const t = arm('type-oracle');
    expect(t.trueIncrementalProfitByType.persuadable).toBeGreaterThan(0);
    for (const type of ['sure_thing', 'sleeping_dog', 'lost_cause'] as const)
      expect(t.trueIncrementalProfitByType[type]).toBe(0);
    expect(t.trueIncrementalProfitMinor).toBeLessThan(arm('oracle').trueIncrementalProfitMinor);
  });

  it('never spends more than the campaign budget', () => {
    for (const a of comparison.arms)
      expect(a.spentMinor).toBeLessThanOrEqual(comparison.totalBudgetMinor);
    expect(comparison.budgetPlan.at(-1)?.value).toBeCloseTo(comparison.totalBudgetMinor);
  });

  it('reports every arm', () => {
    const text = renderTable(comparisonReport(comparison));
    for (const a of comparison.arms) expect(text).toContain(a.name);
  });
});

describe('the flash-sale scenario at the demo’s default size', () => {
  // As `MARKET_SCENARIO=flash-sale make demo` runs it: 1,000 users, 72 hours of the shop's
  // ordinary trade before the sale. With three items whose own stock sold out in that
  // history, every arm had 23 decisions and no target could be measured.
  const s = withHistory(liveEquivalent(loadScenario('flash-sale'), 1000).scenario, 72);
  const comparison = compareArms({ scenario: s });
  const arm = (name: string): ArmResult => comparison.arms.find((a) => a.name === name)!;

  it('has a few hundred flash decisions per arm, and the sale units, not the budget, run out', () => {
    expect(arm('no-promotion').decisions).toBeGreaterThanOrEqual(300);
    expect(arm('oracle').decisions).toBeGreaterThanOrEqual(300);
    // Offered to every cart, the sale units run out: fewer carts find an offer to decide on,
    // while most of the budget is left.
    expect(arm('random-offer').decisions).toBeLessThan(arm('no-promotion').decisions);
    expect(arm('random-offer').spentMinor).toBeLessThan(0.9 * comparison.totalBudgetMinor);
    expect(arm('oracle').trueIncrementalProfitMinor).toBeGreaterThan(0);
  });
});
