import { PolicyErrorCode, PolicyException } from './policy.exception';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Tuning of the budget pacer. */
export interface BudgetPacerOptions {
  /**
   * Where pricing starts: spend minus plan as a share of the budget (default −0.015, 1.5 % of
   * the budget below the plan). Below it λ = 0: every offer worth showing is shown.
   */
  readonly floor?: number;
  /**
   * Where λ reaches `rampPrice`, spend minus plan as a share of the budget (default +0.005).
   * Between the floor and here λ rises as the square of the way across; above it, on.
   */
  readonly ceiling?: number;
  /**
   * λ at the ceiling (default 1: an offer must then be worth its whole expected cost). λ is
   * in value units per unit of cost, so its scale follows the objective (≈ 1 when values are
   * profit in minor units).
   */
  readonly rampPrice?: number;
  /** Upper bound λ_max of the price. Default 10. */
  readonly maxPrice?: number;
}

interface PacedCampaign {
  readonly budgetMinor: number;
  price: number;
  lastObservedMs: number;
}

function invalid(message: string): PolicyException {
  return new PolicyException(PolicyErrorCode.INVALID_ARGUMENT, message);
}

/**
 * Budget pacing by a Lagrangian price on the spend's position against its plan: a
 * campaign's offers are valued at value − λ × expected cost, λ = 0 while the spend is more
 * than `floor` (1.5 % of the budget) below the plan, and from there
 * λ = rampPrice × ((e − floor) / (ceiling − floor))², e = (spend − plan) / budget, capped at
 * λ_max. The plan is a ceiling (the campaign promises not to spend ahead of it), not a
 * target: below it nothing worth showing is priced out, and a campaign that demands more
 * than its plan settles where λ holds its spend rate to the plan's, within the band.
 *
 * Why a position and not a PI controller on the error (λ ← λ + η·e + κ·Δe, until
 * 2026-12-03): its integral keeps λ up after the spend fell back. In the demo
 * (run 20261203074311) an hour-long peak at the plan raised λ to 0.5, and it priced out
 * offers for the next eight simulated hours while the spend fell 370 EUR (15 % of the
 * budget) behind the plan; the campaign ended with 18 % of its budget unspent. A position
 * holds no memory to unwind. What made the position controllers of earlier attempts
 * overshoot (8.3 and 14 % above the plan) was the spend they were fed, six simulated hours
 * late; the PacingService now counts a decision's cost when its redemption period ends, and
 * its pending decisions at the realized/expected cost ratio of those already counted.
 *
 * Holds no clock: the caller passes the time of each observation.
 */
export class BudgetPacer {
  private readonly floor: number;
  private readonly ceiling: number;
  private readonly rampPrice: number;
  private readonly maxPrice: number;
  private readonly campaigns = new Map<string, PacedCampaign>();

  constructor(options: BudgetPacerOptions = {}) {
    this.floor = options.floor ?? -0.015;
    this.ceiling = options.ceiling ?? 0.005;
    this.rampPrice = options.rampPrice ?? 1;
    this.maxPrice = options.maxPrice ?? 10;
    if (!(Number.isFinite(this.floor) && Number.isFinite(this.ceiling))) {
      throw invalid(`floor and ceiling must be finite: ${this.floor}, ${this.ceiling}`);
    }
    if (!(this.ceiling > this.floor)) {
      throw invalid(`ceiling (${this.ceiling}) must be above floor (${this.floor})`);
    }
    if (!(this.rampPrice > 0 && this.rampPrice < Infinity)) {
      throw invalid(`rampPrice must be positive: ${this.rampPrice}`);
    }
    if (!(this.maxPrice >= 0 && this.maxPrice < Infinity)) {
      throw invalid(`maxPrice must be non-negative: ${this.maxPrice}`);
    }
  }

