import {
  DecisionReason,
  Event,
  PageType,
  type Offer,
  type RequestContext,
  type UserTraits,
} from '@offerstream/contracts';
import { Channel, DeviceType } from '@offerstream/contracts';
import { BehaviourLog } from '../behaviour-log';
import { basketMargin, cartItemIdsOf } from '../outcome-model';
import { campaignsAt } from '../scenario';
import type { CampaignBook, Candidate } from '../campaign-book';
import type { DecisionPoint, Market, SessionOutcome, SessionStart } from '../market';
import { toProtoEvent, type MarketEvent } from '../market-event';
import { Prng, ulid } from '../prng.util';
import { HOUR_MS } from '../time.util';
import { ActionQueue } from './action-queue';
import type { ArmLedger, LiveArmFacts } from './arm-ledger';
import type { EventPublisher } from './event-publisher.adapter';
import type { OfferstreamClient } from './offerstream.adapter';
import type { TimeWarp } from './time-warp';
import type { VwAction, VwLearner } from './vw.adapter';

/** What a live arm decided at a cart page. */
export interface LiveChoice {
  /** A decision was made: a campaign served the user or held them out. */
  readonly decided: boolean;
  /** The id every later event of the session carries (also for holdout and empty answers). */
  readonly decisionId: string | undefined;
  readonly offer: Offer | null;
  readonly holdout: boolean;
  /** Called once the session's outcome is known (bookkeeping of in-driver campaign books). */
  readonly settled?: (outcome: SessionOutcome) => void;
  /** Called when the decision's attribution window has closed (learners outside offerstream). */
  readonly learn?: (outcome: SessionOutcome) => Promise<void>;
}

/** A cart page that did not ask (the fast-forwarded history): no decision, no offer. */
const NOT_ASKED: LiveChoice = {
  decided: false,
  decisionId: undefined,
  offer: null,
  holdout: false,
};

/** How a live arm decides: through GetOffers, or through an outside learner. */
export interface LiveDecider {
  /** E.g. "THOMPSON_BETA via GetOffers". */
  readonly policy: string;
  decide(s: SessionStart, point: DecisionPoint): Promise<LiveChoice>;
  /** Every event the arm publishes (for deciders that keep their own view of the user). */
  onEvent?(e: MarketEvent): void;
  facts(): Omit<LiveArmFacts, 'stats' | 'campaignIds' | 'shopId' | 'policy'>;
}

const PAGE = PageType.PAGE_TYPE_CART;
const CHANNEL = { web: Channel.CHANNEL_WEB, app: Channel.CHANNEL_APP } as const;
const DEVICE = {
  desktop: DeviceType.DEVICE_TYPE_DESKTOP,
  mobile: DeviceType.DEVICE_TYPE_MOBILE,
  tablet: DeviceType.DEVICE_TYPE_TABLET,
} as const;

/** The storefront's request context at the cart page. */
export function cartContext(point: DecisionPoint, currency: string): RequestContext {
  return {
    pageType: PAGE,
    itemId: '',
    categoryId: '',
    searchQuery: '',
    cartValueMinor: point.basket.subtotalMinor,
    currency,
    cartItemIds: cartItemIdsOf(point.basket),
    device: DEVICE[point.device],
    channel: CHANNEL[point.channel],
    locale: '',
    country: point.country,
    clientTime: undefined,
  };
}

/** Request latencies, errors and degradations of a decider. */
class CallStats {
  requests = 0;
  errors = 0;
  degraded = 0;
  readonly models = new Set<string>();
  private readonly latencies: number[] = [];

  took(ms: number): void {
    this.requests++;
    this.latencies.push(ms);
  }

  facts(): Omit<LiveArmFacts, 'stats' | 'campaignIds' | 'shopId' | 'policy'> {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const q = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return {
      requests: this.requests,
      errors: this.errors,
      degraded: this.degraded,
      latencyP50Ms: q(0.5),
      latencyP99Ms: q(0.99),
      models: [...this.models],
    };
  }
}

/** A storefront asking offerstream: GetOffers at the cart page, the answer shown as it is. */
export class OfferstreamDecider implements LiveDecider {
  private readonly calls = new CallStats();

