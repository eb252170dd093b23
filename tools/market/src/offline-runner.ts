import type { Market } from './market';
import {
  BlanketDiscountPolicy,
  NoPromotionPolicy,
  OraclePolicy,
  TypeOraclePolicy,
  RandomOfferPolicy,
  RuleBasedPolicy,
} from './policies';
import type { Policy } from './policy';
import type { MarketReport, ReportArm, SeriesPoint } from './report';
import { USER_TYPES, type Scenario, type UserType } from './scenario';
import { simulate } from './simulation';
import { differenceOfMeans, Moments, type Interval } from './stats.util';
import { HOUR_MS } from './time.util';

/** An arm of a comparison: a name and how to build its policy for its own copy of the market. */
export interface ArmFactory {
  readonly name: string;
  create(market: Market): Policy;
}

/** The name of the baseline arm every incremental figure is measured against. */
export const BASELINE_ARM = 'no-promotion';

/** The phase-1 arms: no promotion, random offer, blanket 10 %, rule-based, oracle, type oracle. */
export function defaultArms(seed: number): ArmFactory[] {
  return [
    { name: BASELINE_ARM, create: () => new NoPromotionPolicy() },
    { name: 'random-offer', create: () => new RandomOfferPolicy(seed) },
    { name: 'blanket-10pct', create: () => new BlanketDiscountPolicy(10) },
    { name: 'rule-based', create: () => new RuleBasedPolicy() },
    { name: 'oracle', create: (m) => new OraclePolicy(m.truth) },
    { name: 'type-oracle', create: (m) => new TypeOraclePolicy(m.truth) },
  ];
}

/** What one arm achieved. Money in minor units. */
export interface ArmResult {
  readonly name: string;
  readonly decisions: number;
  readonly holdoutDecisions: number;
  readonly offersShown: number;
  readonly redemptions: number;
  /** Orders placed and not refunded (all sessions, with or without a decision). */
  readonly orders: number;
  /** Revenue after discounts, net of refunds. */
  readonly revenueMinor: number;
  /** Realized profit: margin − offer cost of all orders, net of refunds. */
  readonly profitMinor: number;
  /** Campaign spend (discount cost and absorbed shipping of redemptions). */
  readonly spentMinor: number;
  /** Σ ground-truth expected incremental profit of the decisions. */
  readonly trueIncrementalProfitMinor: number;
  /** The same, by the latent type of the user decided for. */
  readonly trueIncrementalProfitByType: Readonly<Record<UserType, number>>;
  /** Realized profit minus the no-promotion arm's on the same stream. */
  readonly incrementalProfitMinor: number;
  /** Oracle's true incremental profit minus this arm's (undefined without an oracle arm). */
  readonly regretMinor: number | undefined;
  /** Treated minus holdout decisions: purchase rate, with a 95 % interval. */
  readonly liftConversion: Interval;
  /** Treated minus holdout decisions: realized profit per decision, with a 95 % interval. */
  readonly liftProfitPerDecisionMinor: Interval;
  /** Hourly cumulative series. */
  readonly series: {
    readonly spend: readonly SeriesPoint[];
    readonly profit: readonly SeriesPoint[];
    readonly trueIncrementalProfit: readonly SeriesPoint[];
    readonly flashStock: readonly SeriesPoint[];
  };
}

/** A side-by-side run of several arms on the same market. */
export interface Comparison {
  readonly scenario: string;
  readonly seed: number;
  readonly users: number;
  readonly currency: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly arms: readonly ArmResult[];
  /** Planned cumulative spend (evenly over each campaign's schedule). */
  readonly budgetPlan: readonly SeriesPoint[];
  /** Total budget of all campaigns (0 = unlimited). */
  readonly totalBudgetMinor: number;
}

/** One arm's own figures, before it is compared with the others. */
type RawArm = Omit<ArmResult, 'incrementalProfitMinor' | 'regretMinor'> & {
  readonly plan: readonly SeriesPoint[];
};

function runArm(scenario: Scenario, startMs: number, arm: ArmFactory): RawArm {
  let decisions = 0;
  let holdoutDecisions = 0;
  let offersShown = 0;
  let redemptions = 0;
  let orders = 0;
  let revenueMinor = 0;
  let profitMinor = 0;
  let trueInc = 0;
  const byType = Object.fromEntries(USER_TYPES.map((t) => [t, 0])) as Record<UserType, number>;
  const treated = { buy: new Moments(), profit: new Moments() };
  const control = { buy: new Moments(), profit: new Moments() };
  const spend: SeriesPoint[] = [];
  const profit: SeriesPoint[] = [];
  const trueSeries: SeriesPoint[] = [];
  const flashStock: SeriesPoint[] = [];
  const plan: SeriesPoint[] = [];

  const run = simulate({
    scenario,
    startMs,
    policy: (market) => arm.create(market),
    observer: {
      onCartSession: (_s, o) => {
        if (!o.purchased || o.refundAtMs !== undefined) return;
        orders++;
        revenueMinor += o.revenueMinor;
        profitMinor += o.profitMinor;
      },
      onDecision: (d) => {
        decisions++;
        if (d.holdout) holdoutDecisions++;
        if (d.chosen) offersShown++;
        if (d.outcome.redeemed) redemptions++;
        trueInc += d.truth.incrementalProfit;
        byType[d.truth.userType] += d.truth.incrementalProfit;
        const kept = d.outcome.purchased && d.outcome.refundAtMs === undefined;
        const g = d.holdout ? control : treated;
        g.buy.add(kept ? 1 : 0);
        g.profit.add(kept ? d.outcome.profitMinor : 0);
      },
      onTick: (t, { book }) => {
        spend.push({ tMs: t, value: book.spentMinor() });
        profit.push({ tMs: t, value: profitMinor });
        trueSeries.push({ tMs: t, value: trueInc });
        const stock = book.flashStockLeft();
        if (stock !== undefined) flashStock.push({ tMs: t, value: stock });
        const p = book.plannedSpendMinor(t);
        if (p !== undefined) plan.push({ tMs: t, value: p });
      },
    },
  });
  return {
    name: arm.name,
    decisions,
    holdoutDecisions,
    offersShown,
    redemptions,
    orders,
    revenueMinor,
    profitMinor,
    spentMinor: run.book.spentMinor(),
    trueIncrementalProfitMinor: trueInc,
    trueIncrementalProfitByType: byType,
    liftConversion: differenceOfMeans(treated.buy, control.buy),
    liftProfitPerDecisionMinor: differenceOfMeans(treated.profit, control.profit),
    series: { spend, profit, trueIncrementalProfit: trueSeries, flashStock },
    plan,
  };
}