  /** Starts pacing a campaign (again, with a new budget, if it was paced). */
  track(campaignId: string, budgetMinor: number, initialPrice = 0): void {
    if (!(budgetMinor > 0 && budgetMinor < Infinity)) {
      throw invalid(`budget of ${campaignId} must be positive: ${budgetMinor}`);
    }
    this.campaigns.set(campaignId, {
      budgetMinor,
      price: this.clamp(initialPrice),
      lastObservedMs: -Infinity,
    });
  }

  /** Stops pacing a campaign; its price reads 0 again. */
  untrack(campaignId: string): void {
    this.campaigns.delete(campaignId);
  }

  /**
   * Prices the campaign's spend so far against its plan at `nowMs`, and returns the new
   * price. An observation older than the last one is ignored (deliveries may reorder).
   */
  observe(
    campaignId: string,
    nowMs: number,
    cumulativeSpendMinor: number,
    plannedCumulativeSpendMinor: number,
  ): number {
    const c = this.campaigns.get(campaignId);
    if (!c) {
      throw new PolicyException(
        PolicyErrorCode.UNKNOWN_CAMPAIGN,
        `campaign ${campaignId} is not paced`,
      );
    }
    if (!Number.isFinite(cumulativeSpendMinor) || !Number.isFinite(plannedCumulativeSpendMinor)) {
      throw invalid(`spend of ${campaignId} must be finite`);
    }
    if (nowMs < c.lastObservedMs) return c.price;
    c.lastObservedMs = nowMs;
    const error = (cumulativeSpendMinor - plannedCumulativeSpendMinor) / c.budgetMinor;
    const across = Math.max(0, error - this.floor) / (this.ceiling - this.floor);
    c.price = this.clamp(this.rampPrice * across * across);
    return c.price;
  }

  /** The campaign's current λ; 0 (no pacing) for a campaign that is not tracked. */
  price(campaignId: string): number {
    return this.campaigns.get(campaignId)?.price ?? 0;
  }

  private clamp(price: number): number {
    return Math.min(this.maxPrice, Math.max(0, Number.isFinite(price) ? price : 0));
  }
}

/**
 * The cumulative spend planned by `nowMs` for a budget spread over [startMs, endMs):
 * uniformly in time, or in proportion to `hourlyTrafficShare` (24 non-negative weights by
 * UTC hour of day — rotate the array for a campaign's time zone) so that the budget follows
 * the traffic. Clamped to [0, budget] outside the window.
 */
export function plannedSpend(
  budgetMinor: number,
  startMs: number,
  endMs: number,
  nowMs: number,
  hourlyTrafficShare?: readonly number[],
): number {
  if (!(endMs > startMs)) throw invalid(`the window must end after it starts`);
  if (nowMs <= startMs) return 0;
  if (nowMs >= endMs) return budgetMinor;
  if (hourlyTrafficShare === undefined) {
    return (budgetMinor * (nowMs - startMs)) / (endMs - startMs);
  }
  const weights = trafficWeights(hourlyTrafficShare);
  const total = weights.at(endMs) - weights.at(startMs);
  // A window entirely in hours without traffic: nothing to follow, so spend evenly.
  if (!(total > 0)) return (budgetMinor * (nowMs - startMs)) / (endMs - startMs);
  return (budgetMinor * (weights.at(nowMs) - weights.at(startMs))) / total;
}

/** W(t) = ∫₀ᵗ w(hour of day of s) ds, in weight × hours, by prefix sums over the day. */
function trafficWeights(share: readonly number[]): { at(ms: number): number } {
  if (share.length !== 24 || share.some((w) => !(w >= 0 && w < Infinity))) {
    throw invalid('hourlyTrafficShare must hold 24 non-negative finite numbers');
  }
  const prefix = new Float64Array(25);
  for (let h = 0; h < 24; h++) prefix[h + 1] = prefix[h]! + share[h]!;
  const day = prefix[24]!;
  return {
    at(ms: number): number {
      const days = Math.floor(ms / DAY_MS);
      const hours = (ms - days * DAY_MS) / HOUR_MS;
      const h = Math.min(23, Math.floor(hours));
      return days * day + prefix[h]! + (hours - h) * share[h]!;
    },
  };
}
