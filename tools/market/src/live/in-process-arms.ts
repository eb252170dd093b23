import type { ArmFactory } from '../offline-runner';
import { campaignsAt, type Scenario } from '../scenario';
import { simulate } from '../simulation';
import { ArmLedger, type ArmFigures } from './arm-ledger';

/** Flash-sale stock by offer id over a scenario's campaigns. */
export function flashStockOf(s: Scenario): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of s.campaigns)
    for (const o of c.offers) if (o.flashSale) m.set(o.offerId, o.flashSale.stock);
  return m;
}

/** The span of the scenario's campaign schedules (the holdout lift's window). */
export function liftWindowOf(s: Scenario, startMs: number): [number, number] {
  const cs = campaignsAt(s, startMs);
  const from = Math.min(...cs.map((c) => c.schedule?.startTime?.getTime() ?? startMs));
  const to = Math.max(...cs.map((c) => c.schedule?.endTime?.getTime() ?? startMs + s.durationMs));
  return cs.length > 0 ? [from, to] : [startMs, startMs + s.durationMs];
}

/**
 * Phase 1's in-process arms (no promotion, random, blanket 10 %, rule-based, oracle, type oracle) on
 * their own copies of the market, booked by the same ledger as the live arms.
 */
export function runInProcessArms(opts: {
  readonly scenario: Scenario;
  readonly startMs: number;
  readonly arms: readonly ArmFactory[];
  readonly warmupEndMs: number;
}): ArmFigures[] {
  const flashStock = flashStockOf(opts.scenario);
  const liftWindowMs = liftWindowOf(opts.scenario, opts.startMs);
  return opts.arms.map((arm) => {
    const ledger = new ArmLedger(arm.name, 'in-process', {
      warmupEndMs: opts.warmupEndMs,
      flashStock,
      liftWindowMs,
    });
    simulate({
      scenario: opts.scenario,
      startMs: opts.startMs,
      policy: (m) => arm.create(m),
      observer: {
        onCartSession: (s, o) =>
          ledger.cartSession(s.sessionId, s.userId, s.decisionPoint?.timeMs ?? s.startMs, o),
        onDecision: (d) =>
          ledger.decision({
            sessionId: d.sessionId,
            userId: d.userId,
            timeMs: d.point.timeMs,
            holdout: d.holdout,
            offerId: d.chosen?.offer.offerId ?? null,
            truth: d.truth,
            outcome: d.outcome,
          }),
        onTick: (t) => ledger.tick(t),
      },
    });
    return ledger.figures();
  });
}
