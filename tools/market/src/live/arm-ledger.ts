import type { SessionOutcome } from '../market';
import type { TruthAnswer } from '../outcome-model';
import type { SeriesPoint } from '../report';
import { USER_TYPES, type UserType } from '../scenario';
import { differenceOfMeans, Moments, type Interval } from '../stats.util';

/** Where an arm ran: in this process (phase 1's runner) or through the live services. */
export type ArmWhere = 'in-process' | 'live';

/** One decision of an arm, as the ledger books it. */
export interface DecisionFact {
  readonly sessionId: string;
  readonly userId: string;
  /** Simulated time of the decision. */
  readonly timeMs: number;
  /** The user was in the campaign's holdout: nothing shown, measured as control. */
  readonly holdout: boolean;
  readonly offerId: string | null;
  /** Ground truth of what was shown (incremental profit 0 for nothing). */
  readonly truth: TruthAnswer;
  readonly outcome: SessionOutcome;
}

/** What one cart session was worth to an arm (for paired comparisons between arms). */
export interface SessionFigures {
  readonly userId: string;
  /** Simulated time of the cart page. */
  readonly timeMs: number;
  /** An order was placed and not refunded. */
  purchased: boolean;
  /** Ground-truth expected incremental profit of the arm's choice (0 without an offer). */
  trueIncMinor: number;
  /** Realized profit of the session's order (margin − offer cost; 0 if none or refunded). */
  profitMinor: number;
}

/** What the system itself reported about a live arm. */
export interface LiveArmFacts {
  readonly shopId: string;
  readonly campaignIds: readonly string[];
  /** How the decisions were made, e.g. "THOMPSON_BETA" or "VW cb_explore_adf --squarecb". */
  readonly policy: string;
  readonly requests: number;
  readonly errors: number;
  readonly degraded: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** Model versions seen in the answers (empty without a model). */
  readonly models: readonly string[];
  /** GetCampaignStats at the end (summed over the arm's campaigns). */
  readonly stats?: {
    readonly spentMinor: number;
    readonly reservedMinor: number;
    readonly decisions: number;
    readonly holdoutDecisions: number;
    readonly impressions: number;
    readonly redemptions: number;
  };
}

/** How an arm split its users for the holdout lift. */
export interface LiftSplit {
  /** Cart sessions in [fromMs, toMs) (the campaign's schedule) count. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Every user the arm decided for: true = in the campaign's holdout. */
  readonly heldOut: ReadonlyMap<string, boolean>;
}

/** Treated minus held-out users of a split, per user, over the split's window. */
export interface SplitDifference {
  readonly ordersPerUser: Interval;
  readonly profitPerUserMinor: Interval;
  /** Mean ground-truth incremental profit per treated user. */
  readonly truthPerTreatedUserMinor: number;
  readonly holdoutUsers: number;
}

/**
 * Sums each user's cart sessions in the split's window and compares the treated users with the
 * held-out ones (95 % Welch intervals). The sessions may be another arm's: the no-promotion
 * arm's sessions over a live arm's split measure how far apart the two groups were without any
 * promotion (the split's chance imbalance, an A/A comparison).
 */
export function splitDifference(
  sessions: Iterable<SessionFigures>,
  split: LiftSplit,
): SplitDifference {
  const users = new Map<string, { orders: number; profit: number; truth: number }>();
  for (const s of sessions) {
    if (s.timeMs < split.fromMs || s.timeMs >= split.toMs || !split.heldOut.has(s.userId)) continue;
    let u = users.get(s.userId);
    if (!u) users.set(s.userId, (u = { orders: 0, profit: 0, truth: 0 }));
    u.orders += s.purchased ? 1 : 0;
    u.profit += s.profitMinor;
    u.truth += s.trueIncMinor;
  }
  const treated = { orders: new Moments(), profit: new Moments(), truth: new Moments() };
  const control = { orders: new Moments(), profit: new Moments() };
  for (const [id, u] of users) {
    const g = split.heldOut.get(id) ? control : treated;
    g.orders.add(u.orders);
    g.profit.add(u.profit);
    if (g === treated) treated.truth.add(u.truth);
  }
  return {
    ordersPerUser: differenceOfMeans(treated.orders, control.orders),
    profitPerUserMinor: differenceOfMeans(treated.profit, control.profit),
    truthPerTreatedUserMinor: treated.truth.mean,
    holdoutUsers: control.orders.n,
  };
}