  constructor(
    private readonly o: {
      readonly client: OfferstreamClient;
      readonly shopId: string;
      readonly currency: string;
      readonly deadlineMs: number;
      readonly policy: string;
      /** What the shop knows about a user from its own systems (sent as GetOffers traits). */
      readonly traits?: (userId: string) => UserTraits | undefined;
    },
  ) {}

  get policy(): string {
    return this.o.policy;
  }

  async decide(s: SessionStart, point: DecisionPoint): Promise<LiveChoice> {
    const t0 = performance.now();
    try {
      const res = await this.o.client.getOffers(
        {
          shopId: this.o.shopId,
          userId: s.userId,
          sessionId: s.sessionId,
          context: cartContext(point, this.o.currency),
          slots: 1,
          placementId: point.placementId,
          campaignIds: [],
          traits: this.o.traits?.(s.userId),
          deferActivation: false,
          explain: true,
        },
        this.o.deadlineMs,
      );
      this.calls.took(performance.now() - t0);
      if (res.degraded) this.calls.degraded++;
      if (res.modelVersion) this.calls.models.add(`${res.modelName}@${res.modelVersion}`);
      const slot = res.slots[0];
      const nothingEligible =
        !slot &&
        !res.holdout &&
        (res.explanation?.reasons ?? []).includes(DecisionReason.DECISION_REASON_NO_ELIGIBLE_OFFER);
      return {
        decided: !nothingEligible,
        decisionId: res.decisionId,
        offer: slot?.offer ?? null,
        holdout: res.holdout,
      };
    } catch {
      this.calls.took(performance.now() - t0);
      this.calls.errors++;
      return { decided: false, decisionId: undefined, offer: null, holdout: false };
    }
  }

  facts() {
    return this.calls.facts();
  }
}

/**
 * Vowpal Wabbit as the storefront's decision maker: the campaign's rules (schedule,
 * eligibility, caps, holdout, budget, stock) from an in-driver campaign book, the features
 * from FeatureService.GetFeatures for this shop, the choice from cb_explore_adf over the
 * eligible offers plus "no offer", and the reward — the decision's profit as attribution
 * counts it (margin − offer cost of an order in the window, a refund in the window takes it
 * back) — learned once the window has closed.
 */
export class VwDecider implements LiveDecider {
  private readonly calls = new CallStats();
  private readonly behaviour = new BehaviourLog();

  constructor(
    private readonly o: {
      readonly client: OfferstreamClient;
      readonly vw: VwLearner;
      readonly vwArgs: string;
      readonly market: Market;
      readonly book: CampaignBook;
      readonly shopId: string;
      readonly currency: string;
      readonly deadlineMs: number;
      /** Simulated attribution window: the reward's horizon. */
      readonly windowSimMs: number;
      /** Rewards are divided by this before VW sees them (minor units → a few units). */
      readonly rewardScale: number;
    },
  ) {}

  get policy(): string {
    return `VW ${this.o.vwArgs}`;
  }

  onEvent(e: MarketEvent): void {
    this.behaviour.record(e);
  }

