import type { Offer } from '@offerstream/contracts';
import { buildCatalog, type Catalog, type Item } from './catalog';
import type { MarketEvent, MarketEventType } from './market-event';
import {
  basketMargin,
  basketOf,
  GroundTruth,
  offerEffect,
  purchaseProbability,
  type Basket,
  type BasketLine,
  type OfferEffect,
} from './outcome-model';
import {
  buildPopulation,
  pickCategory,
  pickInCategory,
  pickItem,
  type Population,
  type SimUser,
} from './population';
import { Prng, ulid } from './prng.util';
import type { Scenario } from './scenario';
import { DAY_MS, HOUR_MS, utcHour } from './time.util';

/** The moment a session reaches the cart page, where the shop asks which offer to show. */
export interface DecisionPoint {
  readonly timeMs: number;
  readonly pageType: 'cart';
  /** Placement the storefront asks for. */
  readonly placementId: string;
  readonly basket: Basket;
  readonly channel: 'web' | 'app';
  readonly device: 'desktop' | 'mobile' | 'tablet';
  readonly country: string;
}

/** The first part of a session: browsing up to the cart page. */
export interface SessionStart {
  readonly sessionId: string;
  readonly userId: string;
  readonly startMs: number;
  /** Events up to the decision point (or the whole session when there is none). */
  readonly events: readonly MarketEvent[];
  /** Present when the session put something into the cart. */
  readonly decisionPoint?: DecisionPoint;
}

/** What the shop did at the decision point. */
export interface ShownOffer {
  /** GetOffers' decision id; set on every event the decision leads to. */
  readonly decisionId: string;
  /** The offer shown; null when the decision showed nothing (no offer or holdout). */
  readonly offer: Offer | null;
  /** Flash-sale units still available to this offer (the campaign's stock ledger). */
  readonly flashUnitsLeft?: number;
}

/** How a session ended. */
export interface SessionOutcome {
  readonly decisionId: string | undefined;
  readonly offerId: string | undefined;
  readonly campaignId: string | undefined;
  readonly clicked: boolean;
  readonly purchased: boolean;
  readonly redeemed: boolean;
  readonly orderId: string | undefined;
  /** When the order was placed. */
  readonly orderTimeMs: number | undefined;
  /** Σ price × quantity − discount of the order. */
  readonly revenueMinor: number;
  /** Σ unit cost × quantity. */
  readonly cogsMinor: number;
  /** Merchandise margin at full price (before the offer's cost). */
  readonly marginMinor: number;
  /** Merchandise discount given. */
  readonly discountMinor: number;
  /** Cost of the offer to the shop (discount or absorbed shipping). */
  readonly offerCostMinor: number;
  /** marginMinor − offerCostMinor (0 when nothing was bought). */
  readonly profitMinor: number;
  /** Flash-sale units sold at the sale price. */
  readonly flashUnits: number;
  /** When the order is refunded (inside the run only); undefined when it is not. */
  readonly refundAtMs: number | undefined;
  /** Ids of the refund events (in SessionEnd.later). */
  readonly refundEventIds: readonly string[];
  /** Ground truth at the decision point. */
  readonly pBuy: number;
  readonly pBuyNoOffer: number;
  /** Ids of the impression, click, purchase and redeem events of the decision. */
  readonly eventIds: readonly string[];
}

/** The rest of a session. */
export interface SessionEnd {
  /** Offer, purchase and redeem events, in time order. */
  readonly events: readonly MarketEvent[];
  /** Events that happen later (refunds), inside the run. */
  readonly later: readonly MarketEvent[];
  /** Present when the session had a cart. */
  readonly outcome?: SessionOutcome;
}

/** The per-event fields of a market event. */
type EventFields = Partial<
  Omit<
    MarketEvent,
    'eventId' | 'type' | 'shopId' | 'userId' | 'sessionId' | 'timeMs' | 'channel' | 'device'
  >
>;

interface Arrival {
  readonly timeMs: number;
  readonly user: number;
  /** The user's n-th arrival (keys its random streams). */
  readonly n: number;
}

interface OpenSession {
  readonly user: SimUser;
  readonly n: number;
  readonly ids: Prng;
  readonly lastMs: number;
  readonly decision?: DecisionPoint;
}