/**
 * Runs every arm on its own identical copy of the market (same seed, same users, same
 * arrivals and the same per-session random draws: common random numbers), then measures
 * each against the no-promotion arm (realized profit on the same stream) and the oracle
 * (true expected incremental profit). A no-promotion arm is added when missing.
 */
export function compareArms(opts: {
  scenario: Scenario;
  /** Simulated start; default the scenario's nominal epoch. */
  startMs?: number;
  arms?: readonly ArmFactory[];
}): Comparison {
  const { scenario } = opts;
  const startMs = opts.startMs ?? scenario.epochMs;
  let arms = opts.arms ?? defaultArms(scenario.seed);
  if (!arms.some((a) => a.name === BASELINE_ARM)) arms = [defaultArms(scenario.seed)[0]!, ...arms];
  const raw = arms.map((a) => runArm(scenario, startMs, a));
  const base = raw.find((a) => a.name === BASELINE_ARM)!;
  const oracle = raw.find((a) => a.name === 'oracle');
  const baseProfit = new Map(base.series.profit.map((p) => [p.tMs, p.value]));
  const results = raw.map(({ plan: _plan, ...a }): ArmResult => ({
    ...a,
    incrementalProfitMinor: a.profitMinor - base.profitMinor,
    regretMinor: oracle
      ? oracle.trueIncrementalProfitMinor - a.trueIncrementalProfitMinor
      : undefined,
    series: {
      ...a.series,
      profit: a.series.profit.map((p) => ({
        tMs: p.tMs,
        value: p.value - (baseProfit.get(p.tMs) ?? 0),
      })),
    },
  }));
  return {
    scenario: scenario.name,
    seed: scenario.seed,
    users: scenario.users.count,
    currency: scenario.currency,
    startMs,
    endMs: startMs + scenario.durationMs,
    arms: results,
    budgetPlan: base.plan,
    totalBudgetMinor: scenario.campaigns.reduce((s, c) => s + (c.budget?.totalBudgetMinor ?? 0), 0),
  };
}

/** A comparison as a generic report (terminal table and HTML). */
export function comparisonReport(c: Comparison): MarketReport {
  const arms: ReportArm[] = c.arms.map((a) => ({
    name: a.name,
    totals: {
      decisions: a.decisions,
      offersShown: a.offersShown,
      orders: a.orders,
      revenue: a.revenueMinor,
      spent: a.spentMinor,
      incrementalProfit: a.incrementalProfitMinor,
      trueIncrementalProfit: a.trueIncrementalProfitMinor,
      regret: a.regretMinor,
      liftProfit: a.liftProfitPerDecisionMinor,
      liftConversion: a.liftConversion,
    },
    series: {
      trueIncrementalProfit: a.series.trueIncrementalProfit,
      incrementalProfit: a.series.profit,
      spend: a.series.spend,
      ...(a.series.flashStock.length > 0 ? { flashStock: a.series.flashStock } : {}),
    },
  }));
  const hours = (c.endMs - c.startMs) / HOUR_MS;
  return {
    title: `Market simulation: ${c.scenario}`,
    subtitle: `seed ${c.seed}, ${c.users} users, ${hours} simulated hours from ${new Date(c.startMs).toISOString()}; every arm on an identical copy of the market`,
    currency: c.currency,
    startMs: c.startMs,
    columns: [
      { key: 'decisions', label: 'decisions', format: 'count' },
      { key: 'offersShown', label: 'offers shown', format: 'count' },
      { key: 'orders', label: 'orders', format: 'count' },
      { key: 'revenue', label: 'revenue', format: 'money' },
      { key: 'spent', label: 'discount spent', format: 'money' },
      { key: 'incrementalProfit', label: 'incr. profit vs no-promo', format: 'money' },
      { key: 'trueIncrementalProfit', label: 'true incr. profit', format: 'money' },
      { key: 'regret', label: 'regret vs oracle', format: 'money' },
      { key: 'liftProfit', label: 'holdout lift profit/decision [95% CI]', format: 'money' },
      { key: 'liftConversion', label: 'holdout lift conversion [95% CI]', format: 'percent' },
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
        title: 'Budget spend vs plan (cumulative)',
        format: 'money',
        ...(c.budgetPlan.length > 0 ? { reference: { label: 'plan', points: c.budgetPlan } } : {}),
      },
      { key: 'flashStock', title: 'Flash-sale stock left', format: 'count' },
    ],
    arms,
    notes: [
      'incr. profit vs no-promo: realized profit (margin − offer cost, net of refunds) minus the no-promotion arm’s on the same stream.',
      'true incr. profit: Σ over decisions of the ground-truth expected incremental profit of what was shown; regret = oracle − arm.',
      'holdout lift: treated decisions minus the campaign holdout group’s, per decision, with 95% Welch intervals.',
    ],
  };
}