  async decide(s: SessionStart, point: DecisionPoint): Promise<LiveChoice> {
    const { market, book, shopId } = this.o;
    const user = market.population.byId.get(s.userId)!;
    const history = this.behaviour.get(s.userId);
    const { candidates, heldOutCampaignIds } = book.eligible(
      {
        shopId,
        userId: s.userId,
        returning: history.orders > 0,
        churnRisk: user.predictedChurnRisk,
      },
      point,
    );
    if (candidates.length === 0 && heldOutCampaignIds.length === 0)
      return { decided: false, decisionId: undefined, offer: null, holdout: false };
    const seed = market.scenario.seed;
    const decisionId = ulid(point.timeMs, Prng.keyed(seed, 'vw-decision', s.sessionId));
    if (candidates.length === 0) return { decided: true, decisionId, offer: null, holdout: true };

    const t0 = performance.now();
    let shared: number[] = [];
    let xs: (readonly number[])[] = candidates.map(() => []);
    try {
      const f = await this.o.client.getFeatures(
        {
          shopId,
          userId: s.userId,
          sessionId: s.sessionId,
          context: cartContext(point, this.o.currency),
          candidates: candidates.map((c) => ({
            offerId: c.offer.offerId,
            campaignId: c.campaign.campaignId,
            itemId: c.offer.flashSale?.itemId ?? c.offer.applicableItemIds[0] ?? '',
            categoryId: c.offer.applicableCategoryIds[0] ?? '',
          })),
          featureSpecVersion: '',
        },
        this.o.deadlineMs,
      );
      if (f.user?.stale) this.calls.degraded++;
      shared = f.user?.values ?? [];
      xs = candidates.map((_, i) => f.candidates[i]?.values ?? []);
    } catch {
      this.calls.errors++;
      this.calls.degraded++;
    }
    const actions: VwAction[] = [
      ...candidates.map((c, i) => ({ id: c.offer.offerId, x: xs[i] })),
      { id: null },
    ];
    let pmf: number[];
    try {
      pmf = await this.o.vw.predict(shared, actions);
    } catch {
      this.calls.errors++;
      return { decided: true, decisionId, offer: null, holdout: false };
    }
    this.calls.took(performance.now() - t0);
    const u = Prng.keyed(seed, 'vw-draw', s.sessionId).next();
    let k = actions.length - 1;
    let acc = 0;
    for (let i = 0; i < pmf.length; i++) {
      acc += pmf[i]!;
      if (u < acc) {
        k = i;
        break;
      }
    }
    const chosen: Candidate | undefined = candidates[k];
    if (chosen) book.recordImpression(s.userId, chosen.campaign.campaignId, point.timeMs);
    const prob = pmf[k] ?? 1 / actions.length;
    return {
      decided: true,
      decisionId,
      offer: chosen?.offer ?? null,
      holdout: false,
      settled: (o) => {
        if (chosen && o.redeemed)
          book.recordRedemption(
            s.userId,
            chosen,
            o.offerCostMinor,
            o.flashUnits,
            o.orderTimeMs ?? point.timeMs,
          );
      },
      learn: async (o) => {
        const refundedInWindow =
          o.refundAtMs !== undefined && o.refundAtMs < point.timeMs + this.o.windowSimMs;
        const reward = o.purchased && !refundedInWindow ? o.profitMinor : 0;
        await this.o.vw.learn(shared, actions, k, -reward / this.o.rewardScale, prob);
      },
    };
  }

  facts() {
    return this.calls.facts();
  }
}

/** One live arm: its own market copy, decider and ledger. */
export interface LiveArm {
  readonly name: string;
  readonly market: Market;
  readonly decider: LiveDecider;
  readonly ledger: ArmLedger;
  /** Simulated attribution window (when a learner outside offerstream learns). */
  readonly windowSimMs: number;
  /** The arm's settled spend as the system reports it (GetCampaignStats); optional. */
  readonly systemSpend?: () => Promise<number>;
  /** Receives every decision with the truth of each offer it could have shown; optional. */
  readonly decisionLog?: (row: DecisionTruthRow) => void;
  /** Cart pages before this simulated instant do not ask (the fast-forwarded history). */
  readonly asksFromSimMs?: number;
}

/**
 * One decision of a live arm with the ground truth of every offer of the arm's campaigns on
 * the same basket: what an off-policy evaluation of another policy on the arm's logged
 * decisions needs (join on `decisionId` with the system's `decision_candidates`).
 */
export interface DecisionTruthRow {
  readonly arm: string;
  readonly decisionId: string;
  readonly userId: string;
  readonly userType: string;
  /** Simulated time of the cart page, epoch ms. */
  readonly simTimeMs: number;
  readonly holdout: boolean;
  /** The offer shown, or null. */
  readonly offerId: string | null;
  readonly cartValueMinor: number;
  readonly cartMarginMinor: number;
  /** Expected incremental profit (minor units) of showing each offer instead of nothing. */
  readonly truthByOffer: Readonly<Record<string, number>>;
}