/** Everything measured about one arm. Money in minor units. */
export interface ArmFigures {
  readonly name: string;
  readonly where: ArmWhere;
  readonly decisions: number;
  readonly holdoutDecisions: number;
  readonly offersShown: number;
  readonly redemptions: number;
  /** Orders placed and not refunded, over all cart sessions. */
  readonly orders: number;
  readonly revenueMinor: number;
  /** Realized profit: margin − offer cost of kept orders. */
  readonly profitMinor: number;
  /** Discount cost and absorbed shipping of redemptions (the market's own ledger). */
  readonly spentMinor: number;
  /** Flash-sale units sold at the sale price, by offer. */
  readonly flashUnitsSold: Readonly<Record<string, number>>;
  readonly trueIncrementalProfitMinor: number;
  /** The same over decisions after the warm-up. */
  readonly trueAfterWarmupMinor: number;
  readonly trueByType: Readonly<Record<UserType, number>>;
  /**
   * Holdout lift, intent to treat, per user: orders of the users the campaign treats minus
   * those of its holdout users (membership as the arm's decisions revealed it), over their
   * cart sessions during the campaign, with a 95 % Welch interval. Users are the unit: one
   * user's sessions are not independent, and frequency caps and budget remove treated users'
   * decisions but never holdout ones, so decisions would not compare like with like.
   */
  readonly liftOrdersPerUser: Interval;
  /** The same for realized profit per user, 95 % interval. */
  readonly liftProfitPerUserMinor: Interval;
  /** Ground truth of the same: mean expected incremental profit per treated user. */
  readonly truthLiftPerUserMinor: number;
  /** Holdout users in the lift. */
  readonly holdoutUsers: number;
  /** The users and window behind the lift (not in the report's JSON). */
  readonly liftSplit: LiftSplit;
  /** Hourly (simulated) cumulative series. */
  readonly series: {
    readonly spend: readonly SeriesPoint[];
    readonly trueIncrementalProfit: readonly SeriesPoint[];
    readonly profit: readonly SeriesPoint[];
    readonly flashStock: readonly SeriesPoint[];
    /** Live arms: settled spend as GetCampaignStats reports it. */
    readonly systemSpend: readonly SeriesPoint[];
  };
  readonly sessions: ReadonlyMap<string, SessionFigures>;
  readonly live?: LiveArmFacts;
}

/**
 * Books one arm's run — decisions, orders, spend, ground truth, holdout — the same way
 * for every arm, whether it ran in-process or through the live services.
 */
export class ArmLedger {
  private decisions = 0;
  private holdoutDecisions = 0;
  private offersShown = 0;
  private redemptions = 0;
  private orders = 0;
  private revenueMinor = 0;
  private profitMinor = 0;
  private spentMinor = 0;
  private trueInc = 0;
  private trueAfterWarmup = 0;
  private readonly flashSold = new Map<string, number>();
  private readonly byType = Object.fromEntries(USER_TYPES.map((t) => [t, 0])) as Record<
    UserType,
    number
  >;
  /** Whether each user decided for so far is in the holdout. */
  private readonly heldOut = new Map<string, boolean>();
  private readonly sessions = new Map<string, SessionFigures>();
  private readonly series = {
    spend: [] as SeriesPoint[],
    trueIncrementalProfit: [] as SeriesPoint[],
    profit: [] as SeriesPoint[],
    flashStock: [] as SeriesPoint[],
    systemSpend: [] as SeriesPoint[],
  };

  constructor(
    readonly name: string,
    readonly where: ArmWhere,
    private readonly opts: {
      /** Decisions from this simulated instant on count as "after warm-up". */
      readonly warmupEndMs: number;
      /** Flash-sale stock by offer id (empty when the scenario has none). */
      readonly flashStock: ReadonlyMap<string, number>;
      /** Cart sessions in [from, to) (the campaign's schedule) make the holdout lift. */
      readonly liftWindowMs?: readonly [number, number];
    },
  ) {}

  private session(sessionId: string, userId: string, timeMs: number): SessionFigures {
    let s = this.sessions.get(sessionId);
    if (!s)
      this.sessions.set(
        sessionId,
        (s = { userId, timeMs, purchased: false, trueIncMinor: 0, profitMinor: 0 }),
      );
    return s;
  }

