import type { MarketReport, ReportArm, SeriesPoint } from '../report';
import { Z95, type Interval } from '../stats.util';
import { USER_TYPES } from '../scenario';
import { HOUR_MS } from '../time.util';
import { splitDifference, type ArmFigures, type SessionFigures } from './arm-ledger';

/** The baseline every realized incremental figure is measured against. */
export const NO_PROMOTION = 'no-promotion';
/** The arm regret is measured against. */
export const ORACLE = 'oracle';
/** The in-process arm that knows each user's type but none of their own parameters. */
export const TYPE_ORACLE = 'type-oracle';
/** Names of offerstream's own (live) arms start with this. */
export const OFFERSTREAM_PREFIX = 'offerstream';

/** How a run was set up, for the report. */
export interface RunSettings {
  readonly scenario: string;
  readonly seed: number;
  readonly users: number;
  readonly currency: string;
  readonly simStartMs: number;
  readonly simEndMs: number;
  /** Simulated ms per real ms of the live arms (undefined: no live arm ran). */
  readonly speedup: number | undefined;
  /** Decisions from here on count as "after warm-up". */
  readonly warmupEndMs: number;
  readonly totalBudgetMinor: number;
  /** Planned cumulative spend (evenly over each campaign's schedule). */
  readonly budgetPlan: readonly SeriesPoint[];
  /** Flash-sale stock by offer id (empty: no flash sale). */
  readonly flashStock: Readonly<Record<string, number>>;
  /** What the run did, in order, and what it had to adapt (text lines). */
  readonly notes: readonly string[];
}

/** A finished run: settings and every arm's figures. */
export interface MarketRun {
  readonly settings: RunSettings;
  readonly arms: readonly ArmFigures[];
}

/** One checked target. `met` undefined: could not be measured in this run. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

type SessionKey = 'trueIncMinor' | 'profitMinor';

/**
 * a − b summed over cart sessions from `fromMs` on, paired by session (every arm saw the
 * same sessions: common random numbers), with a 95 % normal interval from the spread of the
 * per-session differences.
 */
export function pairedDelta(
  a: ArmFigures,
  b: ArmFigures,
  key: SessionKey,
  fromMs = -Infinity,
): Interval {
  const ids = new Set<string>();
  const take = (m: ReadonlyMap<string, SessionFigures>) => {
    for (const [id, s] of m) if (s.timeMs >= fromMs) ids.add(id);
  };
  take(a.sessions);
  take(b.sessions);
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (const id of ids) {
    const d = (a.sessions.get(id)?.[key] ?? 0) - (b.sessions.get(id)?.[key] ?? 0);
    n++;
    sum += d;
    sumSq += d * d;
  }
  if (n < 2) return { value: sum, lo: NaN, hi: NaN };
  const variance = Math.max(0, (sumSq - (sum * sum) / n) / (n - 1));
  const se = Math.sqrt(n * variance);
  return { value: sum, lo: sum - Z95 * se, hi: sum + Z95 * se };
}