interface UserState {
  churned: boolean;
  hazardPerDay: number;
  hazardSum: number;
  lastMs: number;
}

const DEAL_WORDS = ['sale', 'discount', 'coupon', 'deal'];

/** Share of a searching session's looks (other than own items) that stay in the search's category. */
const SEARCH_FOLLOW = 0.5;

/** Modified Bessel I0, for normalizing the hour-of-day profile to a mean of 1. */
function besselI0(k: number): number {
  let sum = 1;
  let term = 1;
  for (let m = 1; m < 30; m++) {
    term *= (k / (2 * m)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * The simulated market: users arriving in sessions on a simulated clock, browsing,
 * filling carts, reacting to offers and buying, with known ground truth.
 *
 * Transport-free and deterministic for a scenario and start time. A driver calls
 * {@link nextSession} for the next session in time order, decides (in-process or through
 * the real services) what to show at its decision point, and hands that to
 * {@link completeSession}. Sessions may be completed later and out of order (a live
 * driver waits on gRPC), but every session must be completed.
 *
 * Randomness is keyed by (seed, user, session number), never drawn from one shared
 * stream: two markets of the same scenario see the same arrivals and the same browsing,
 * and the same uniform draw decides a purchase whatever was shown — so the difference
 * between two policies' runs is due to the policies alone (common random numbers).
 */
export class Market {
  readonly catalog: Catalog;
  readonly population: Population;
  readonly truth: GroundTruth;
  readonly endMs: number;
  private readonly arrivals: Arrival[];
  private next = 0;
  private readonly state: UserState[];
  private readonly stock = new Map<string, number>();
  private readonly open = new Map<string, OpenSession>();
  /** Categories with items that can be unavailable (stock, launch date): only these are filtered. */
  private readonly limited = new Set<string>();

  constructor(
    readonly scenario: Scenario,
    /** Simulated epoch ms at which the run starts (the scenario's epoch is rebased onto it). */
    readonly startMs: number,
  ) {
    this.endMs = startMs + scenario.durationMs;
    this.catalog = buildCatalog(scenario);
    this.population = buildPopulation(scenario, this.catalog);
    this.truth = new GroundTruth(this.population, this.catalog, scenario.refundRate);
    for (const it of this.catalog.items) {
      if (it.stock !== undefined) this.stock.set(it.itemId, it.stock);
      if (it.stock !== undefined || it.launchOffsetMs > 0) this.limited.add(it.categoryId);
    }
    this.state = this.population.users.map((u) => ({
      churned: false,
      hazardPerDay: u.hazardPerDay,
      hazardSum: 0,
      lastMs: startMs,
    }));
    this.arrivals = this.population.users
      .flatMap((u) => this.arrivalsOf(u))
      .sort((a, b) => a.timeMs - b.timeMs || a.user - b.user);
  }

  /** Sessions still to come (before churn). */
  get remainingArrivals(): number {
    return this.arrivals.length - this.next;
  }

  /** Units of an item left in stock; undefined when it never runs out. */
  stockLeft(itemId: string): number | undefined {
    return this.stock.get(itemId);
  }

  /** True once the user has churned (stopped visiting). */
  hasChurned(userId: string): boolean {
    const u = this.population.byId.get(userId);
    return u ? this.state[u.index]!.churned : false;
  }

  /** Non-homogeneous Poisson arrivals by thinning against the peak of the hour profile. */
  private arrivalsOf(u: SimUser): Arrival[] {
    const rng = Prng.keyed(this.scenario.seed, 'arrivals', u.index);
    const norm = besselI0(u.hourConcentration);
    const wMax = Math.exp(u.hourConcentration) / norm;
    const meanGap = DAY_MS / (u.visitsPerDay * wMax);
    const out: Arrival[] = [];
    if (u.visitsPerDay <= 0) return out;
    // No session starts in the run's last hour, so every session ends inside the run.
    const last = this.endMs - HOUR_MS;
    for (let t = this.startMs + rng.exponential(meanGap); t < last; t += rng.exponential(meanGap)) {
      const h = utcHour(t);
      const w =
        Math.exp(u.hourConcentration * Math.cos((2 * Math.PI * (h - u.peakHour)) / 24)) / norm;
      if (rng.next() < w / wMax) out.push({ timeMs: Math.floor(t), user: u.index, n: out.length });
    }
    return out;
  }

  /** Churn: accumulate the hazard up to `t`; true when the user is gone. */
  private churnedBy(u: SimUser, t: number): boolean {
    const s = this.state[u.index]!;
    if (s.churned) return true;
    s.hazardSum += (s.hazardPerDay * Math.max(0, t - s.lastMs)) / DAY_MS;
    s.lastMs = Math.max(s.lastMs, t);
    if (s.hazardSum >= u.churnAt) s.churned = true;
    return s.churned;
  }

  private available(it: Item, t: number): boolean {
    if (t < this.startMs + it.launchOffsetMs) return false;
    const left = this.stock.get(it.itemId);
    return left === undefined || left > 0;
  }

  /** The next session in time order, up to its decision point; undefined when the run is over. */
  nextSession(): SessionStart | undefined {
    while (this.next < this.arrivals.length) {
      const a = this.arrivals[this.next++]!;
      const user = this.population.users[a.user]!;
      if (this.churnedBy(user, a.timeMs)) continue;
      return this.browse(user, a);
    }
    return undefined;
  }

  private browse(user: SimUser, a: Arrival): SessionStart {
    const rng = Prng.keyed(this.scenario.seed, 'session', user.index, a.n);
    const ids = Prng.keyed(this.scenario.seed, 'ids', user.index, a.n);
    const sessionId = `s-${ulid(a.timeMs, ids)}`;
    const events: MarketEvent[] = [];
    let t = a.timeMs;
    const emit = (type: MarketEventType, fields: EventFields = {}) => {
      events.push(this.event(type, user, sessionId, t, ids, fields));
      t += Math.floor((5_000 + rng.exponential(35_000)) * user.dwell);
    };
    const catalog = this.catalog;
    const available = (it: Item) => !this.limited.has(it.categoryId) || this.available(it, t);
    const weights = [user.sectionWeights, user.categoryWeights] as const;

    // A search lands on a category's results; a deal search ("… sale") lands in the outlet.
    let searched: string | undefined;
    if (rng.chance(user.searchChance)) {
      const deal = rng.chance(user.dealSearchShare);
      const outlet = deal && catalog.sectionCategories.outlet.length > 0;
      searched = pickCategory(catalog, ...weights, rng, outlet ? 'outlet' : undefined);
      const words = searched.split('/').reverse().join(' ');
      emit('search', {
        searchQuery: deal ? `${words} ${rng.pick(DEAL_WORDS)}` : words,
        categoryId: searched,
      });
    }
    // Looks: the user's own items (a re-buy, a watched deal, a shortlisted item), the
    // search's results, or wherever their interest leads; a focused look comes back to the
    // item just seen.
    const seen: Item[] = [];
    const looksAt = new Map<Item, number>();
    const looks = 1 + rng.poisson(Math.max(0, user.viewsPerSession - 1));
    let last: Item | undefined;
    for (let i = 0; i < looks; i++) {
      const r = rng.next();
      let it: Item | undefined;
      if (last && rng.chance(user.focus)) it = last;
      else if (r < user.revisitShare && user.ownItemIds.length > 0) {
        const own = catalog.byId.get(rng.pick(user.ownItemIds));
        it = own && available(own) ? own : undefined;
      } else if (searched && r < user.revisitShare + SEARCH_FOLLOW * (1 - user.revisitShare))
        it = pickInCategory(catalog, searched, rng, available);
      it ??= pickItem(catalog, ...weights, rng, available);
      if (!it) continue;
      const item = {
        itemId: it.itemId,
        categoryId: it.categoryId,
        priceMinor: it.priceMinor,
        currency: catalog.currency,
      };
      if (it !== last && rng.chance(0.6)) emit('click', item);
      emit('view', item);
      looksAt.set(it, (looksAt.get(it) ?? 0) + 1);
      if (!seen.includes(it)) seen.push(it);
      last = it;
    }

    let decision: DecisionPoint | undefined;
    if (seen.length > 0 && rng.chance(user.cartChance)) {
      const k = Math.min(seen.length, 1 + rng.poisson(user.extraCartItems));
      // Into the cart go the user's own items and what they looked at longest, first.
      const pool = [...seen];
      const picked: Item[] = [];
      while (picked.length < k) {
        const w = pool.map(
          (it) => (looksAt.get(it) ?? 1) * (user.ownItemIds.includes(it.itemId) ? 3 : 1),
        );
        picked.push(...pool.splice(rng.weighted(w), 1));
      }
      let lines: BasketLine[] = picked.map((it) => ({
        itemId: it.itemId,
        categoryId: it.categoryId,
        unitPriceMinor: it.priceMinor,
        unitCostMinor: it.unitCostMinor,
        quantity: rng.chance(0.12) ? 2 : 1,
      }));
      for (const l of lines)
        emit('add_to_cart', {
          itemId: l.itemId,
          categoryId: l.categoryId,
          priceMinor: l.unitPriceMinor,
          currency: this.catalog.currency,
          quantity: l.quantity,
        });
      if (lines.length > 1 && rng.chance(user.removeChance)) {
        // A price-conscious user checks the total and takes the most expensive line out.
        const out = rng.chance(user.priceCheck)
          ? lines.reduce((a, b) =>
              b.unitPriceMinor * b.quantity > a.unitPriceMinor * a.quantity ? b : a,
            )
          : lines[rng.int(lines.length)]!;
        emit('remove_from_cart', {
          itemId: out.itemId,
          categoryId: out.categoryId,
          priceMinor: out.unitPriceMinor,
          currency: this.catalog.currency,
          quantity: out.quantity,
        });
        lines = lines.filter((l) => l !== out);
      }
      decision = {
        timeMs: t,
        pageType: 'cart',
        placementId: 'cart-banner',
        basket: basketOf(lines),
        channel: user.channel,
        device: user.device,
        country: this.scenario.country,
      };
    }
    this.open.set(sessionId, { user, n: a.n, ids, lastMs: t, ...(decision ? { decision } : {}) });
    return {
      sessionId,
      userId: user.userId,
      startMs: a.timeMs,
      events,
      ...(decision ? { decisionPoint: decision } : {}),
    };
  }

  /**
   * Finishes a session: the shown offer (if any) is seen and maybe clicked, then the user
   * buys or abandons the cart. `shown` is null when no decision was made (no campaign
   * served); pass a ShownOffer with `offer: null` for a decision that showed nothing.
   */
  completeSession(start: SessionStart, shown: ShownOffer | null): SessionEnd {
    const s = this.open.get(start.sessionId);
    if (!s) throw new Error(`session ${start.sessionId} is not open`);
    this.open.delete(start.sessionId);
    const d = s.decision;
    if (!d) return { events: [], later: [] };
    const { user, ids } = s;
    // One stream per session for the outcome, drawn in a fixed order whatever was shown.
    const rng = Prng.keyed(this.scenario.seed, 'outcome', user.index, s.n);
    const uClick = rng.next();
    const uBuy = rng.next();
    const uRefund = rng.next();
    const refundDelay = HOUR_MS + rng.exponential(18 * HOUR_MS);
    const clickDelay = 3_000 + rng.exponential(20_000);
    const buyDelay = 30_000 + rng.exponential(150_000);

    const offer = shown?.offer ?? null;
    const decisionId = shown?.decisionId;
    const effect: OfferEffect | null = offer
      ? offerEffect(offer, d.basket, this.catalog, shown?.flashUnitsLeft)
      : null;
    const events: MarketEvent[] = [];
    const later: MarketEvent[] = [];
    const ev = (type: MarketEventType, at: number, fields: EventFields) =>
      events.push(this.event(type, user, start.sessionId, at, ids, fields));
    const offerRef: EventFields = offer
      ? { decisionId, offerId: offer.offerId, campaignId: offer.campaignId }
      : {};
    let t = d.timeMs;
    let clicked = false;
    if (offer) {
      t += 1_000;
      ev('offer_impression', t, offerRef);
      if (uClick < user.offerClickChance) {
        clicked = true;
        t += clickDelay;
        ev('offer_click', t, offerRef);
      }
    }
    const pBuy = purchaseProbability(user, effect);
    const pBuyNoOffer = purchaseProbability(user, null);
    const inStock = d.basket.lines.every((l) => {
      const left = this.stock.get(l.itemId);
      return left === undefined || left >= l.quantity;
    });
    const purchased = inStock && uBuy < pBuy;
    const applied = purchased && effect?.applies === true;

    let orderId: string | undefined;
    let refundAtMs: number | undefined;
    if (purchased) {
      t += buyDelay;
      orderId = `o-${ulid(t, ids)}`;
      const lines = d.basket.lines.map((l, i): EventFields => ({
        orderId,
        decisionId,
        offerId: applied ? offer?.offerId : undefined,
        campaignId: applied ? offer?.campaignId : undefined,
        itemId: l.itemId,
        categoryId: l.categoryId,
        priceMinor: l.unitPriceMinor,
        currency: this.catalog.currency,
        quantity: l.quantity,
        unitCostMinor: l.unitCostMinor,
        discountMinor: applied ? (effect.lineDiscountsMinor[i] ?? 0) : 0,
      }));
      for (const l of lines) ev('purchase', t, l);
      if (applied) {
        ev('offer_redeem', t + 1, {
          ...offerRef,
          orderId,
          currency: this.catalog.currency,
          discountMinor: effect.costMinor,
        });
      }
      for (const l of d.basket.lines) {
        const left = this.stock.get(l.itemId);
        if (left !== undefined) this.stock.set(l.itemId, left - l.quantity);
      }
      if (applied && user.atRisk && user.type === 'persuadable' && effect.depth >= user.threshold) {
        // A deal that won a price-sensitive at-risk customer over makes them stay longer.
        this.churnedBy(user, t);
        this.state[user.index]!.hazardPerDay *= this.scenario.users.churn.retentionEffect;
      }
      const refundAt = t + Math.floor(refundDelay);
      if (uRefund < this.scenario.refundRate && refundAt < this.endMs) {
        refundAtMs = refundAt;
        for (const l of lines)
          later.push(this.event('refund', user, start.sessionId, refundAt, ids, l));
      }
    }
    const marginMinor = purchased ? basketMargin(d.basket) : 0;
    const discountMinor = applied ? effect.discountMinor : 0;
    const offerCostMinor = applied ? effect.costMinor : 0;
    const revenueMinor = purchased ? d.basket.subtotalMinor - discountMinor : 0;
    return {
      events,
      later,
      outcome: {
        decisionId,
        offerId: offer?.offerId,
        campaignId: offer?.campaignId,
        clicked,
        purchased,
        redeemed: applied,
        orderId,
        orderTimeMs: purchased ? Math.min(Math.floor(t), this.endMs - 1) : undefined,
        revenueMinor,
        cogsMinor: purchased ? d.basket.subtotalMinor - marginMinor : 0,
        marginMinor,
        discountMinor,
        offerCostMinor,
        profitMinor: marginMinor - offerCostMinor,
        flashUnits: applied ? effect.flashUnits : 0,
        refundAtMs,
        refundEventIds: later.map((e) => e.eventId),
        pBuy,
        pBuyNoOffer,
        eventIds: events.map((e) => e.eventId),
      },
    };
  }

  private event(
    type: MarketEventType,
    user: SimUser,
    sessionId: string,
    timeMs: number,
    ids: Prng,
    f: EventFields,
  ): MarketEvent {
    // Nothing happens after the run: a rare session running past the end is cut short in time.
    const at = Math.min(Math.floor(timeMs), this.endMs - 1);
    // One literal with every field keeps all events one shape (object spreads here were the run's hot spot).
    return {
      eventId: ulid(at, ids),
      type,
      shopId: this.scenario.shopId,
      userId: user.userId,
      sessionId,
      timeMs: at,
      itemId: f.itemId,
      categoryId: f.categoryId,
      orderId: f.orderId,
      searchQuery: f.searchQuery,
      offerId: f.offerId,
      campaignId: f.campaignId,
      decisionId: f.decisionId,
      priceMinor: f.priceMinor,
      currency: f.currency,
      quantity: f.quantity,
      discountMinor: f.discountMinor,
      unitCostMinor: f.unitCostMinor,
      channel: user.channel,
      device: user.device,
    };
  }
}
