import {
  campaignKey,
  localTime,
  notServingReason,
  type CatalogEntry,
} from '@offerstream/campaigns';
import { BudgetPacer, plannedSpend } from '../policy/budget-pacer.service';

interface Outstanding {
  readonly campaignKey: string;
  readonly day: string;
  readonly expectedMinor: number;
}

interface Spend {
  total: number;
  readonly byDay: Map<string, number>;
}

/**
 * Feeds the budget pacer: a campaign's spend so far is what settled (rewards, all
 * replicas) plus the expected cost of this replica's decisions still waiting for their
 * reward; the plan spreads the daily budget over the local day (or the total budget over
 * the schedule when it has an end). Each observation moves the campaign's λ.
 */
export class PacingService {
  readonly pacer: BudgetPacer;
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly spend = new Map<string, Spend>();
  private readonly budgets = new Map<string, number>();

  constructor(step: number) {
    this.pacer = new BudgetPacer({ eta: Math.max(1e-9, step) });
  }

  private spendOf(key: string): Spend {
    let s = this.spend.get(key);
    if (!s) this.spend.set(key, (s = { total: 0, byDay: new Map() }));
    return s;
  }

  /** Budget pacing's λ of a campaign (0 when it is not paced). */
  price(c: { shopId: string; campaignId: string }): number {
    return this.pacer.price(campaignKey(c.shopId, c.campaignId));
  }

  /** A decision reserved an offer whose expected cost is `expectedMinor`. */
  onDecision(reservationId: string, key: string, day: string, expectedMinor: number): void {
    this.outstanding.set(reservationId, { campaignKey: key, day, expectedMinor });
  }

  /** A final reward settled `costMinor` for a decision served on local day `day`. */
  onReward(reservationId: string, key: string, day: string, costMinor: number): void {
    this.outstanding.delete(reservationId);
    const s = this.spendOf(key);
    s.total += costMinor;
    if (day !== '') s.byDay.set(day, (s.byDay.get(day) ?? 0) + costMinor);
  }

  /** A reservation ended without a reward (lapsed or expired). */
  forget(reservationId: string): void {
    this.outstanding.delete(reservationId);
  }

  /** Settled spend of a campaign (total, and of a day). */
  settled(key: string, day: string): { total: number; day: number } {
    const s = this.spend.get(key);
    return { total: s?.total ?? 0, day: s?.byDay.get(day) ?? 0 };
  }

  /** One pacing observation for every budgeted campaign that is serving. */
  tick(entries: Iterable<CatalogEntry>, nowMs: number): void {
    const pending = new Map<string, number>();
    for (const o of this.outstanding.values()) {
      const k = `${o.campaignKey}\u0000${o.day}`;
      pending.set(k, (pending.get(k) ?? 0) + o.expectedMinor);
    }
    for (const { campaign: c } of entries) {
      if (notServingReason(c, nowMs) !== undefined) continue;
      const key = campaignKey(c.shopId, c.campaignId);
      const daily = c.budget?.dailyBudgetMinor ?? 0;
      const total = c.budget?.totalBudgetMinor ?? 0;
      let budget = 0;
      let plan = 0;
      let actual = 0;
      if (daily > 0) {
        const t = localTime(c.schedule?.timeZone ?? '', nowMs);
        budget = daily;
        plan = plannedSpend(daily, t.dayStartMs, t.dayEndMs, nowMs);
        actual = this.settled(key, t.day).day + (pending.get(`${key}\u0000${t.day}`) ?? 0);
      } else if (total > 0 && c.schedule?.startTime && c.schedule.endTime) {
        budget = total;
        plan = plannedSpend(
          total,
          c.schedule.startTime.getTime(),
          c.schedule.endTime.getTime(),
          nowMs,
        );
        actual = this.settled(key, '').total + (pending.get(`${key}\u0000`) ?? 0);
      }
      if (budget <= 0) continue;
      if (this.budgets.get(key) !== budget) {
        this.pacer.track(key, budget, this.pacer.price(key));
        this.budgets.set(key, budget);
      }
      this.pacer.observe(key, nowMs, actual, plan);
    }
  }
}
