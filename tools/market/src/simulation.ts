import { BehaviourLog, type ObservedUser } from './behaviour-log';
import { CampaignBook, type Candidate } from './campaign-book';
import { Market, type DecisionPoint, type SessionOutcome, type SessionStart } from './market';
import type { MarketEvent } from './market-event';
import type { TruthAnswer } from './outcome-model';
import type { DecisionContext, Policy } from './policy';
import { Prng, ulid } from './prng.util';
import { campaignsAt, type Scenario } from './scenario';
import { HOUR_MS } from './time.util';

/** One decision of a run, with everything the runner and the dataset need. */
export interface DecisionRecord {
  readonly decisionId: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly point: DecisionPoint;
  /** The user's observed history when the decision was made. */
  readonly history: ObservedUser;
  /** Eligible offers (after holdout); empty for a holdout decision. */
  readonly candidates: readonly Candidate[];
  readonly heldOutCampaignIds: readonly string[];
  /** True when nothing was shown because the user is held out of every serving campaign. */
  readonly holdout: boolean;
  /** The offer shown, or null. */
  readonly chosen: Candidate | null;
  /** The policy's context (undefined for holdout decisions, where no policy was asked). */
  readonly context: DecisionContext | undefined;
  /** Ground truth of the choice (incremental profit 0 for no offer). */
  readonly truth: TruthAnswer;
  readonly outcome: SessionOutcome;
}

/** Callbacks of a run, in simulated time order. */
export interface SimulationObserver {
  /** Every event, as it happens. */
  onEvent?(e: MarketEvent): void;
  /** Every decision, once its session has ended. */
  onDecision?(r: DecisionRecord): void;
  /** Every session that reached the cart page, decision or not. */
  onCartSession?(s: SessionStart, outcome: SessionOutcome): void;
  /** Every simulated hour from the start (t = start + k hours) up to the end, with the run's state. */
  onTick?(t: number, run: SimulationResult): void;
}

/** Options of {@link simulate}. */
export interface SimulationOptions {
  readonly scenario: Scenario;
  /** Simulated start, epoch ms. */
  readonly startMs: number;
  /** The policy, or a factory given the run's market (the oracle reads its ground truth). */
  readonly policy: Policy | ((market: Market) => Policy);
  readonly observer?: SimulationObserver;
}

/** The state a run ends in. */
export interface SimulationResult {
  readonly market: Market;
  readonly policy: Policy;
  readonly book: CampaignBook;
  readonly behaviour: BehaviourLog;
}

/**
 * Runs a market in-process under one policy, with the in-process campaign book deciding
 * eligibility, holdout, budget and stock. Pure apart from the observer's side effects:
 * the same options give the same run.
 */
export function simulate(opts: SimulationOptions): SimulationResult {
  const { scenario, startMs } = opts;
  const obs = opts.observer ?? {};
  const market = new Market(scenario, startMs);
  const policy = typeof opts.policy === 'function' ? opts.policy(market) : opts.policy;
  const book = new CampaignBook(campaignsAt(scenario, startMs), market.catalog);
  const behaviour = new BehaviourLog();
  const result: SimulationResult = { market, policy, book, behaviour };
  // Refunds happen hours after their session: held here until the clock reaches them.
  const later: MarketEvent[] = [];
  let nextTick = startMs;

  const emit = (e: MarketEvent) => {
    behaviour.record(e);
    obs.onEvent?.(e);
  };
  const defer = (events: readonly MarketEvent[]) => {
    if (events.length === 0) return;
    later.push(...events);
    later.sort((a, b) => a.timeMs - b.timeMs);
  };
  const advance = (t: number) => {
    while (true) {
      const refundAt = later[0]?.timeMs ?? Infinity;
      if (refundAt > t && nextTick > t) break;
      if (nextTick <= refundAt) {
        obs.onTick?.(nextTick, result);
        nextTick += HOUR_MS;
      } else {
        emit(later.shift()!);
      }
    }
  };

  for (let s = market.nextSession(); s; s = market.nextSession()) {
    advance(s.startMs);
    for (const e of s.events) emit(e);
    const point = s.decisionPoint;
    if (!point) {
      market.completeSession(s, null);
      continue;
    }
    const user = market.population.byId.get(s.userId)!;
    const history = behaviour.get(s.userId);
    const { candidates, heldOutCampaignIds } = book.eligible(
      {
        shopId: scenario.shopId,
        userId: s.userId,
        returning: history.orders > 0,
        churnRisk: user.predictedChurnRisk,
      },
      point,
    );
    if (candidates.length === 0 && heldOutCampaignIds.length === 0) {
      const end = market.completeSession(s, null);
      end.events.forEach(emit);
      defer(end.later);
      if (end.outcome) obs.onCartSession?.(s, end.outcome);
      continue;
    }
    const decisionId = ulid(point.timeMs, Prng.keyed(scenario.seed, 'decision', s.sessionId));
    const holdout = candidates.length === 0;
    let context: DecisionContext | undefined;
    let chosen: Candidate | null = null;
    if (!holdout) {
      context = {
        decisionId,
        shopId: scenario.shopId,
        userId: s.userId,
        sessionId: s.sessionId,
        timeMs: point.timeMs,
        point,
        candidates,
        history,
      };
      const offerId = policy.decide(context);
      if (offerId !== null) {
        chosen = candidates.find((c) => c.offer.offerId === offerId) ?? null;
        if (!chosen)
          throw new Error(`policy ${policy.name} chose ${offerId}, which is not a candidate`);
      }
    }
    const truth = market.truth.evaluate(
      s.userId,
      point.basket,
      chosen?.offer ?? null,
      chosen?.flashUnitsLeft,
    );
    const end = market.completeSession(s, {
      decisionId,
      offer: chosen?.offer ?? null,
      ...(chosen?.flashUnitsLeft !== undefined ? { flashUnitsLeft: chosen.flashUnitsLeft } : {}),
    });
    const outcome = end.outcome!;
    end.events.forEach(emit);
    defer(end.later);
    if (chosen) {
      book.recordImpression(s.userId, chosen.campaign.campaignId, point.timeMs);
      if (outcome.redeemed)
        book.recordRedemption(
          s.userId,
          chosen,
          outcome.offerCostMinor,
          outcome.flashUnits,
          outcome.orderTimeMs ?? point.timeMs,
        );
    }
    if (context) {
      policy.learn({
        context,
        offerId: chosen?.offer.offerId ?? null,
        clicked: outcome.clicked,
        purchased: outcome.purchased,
        redeemed: outcome.redeemed,
        revenueMinor: outcome.revenueMinor,
        marginMinor: outcome.marginMinor,
        costMinor: outcome.offerCostMinor,
        profitMinor: outcome.profitMinor,
      });
    }
    obs.onCartSession?.(s, outcome);
    obs.onDecision?.({
      decisionId,
      sessionId: s.sessionId,
      userId: s.userId,
      point,
      history,
      candidates,
      heldOutCampaignIds,
      holdout,
      chosen,
      context,
      truth,
      outcome,
    });
  }
  advance(market.endMs);
  return result;
}
