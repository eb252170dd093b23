import { OfferType } from '@offerstream/contracts';
import type { Candidate } from './campaign-book';
import type { GroundTruth } from './outcome-model';
import type { DecisionContext, Policy } from './policy';
import { Prng } from './prng.util';

/** Never shows an offer: the baseline every incremental figure is measured against. */
export class NoPromotionPolicy implements Policy {
  readonly name = 'no-promotion';
  decide(): string | null {
    return null;
  }
  learn(): void {}
}

/** Shows a uniformly random eligible offer every time. */
export class RandomOfferPolicy implements Policy {
  readonly name = 'random-offer';
  private readonly rng: Prng;
  constructor(seed: number) {
    this.rng = Prng.keyed(seed, 'policy', 'random-offer');
  }
  decide(ctx: DecisionContext): string | null {
    return this.rng.pick(ctx.candidates).offer.offerId;
  }
  learn(): void {}
}

/**
 * Blanket discount: the same offer for everyone — the 10 % percent-off offer (or the
 * percent-off offer closest to 10 %; or, when a campaign has none, its first offer).
 */
export class BlanketDiscountPolicy implements Policy {
  readonly name = 'blanket-10pct';
  constructor(private readonly percent = 10) {}
  decide(ctx: DecisionContext): string | null {
    const percent = ctx.candidates.filter((c) => c.offer.type === OfferType.OFFER_TYPE_PERCENT_OFF);
    if (percent.length === 0) return ctx.candidates[0]?.offer.offerId ?? null;
    const gap = (c: Candidate) => Math.abs((c.offer.percentOff ?? 0) - this.percent);
    return percent.reduce((a, b) => (gap(b) < gap(a) ? b : a)).offer.offerId;
  }
  learn(): void {}
}

/**
 * What a merchandiser would write: nothing for frequent buyers (two or more orders);
 * for cart abandoners and deal hunters, the most generous offer for this cart that gives
 * at most 20 % away; nothing for anyone else.
 */
export class RuleBasedPolicy implements Policy {
  readonly name = 'rule-based';
  decide(ctx: DecisionContext): string | null {
    const h = ctx.history;
    if (h.orders >= 2) return null;
    if (h.abandonedCarts === 0 && h.dealSearches === 0) return null;
    const within = ctx.candidates.filter((c) => c.effect.applies && c.effect.depth <= 0.2);
    if (within.length === 0) return null;
    return within.reduce((a, b) => (b.effect.savingMinor > a.effect.savingMinor ? b : a)).offer
      .offerId;
  }
  learn(): void {}
}

/** The candidate with the highest value, or null when no value is positive (first wins ties). */
function bestPositive(
  candidates: readonly Candidate[],
  value: (c: Candidate) => number,
): string | null {
  let best: string | null = null;
  let bestValue = 0;
  for (const c of candidates) {
    const v = value(c);
    if (v > bestValue) {
      bestValue = v;
      best = c.offer.offerId;
    }
  }
  return best;
}

/**
 * The oracle: knows the ground truth and shows the eligible offer with the highest true
 * expected incremental profit, or nothing when no offer earns more than showing nothing.
 * Budget and stock are respected because only affordable, in-stock offers are candidates;
 * it does not pace, so it is the best per-decision choice, not a global optimum.
 */
export class OraclePolicy implements Policy {
  readonly name = 'oracle';
  constructor(private readonly truth: GroundTruth) {}
  decide(ctx: DecisionContext): string | null {
    return bestPositive(
      ctx.candidates,
      (c) =>
        this.truth.evaluate(ctx.userId, ctx.point.basket, c.offer, c.flashUnitsLeft)
          .incrementalProfit,
    );
  }
  learn(): void {}
}

/**
 * The type oracle: knows every user's latent type but none of their own parameters (base
 * rate, uplift, threshold, annoyance), and shows the eligible offer with the highest
 * expected incremental profit for that type (GroundTruth.evaluateType), or nothing when
 * none is positive. It marks what a perfect segment model could earn: the oracle's share
 * that is out of reach without knowing each user's threshold.
 */
export class TypeOraclePolicy implements Policy {
  readonly name = 'type-oracle';
  constructor(private readonly truth: GroundTruth) {}
  decide(ctx: DecisionContext): string | null {
    return bestPositive(ctx.candidates, (c) =>
      this.truth.evaluateType(ctx.userId, ctx.point.basket, c.offer, c.flashUnitsLeft),
    );
  }
  learn(): void {}
}

/**
 * The dataset's logging policy: uniform over the eligible offers plus "no offer", so
 * every action has the known propensity 1 / (candidates + 1).
 */
export class UniformLoggingPolicy implements Policy {
  readonly name = 'uniform-logging';
  private readonly rng: Prng;
  constructor(seed: number) {
    this.rng = Prng.keyed(seed, 'policy', 'uniform-logging');
  }
  /** The propensity of every action (each offer and "no offer") for `ctx`. */
  propensity(ctx: DecisionContext): number {
    return 1 / (ctx.candidates.length + 1);
  }
  decide(ctx: DecisionContext): string | null {
    const k = this.rng.int(ctx.candidates.length + 1);
    return ctx.candidates[k]?.offer.offerId ?? null;
  }
  learn(): void {}
}