const money = (minor: number, currency: string) =>
  `${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
const signed = (minor: number, currency: string) =>
  `${minor >= 0 ? '+' : ''}${money(minor, currency)}`;
const interval = (i: Interval, currency: string) =>
  `${signed(i.value, currency)} [${signed(i.lo, currency)}, ${signed(i.hi, currency)}]`;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * The no-promotion arm's realized profit per user over `a`'s holdout split: treated minus
 * held-out users with nobody shown anything (an A/A comparison on the same copy of the market).
 * The holdout lift is the true lift plus this chance imbalance between the two groups; it is
 * what to look at when the lift's interval misses the truth. Undefined without that arm.
 */
export function splitImbalance(a: ArmFigures, base: ArmFigures | undefined): Interval | undefined {
  if (!base || a.holdoutUsers < 2) return undefined;
  return splitDifference(base.sessions.values(), a.liftSplit).profitPerUserMinor;
}

/** The arm's largest spend above the plan at any hour (market ledger or system, whichever is higher). */
export function maxAbovePlanMinor(a: ArmFigures, plan: readonly SeriesPoint[]): number {
  const planAt = new Map(plan.map((p) => [p.tMs, p.value]));
  let worst = -Infinity;
  for (const series of [a.series.spend, a.series.systemSpend])
    for (const p of series) {
      const v = planAt.get(p.tMs);
      if (v !== undefined) worst = Math.max(worst, p.value - v);
    }
  return worst;
}

/** a's true incremental profit after warm-up over b's (NaN when either arm did not run). */
const afterWarmupRatio = (a: ArmFigures | undefined, b: ArmFigures | undefined): number =>
  a && b ? a.trueAfterWarmupMinor / b.trueAfterWarmupMinor : NaN;

/** Offerstream's arm with the highest true incremental profit after warm-up. */
export function bestOfferstreamArm(run: MarketRun): ArmFigures | undefined {
  return run.arms
    .filter((a) => a.name.startsWith(OFFERSTREAM_PREFIX))
    .reduce<ArmFigures | undefined>(
      (best, a) => (!best || a.trueAfterWarmupMinor > best.trueAfterWarmupMinor ? a : best),
      undefined,
    );
}

/** The issue's targets, measured on this run. */
export function checkTargets(run: MarketRun): TargetCheck[] {
  const { settings: s } = run;
  const cur = s.currency;
  const arm = (name: string) => run.arms.find((a) => a.name === name);
  const best = bestOfferstreamArm(run);
  const oracle = arm(ORACLE);
  const vw = run.arms.find((a) => a.name.startsWith('vw'));
  const out: TargetCheck[] = [];
  if (!best) return [{ target: 'an offerstream arm ran', measured: 'none ran', met: false }];
  const w = s.warmupEndMs;
  if (oracle) {
    const ratio = afterWarmupRatio(best, oracle);
    // What knowing every user's type (but not their threshold) would reach, for scale.
    const typeOracle = arm(TYPE_ORACLE);
    const reach = typeOracle
      ? `; the type oracle (knows each user’s type, not their threshold) reaches ${pct(afterWarmupRatio(typeOracle, oracle))}`
      : '';
    out.push({
      target: '≥ 90 % of the oracle’s incremental profit (true, after warm-up)',
      measured: `${best.name} ${money(best.trueAfterWarmupMinor, cur)} / oracle ${money(oracle.trueAfterWarmupMinor, cur)} = ${pct(ratio)}${reach}`,
      met: oracle.trueAfterWarmupMinor > 0 ? ratio >= 0.9 : undefined,
    });
  }
  for (const name of ['blanket-10pct', 'random-offer']) {
    const other = arm(name);
    if (!other) continue;
    const d = pairedDelta(best, other, 'trueIncMinor', w);
    const r = pairedDelta(best, other, 'profitMinor', w);
    out.push({
      target: `beats ${name} by a margin whose 95 % CI excludes zero (after warm-up)`,
      measured: `true incr. profit ${interval(d, cur)}; realized ${interval(r, cur)}`,
      met: d.lo > 0,
    });
  }
  if (s.totalBudgetMinor > 0) {
    const above = maxAbovePlanMinor(best, s.budgetPlan);
    const spent = Math.max(best.spentMinor, best.live?.stats?.spentMinor ?? 0);
    out.push({
      target:
        'stays within 2 % of its budget plan (never more than 2 % of the budget above the plan; total spend ≤ budget)',
      measured: `largest spend above plan ${pct(Math.max(0, above) / s.totalBudgetMinor)} of the budget; spent ${money(spent, cur)} of ${money(s.totalBudgetMinor, cur)} (${pct(spent / s.totalBudgetMinor)})`,
      met: above <= 0.02 * s.totalBudgetMinor && spent <= s.totalBudgetMinor,
    });
  }
  const flash = Object.entries(s.flashStock);
  if (flash.length > 0) {
    const over = flash.filter(([id, stock]) => (best.flashUnitsSold[id] ?? 0) > stock);
    out.push({
      target: 'never oversells stock',
      measured: flash
        .map(([id, stock]) => `${id}: ${best.flashUnitsSold[id] ?? 0}/${stock} sold`)
        .join(', '),
      met: over.length === 0,
    });
  } else {
    out.push({
      target: 'never oversells stock',
      measured: 'no flash-sale stock in this scenario (items cannot be sold past their stock)',
      met: true,
    });
  }
  if (vw) {
    const d = pairedDelta(best, vw, 'trueIncMinor', w);
    out.push({
      target: 'at least as good as the Vowpal Wabbit reference on the same stream (after warm-up)',
      measured: `true incr. profit ${best.name} − ${vw.name} = ${interval(d, cur)}`,
      met: d.value >= 0,
    });
  }
  const lift = best.liftProfitPerUserMinor;
  const imbalance = splitImbalance(best, arm(NO_PROMOTION));
  if (best.holdoutUsers > 1 && Number.isFinite(lift.lo))
    out.push({
      target: 'holdout-measured lift agrees with the ground-truth lift within its interval',
      measured:
        `${best.name}: holdout lift ${interval(lift, cur)} per user vs ground truth ${signed(best.truthLiftPerUserMinor, cur)}` +
        (imbalance
          ? `; the same two groups without any promotion (A/A) differ by ${signed(imbalance.value, cur)}`
          : ''),
      met: best.truthLiftPerUserMinor >= lift.lo && best.truthLiftPerUserMinor <= lift.hi,
    });
  return out;
}

const verdict = (m: boolean | undefined) => (m === undefined ? 'N/A ' : m ? 'MET ' : 'MISS');

/** The run as a report: tables, targets and charts. */
export function marketRunReport(run: MarketRun, title?: string): MarketReport {
  const s = run.settings;
  const base = run.arms.find((a) => a.name === NO_PROMOTION);
  const oracle = run.arms.find((a) => a.name === ORACLE);
  const baseProfit = new Map((base?.series.profit ?? []).map((p) => [p.tMs, p.value]));
  const arms: ReportArm[] = run.arms.map((a) => {
    const above = s.totalBudgetMinor > 0 ? maxAbovePlanMinor(a, s.budgetPlan) : NaN;
    const flashSold = Object.values(a.flashUnitsSold).reduce((x, y) => x + y, 0);
    return {
      name: `${a.name}${a.where === 'live' ? ' (live)' : ''}`,
      totals: {
        decisions: a.decisions,
        offersShown: a.offersShown,
        orders: a.orders,
        revenue: a.revenueMinor,
        spent: a.spentMinor,
        incrementalProfit: base ? pairedDelta(a, base, 'profitMinor') : undefined,
        trueIncrementalProfit: a.trueIncrementalProfitMinor,
        trueAfterWarmup: a.trueAfterWarmupMinor,
        ofOracle:
          oracle && oracle.trueAfterWarmupMinor > 0
            ? a.trueAfterWarmupMinor / oracle.trueAfterWarmupMinor
            : undefined,
        regret: oracle
          ? oracle.trueIncrementalProfitMinor - a.trueIncrementalProfitMinor
          : undefined,
        budgetUsed: s.totalBudgetMinor > 0 ? a.spentMinor / s.totalBudgetMinor : undefined,
        systemSpent: a.live?.stats?.spentMinor,
        abovePlan: Number.isFinite(above) ? Math.max(0, above) / s.totalBudgetMinor : undefined,
        flashSold: Object.keys(s.flashStock).length > 0 ? flashSold : undefined,
        holdoutDecisions: a.holdoutDecisions,
        holdoutUsers: a.holdoutUsers,
        liftProfit: a.liftProfitPerUserMinor,
        truthLift: a.truthLiftPerUserMinor,
        liftImbalance: splitImbalance(a, base),
        liftOrders: a.liftOrdersPerUser,
        requests: a.live?.requests,
        errors: a.live?.errors,
        degraded: a.live?.degraded,
        p50: a.live?.latencyP50Ms,
        p99: a.live?.latencyP99Ms,
        ...Object.fromEntries(USER_TYPES.map((t) => [`true_${t}`, a.trueByType[t]])),
      },
      series: {
        trueIncrementalProfit: a.series.trueIncrementalProfit,
        incrementalProfit: a.series.profit.map((p) => ({
          tMs: p.tMs,
          value: p.value - (baseProfit.get(p.tMs) ?? 0),
        })),
        spend: a.series.spend,
        ...(a.series.systemSpend.length > 0 ? { systemSpend: a.series.systemSpend } : {}),
        ...(a.series.flashStock.length > 0 ? { flashStock: a.series.flashStock } : {}),
      },
    };
  });
  const checks = checkTargets(run);
  const best = bestOfferstreamArm(run);
  const hours = (s.simEndMs - s.simStartMs) / HOUR_MS;
  const warmup = (s.warmupEndMs - s.simStartMs) / HOUR_MS;
  return {
    title: title ?? `Market run: ${s.scenario}`,
    subtitle:
      `seed ${s.seed}, ${s.users} users, ${hours} simulated hours from ${new Date(s.simStartMs).toISOString()}` +
      (s.speedup !== undefined
        ? `; live arms in compressed time, S = ${Math.round(s.speedup)} (${hours} h in ${((hours * HOUR_MS) / s.speedup / 1000).toFixed(0)} s)`
        : '') +
      `; warm-up: the first ${warmup} h`,
    currency: s.currency,
    startMs: s.simStartMs,
    sections: [
      {
        title: `Targets${best ? ` (offerstream’s best arm: ${best.name})` : ''}`,
        lines: checks.map((c) => `${verdict(c.met)}  ${c.target}: ${c.measured}`),
      },
      { title: 'How this run was made', lines: s.notes },
    ],
    columns: [
      { key: 'decisions', label: 'decisions', format: 'count' },
      { key: 'offersShown', label: 'offers shown', format: 'count' },
      { key: 'orders', label: 'orders', format: 'count' },
      { key: 'revenue', label: 'revenue', format: 'money' },
      { key: 'spent', label: 'discount spent', format: 'money' },
      { key: 'incrementalProfit', label: 'incr. profit vs no-promo [95% CI]', format: 'money' },
      { key: 'trueIncrementalProfit', label: 'true incr. profit', format: 'money' },
      { key: 'trueAfterWarmup', label: 'true after warm-up', format: 'money' },
      { key: 'ofOracle', label: 'of oracle', format: 'percent' },
      { key: 'regret', label: 'regret vs oracle', format: 'money' },
    ],
    tables: [
      {
        title: 'Budget, stock and holdout lift',
        columns: [
          { key: 'budgetUsed', label: 'budget used', format: 'percent' },
          { key: 'systemSpent', label: 'spent (GetCampaignStats)', format: 'money' },
          { key: 'abovePlan', label: 'max above plan (of budget)', format: 'percent' },
          { key: 'flashSold', label: 'flash units sold', format: 'count' },
          { key: 'holdoutDecisions', label: 'holdout decisions', format: 'count' },
          { key: 'holdoutUsers', label: 'holdout users', format: 'count' },
          { key: 'liftProfit', label: 'holdout lift profit/user [95% CI]', format: 'money' },
          { key: 'truthLift', label: 'true lift/user', format: 'money' },
          {
            key: 'liftImbalance',
            label: 'same split, no promotion (A/A) [95% CI]',
            format: 'money',
          },
          { key: 'liftOrders', label: 'holdout lift orders/user [95% CI]', format: 'number' },
        ],
      },
      {
        title:
          'True incremental profit by the users’ latent type (whole run): where each arm earns and where it loses',
        columns: USER_TYPES.map((t) => ({
          key: `true_${t}`,
          label: t.replace('_', ' '),
          format: 'money' as const,
        })),
      },
      {
        title: 'Live calls (GetOffers, or GetFeatures + VW for the reference)',
        columns: [
          { key: 'requests', label: 'requests', format: 'count' },
          { key: 'errors', label: 'errors', format: 'count' },
          { key: 'degraded', label: 'degraded', format: 'count' },
          { key: 'p50', label: 'p50 ms', format: 'number' },
          { key: 'p99', label: 'p99 ms', format: 'number' },
        ],
      },
    ],
    charts: [
      {
        key: 'trueIncrementalProfit',
        title: 'True expected incremental profit (cumulative)',
        format: 'money',
      },
      {
        key: 'incrementalProfit',
        title: 'Realized profit vs no-promotion (cumulative)',
        format: 'money',
      },
      {
        key: 'spend',
        title: 'Budget spend vs plan (cumulative, market ledger)',
        format: 'money',
        ...(s.budgetPlan.length > 0 ? { reference: { label: 'plan', points: s.budgetPlan } } : {}),
      },
      {
        key: 'systemSpend',
        title: 'Settled spend as GetCampaignStats reports it (live arms)',
        format: 'money',
        ...(s.budgetPlan.length > 0 ? { reference: { label: 'plan', points: s.budgetPlan } } : {}),
      },
      { key: 'flashStock', title: 'Flash-sale stock left', format: 'count' },
    ],
    arms,
    notes: [
      'incr. profit vs no-promo: realized profit (margin − offer cost, net of refunds) minus the no-promotion arm’s, paired by cart session (every arm runs on its own identical copy of the market: same users, arrivals and random draws), with a 95 % interval from the per-session differences.',
      'true incr. profit: Σ over decisions of the ground-truth expected incremental profit of what was shown; after warm-up: decisions after the warm-up only; of oracle = after warm-up, as a share of the oracle’s; regret = oracle − arm (whole run).',
      'holdout lift (intent to treat, per user): the users the campaign treats minus its holdout users (the control group, by the system’s own hash for live arms, as the answers revealed it), realized profit and orders of their cart sessions during the campaign, 95 % Welch intervals; true lift/user: the mean ground-truth incremental profit per treated user — the quantity the holdout lift estimates; same split, no promotion (A/A): the no-promotion arm’s users split into the same two groups — how far apart the groups were without any offer, by chance; the holdout lift is the true lift plus about this much. Users, not decisions: one user’s sessions are not independent, and frequency caps and budget remove treated users’ decisions but never holdout ones.',
      'in-process arms run phase 1’s runner (same scenario, seed and start; campaign rules from its in-process campaign book); (live) arms ran through ingest, feature and bandit-policy (offerstream) or through ingest, feature and Vowpal Wabbit (the reference), each on its own shop id, in compressed real time.',
    ],
  };
}

/** The last line of `make bench-market`: key=value pairs. */
export function benchLine(run: MarketRun, extra: Record<string, string | number> = {}): string {
  const best = bestOfferstreamArm(run);
  const oracle = run.arms.find((a) => a.name === ORACLE);
  const typeOracle = run.arms.find((a) => a.name === TYPE_ORACLE);
  const vw = run.arms.find((a) => a.name.startsWith('vw'));
  const checks = checkTargets(run);
  const r = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'nan');
  const major = (m: number | undefined) => (m === undefined ? 'nan' : (m / 100).toFixed(2));
  const pairs: Record<string, string | number> = {
    scenario: run.settings.scenario,
    users: run.settings.users,
    speedup: run.settings.speedup !== undefined ? Math.round(run.settings.speedup) : 'nan',
    best_arm: best?.name ?? 'none',
    profit_vs_oracle: r(afterWarmupRatio(best, oracle)),
    profit_vs_vw: r(afterWarmupRatio(best, vw)),
    // What knowing every user's type would reach: the scale for profit_vs_oracle.
    type_oracle_vs_oracle: r(afterWarmupRatio(typeOracle, oracle)),
    best_true_incr_eur: major(best?.trueAfterWarmupMinor),
    oracle_true_incr_eur: major(oracle?.trueAfterWarmupMinor),
    vw_true_incr_eur: major(vw?.trueAfterWarmupMinor),
    // The ratios mislead when the denominators are negative: the differences say it plainly.
    best_minus_oracle_eur: major(
      best && oracle ? best.trueAfterWarmupMinor - oracle.trueAfterWarmupMinor : undefined,
    ),
    best_minus_vw_eur: major(
      best && vw ? best.trueAfterWarmupMinor - vw.trueAfterWarmupMinor : undefined,
    ),
    targets_met: checks.filter((c) => c.met === true).length,
    targets_checked: checks.filter((c) => c.met !== undefined).length,
    ...extra,
  };
  return Object.entries(pairs)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