/** Every offer of a market's campaigns, built once per market (not once per decision). */
const offersByMarket = new WeakMap<Market, readonly Offer[]>();
function campaignOffersOf(market: Market): readonly Offer[] {
  let offers = offersByMarket.get(market);
  if (!offers) {
    offers = campaignsAt(market.scenario, market.scenario.epochMs).flatMap((c) => c.offers);
    offersByMarket.set(market, offers);
  }
  return offers;
}

/**
 * The {@link DecisionTruthRow} of one decision: every campaign offer valued on its basket
 * (flash-sale offers as if their stock were left).
 */
export function decisionTruthRow(
  arm: Pick<LiveArm, 'name' | 'market'>,
  userId: string,
  point: DecisionPoint,
  decisionId: string,
  shown: { holdout: boolean; offerId: string | null; userType: string },
): DecisionTruthRow {
  const { market } = arm;
  const truthByOffer: Record<string, number> = {};
  for (const o of campaignOffersOf(market))
    truthByOffer[o.offerId] = market.truth.evaluate(userId, point.basket, o).incrementalProfit;
  return {
    arm: arm.name,
    decisionId,
    userId,
    userType: shown.userType,
    simTimeMs: point.timeMs,
    holdout: shown.holdout,
    offerId: shown.offerId,
    cartValueMinor: point.basket.subtotalMinor,
    cartMarginMinor: basketMargin(point.basket),
    truthByOffer,
  };
}

/** Where a running arm stands. */
export interface ArmProgress {
  readonly name: string;
  readonly simMs: number;
  /** How far behind its agenda the driver is (real ms). */
  readonly lagMs: number;
  readonly done: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Real time of a session's cart-page request: its decision point on the warped clock, but
 * at least `gapMs` after the session's last event before it. A shopper takes seconds from
 * the add-to-cart to the cart page, which compressed time squeezes to a few ms: less than the
 * system needs to take the events in, so the request would be decided without them.
 */
export function cartPageAt(
  s: Pick<SessionStart, 'events'>,
  point: Pick<DecisionPoint, 'timeMs'>,
  warp: Pick<TimeWarp, 'toReal'>,
  gapMs: number,
): number {
  let lastReal = Number.NEGATIVE_INFINITY;
  for (const e of s.events)
    if (e.timeMs <= point.timeMs) lastReal = Math.max(lastReal, warp.toReal(e.timeMs));
  return Math.max(warp.toReal(point.timeMs), lastReal + gapMs);
}

/**
 * Drives one arm through the live system in compressed time: each session's browsing is
 * produced to Kafka when its (real) time comes, GetOffers (or the outside learner) decides
 * at the cart page, what the user then does — impression, click, purchase, redeem, later a
 * refund, each with the decision id — follows as events; the ledger books it all against the
 * market's ground truth, hour by simulated hour.
 */
export class LiveArmDriver {
  private readonly agenda = new ActionQueue();
  private inflight = 0;
  private lagMs = 0;
  private done = false;
  private systemSpent: number | undefined;
  private statsBusy = false;
  private learnFailures = 0;

  constructor(
    readonly arm: LiveArm,
    private readonly warp: TimeWarp,
    private readonly publisher: EventPublisher,
    private readonly lookaheadMs = 100,
    private readonly cartPageGapMs = 0,
  ) {}

  get progress(): ArmProgress {
    return {
      name: this.arm.name,
      simMs: Math.min(this.arm.market.endMs, this.warp.toSim(Date.now())),
      lagMs: this.lagMs,
      done: this.done,
    };
  }

  get failures(): number {
    return this.learnFailures;
  }

  private publish(e: MarketEvent, atReal: number): void {
    this.arm.decider.onEvent?.(e);
    const ev = toProtoEvent(e);
    this.publisher.publish(Event.fromPartial({ ...ev, eventTime: new Date(Math.round(atReal)) }));
  }

  private schedule(at: number, run: () => void): void {
    this.agenda.push(at, run);
  }