  /** Every session that reached the cart page, decision or not. */
  cartSession(sessionId: string, userId: string, timeMs: number, o: SessionOutcome): void {
    const s = this.session(sessionId, userId, timeMs);
    if (!o.purchased || o.refundAtMs !== undefined) return;
    s.purchased = true;
    this.orders++;
    this.revenueMinor += o.revenueMinor;
    this.profitMinor += o.profitMinor;
    s.profitMinor += o.profitMinor;
  }

  /** Every decision (a campaign served or held the user out). */
  decision(d: DecisionFact): void {
    this.decisions++;
    const o = d.outcome;
    if (d.holdout) this.holdoutDecisions++;
    if (d.offerId !== null) this.offersShown++;
    if (o.redeemed) {
      this.redemptions++;
      this.spentMinor += o.offerCostMinor;
      if (o.flashUnits > 0 && o.offerId)
        this.flashSold.set(o.offerId, (this.flashSold.get(o.offerId) ?? 0) + o.flashUnits);
    }
    const inc = d.truth.incrementalProfit;
    this.trueInc += inc;
    if (d.timeMs >= this.opts.warmupEndMs) this.trueAfterWarmup += inc;
    this.byType[d.truth.userType] += inc;
    this.session(d.sessionId, d.userId, d.timeMs).trueIncMinor += inc;
    this.heldOut.set(d.userId, d.holdout);
  }

  /** Treated users against holdout users, over their cart sessions in the lift window. */
  private lift() {
    const [fromMs, toMs] = this.opts.liftWindowMs ?? [-Infinity, Infinity];
    const liftSplit: LiftSplit = { fromMs, toMs, heldOut: new Map(this.heldOut) };
    const d = splitDifference(this.sessions.values(), liftSplit);
    return {
      liftOrdersPerUser: d.ordersPerUser,
      liftProfitPerUserMinor: d.profitPerUserMinor,
      truthLiftPerUserMinor: d.truthPerTreatedUserMinor,
      holdoutUsers: d.holdoutUsers,
      liftSplit,
    };
  }

  /** One point of every series at simulated time `t`. */
  tick(t: number, systemSpentMinor?: number): void {
    this.series.spend.push({ tMs: t, value: this.spentMinor });
    this.series.trueIncrementalProfit.push({ tMs: t, value: this.trueInc });
    this.series.profit.push({ tMs: t, value: this.profitMinor });
    if (this.opts.flashStock.size > 0) {
      let left = 0;
      for (const [id, stock] of this.opts.flashStock) left += stock - (this.flashSold.get(id) ?? 0);
      this.series.flashStock.push({ tMs: t, value: left });
    }
    if (systemSpentMinor !== undefined)
      this.series.systemSpend.push({ tMs: t, value: systemSpentMinor });
  }

  /** Running totals for progress lines. */
  get progress(): {
    decisions: number;
    offersShown: number;
    orders: number;
    trueIncMinor: number;
    spentMinor: number;
  } {
    return {
      decisions: this.decisions,
      offersShown: this.offersShown,
      orders: this.orders,
      trueIncMinor: this.trueInc,
      spentMinor: this.spentMinor,
    };
  }

  figures(live?: LiveArmFacts): ArmFigures {
    return {
      name: this.name,
      where: this.where,
      decisions: this.decisions,
      holdoutDecisions: this.holdoutDecisions,
      offersShown: this.offersShown,
      redemptions: this.redemptions,
      orders: this.orders,
      revenueMinor: this.revenueMinor,
      profitMinor: this.profitMinor,
      spentMinor: this.spentMinor,
      flashUnitsSold: Object.fromEntries(this.flashSold),
      trueIncrementalProfitMinor: this.trueInc,
      trueAfterWarmupMinor: this.trueAfterWarmup,
      trueByType: { ...this.byType },
      ...this.lift(),
      series: {
        spend: [...this.series.spend],
        trueIncrementalProfit: [...this.series.trueIncrementalProfit],
        profit: [...this.series.profit],
        flashStock: [...this.series.flashStock],
        systemSpend: [...this.series.systemSpend],
      },
      sessions: new Map(this.sessions),
      ...(live ? { live } : {}),
    };
  }
}