  private begin(s: SessionStart): void {
    const { market } = this.arm;
    for (const e of s.events) {
      const at = this.warp.toReal(e.timeMs);
      this.schedule(at, () => this.publish(e, at));
    }
    const point = s.decisionPoint;
    if (!point) {
      market.completeSession(s, null);
      return;
    }
    // A cart page that does not ask needs no time for the system to take the session in.
    const gapMs = this.asks(point) ? this.cartPageGapMs : 0;
    this.schedule(cartPageAt(s, point, this.warp, gapMs), () => {
      this.inflight++;
      void this.decide(s, point).finally(() => this.inflight--);
    });
  }

  /** Whether the cart page asks (not in the fast-forwarded history). */
  private asks(point: DecisionPoint): boolean {
    return point.timeMs >= (this.arm.asksFromSimMs ?? -Infinity);
  }

  private async decide(s: SessionStart, point: DecisionPoint): Promise<void> {
    const { market, decider, ledger } = this.arm;
    const choice = this.asks(point) ? await decider.decide(s, point) : NOT_ASKED;
    const answeredAt = Date.now();
    const end = market.completeSession(
      s,
      choice.decisionId === undefined
        ? null
        : { decisionId: choice.decisionId, offer: choice.offer },
    );
    const outcome = end.outcome!;
    choice.settled?.(outcome);
    ledger.cartSession(s.sessionId, s.userId, point.timeMs, outcome);
    if (choice.decided) {
      const truth = market.truth.evaluate(s.userId, point.basket, choice.offer);
      ledger.decision({
        sessionId: s.sessionId,
        userId: s.userId,
        timeMs: point.timeMs,
        holdout: choice.holdout,
        offerId: choice.offer?.offerId ?? null,
        truth,
        outcome,
      });
      if (this.arm.decisionLog && choice.decisionId !== undefined)
        this.arm.decisionLog(
          decisionTruthRow(this.arm, s.userId, point, choice.decisionId, {
            holdout: choice.holdout,
            offerId: choice.offer?.offerId ?? null,
            userType: truth.userType,
          }),
        );
    }
    // The outcome never precedes the answer that caused it on the real clock (attribution
    // windows open when the server decided), and keeps its order.
    let floor = answeredAt;
    for (const e of [...end.events, ...end.later]) {
      const at = Math.max(this.warp.toReal(e.timeMs), floor + 1);
      floor = at;
      this.schedule(at, () => this.publish(e, at));
    }
    const learn = choice.learn;
    if (learn)
      this.schedule(this.warp.toReal(point.timeMs + this.arm.windowSimMs), () => {
        this.inflight++;
        learn(outcome)
          .catch(() => this.learnFailures++)
          .finally(() => this.inflight--);
      });
  }

  private tick(t: number): void {
    this.arm.ledger.tick(t, this.systemSpent);
    const stats = this.arm.systemSpend;
    if (!stats || this.statsBusy) return;
    this.statsBusy = true;
    stats()
      .then((v) => (this.systemSpent = v))
      .catch(() => undefined)
      .finally(() => (this.statsBusy = false));
  }

  /** Runs the arm to the end of the market (and until every scheduled event is out). */
  async run(): Promise<void> {
    const { market } = this.arm;
    let pending = market.nextSession();
    let nextTick = market.startMs;
    for (;;) {
      const now = Date.now();
      while (pending && this.warp.toReal(pending.startMs) <= now + this.lookaheadMs) {
        this.begin(pending);
        pending = market.nextSession();
      }
      while (nextTick <= market.endMs && this.warp.toReal(nextTick) <= now) {
        this.tick(nextTick);
        nextTick += HOUR_MS;
      }
      const due = this.agenda.nextAt;
      if (due <= now) this.lagMs = now - due;
      for (let run = this.agenda.popDue(now); run; run = this.agenda.popDue(now)) run();
      if (!pending && this.agenda.size === 0 && this.inflight === 0 && nextTick > market.endMs)
        break;
      const next = Math.min(
        this.agenda.nextAt,
        pending ? this.warp.toReal(pending.startMs) - this.lookaheadMs : Infinity,
        this.warp.toReal(nextTick),
      );
      await sleep(Math.max(1, Math.min(25, next - Date.now())));
    }
    this.done = true;
  }
}
