import type { MarketEvent } from './market-event';

/**
 * What the shop can know about a user from their events so far: the kind of counts the
 * feature service keeps. Policies see this, never the latent type.
 */
export interface ObservedUser {
  readonly sessions: number;
  readonly views: number;
  readonly clicks: number;
  readonly searches: number;
  /** Searches for deals ("sale", "discount", "coupon", "deal"). */
  readonly dealSearches: number;
  readonly addToCarts: number;
  readonly removeFromCarts: number;
  /** Sessions that put something into the cart. */
  readonly cartSessions: number;
  /** Orders placed. */
  readonly orders: number;
  /** Orders placed with an offer applied. */
  readonly discountedOrders: number;
  /** Earlier sessions that filled a cart and bought nothing (the current one is not judged yet). */
  readonly abandonedCarts: number;
  readonly refunds: number;
  readonly offerImpressions: number;
  readonly offerClicks: number;
  readonly offerRedeems: number;
  /** Net spend: Σ price × quantity − discount over orders, minus refunds. */
  readonly spendMinor: number;
  /** Time of the latest event, or undefined before the first. */
  readonly lastSeenMs: number | undefined;
  readonly lastOrderMs: number | undefined;
}

/** The history of a user never seen before. */
export const NO_HISTORY: ObservedUser = {
  sessions: 0,
  views: 0,
  clicks: 0,
  searches: 0,
  dealSearches: 0,
  addToCarts: 0,
  removeFromCarts: 0,
  cartSessions: 0,
  orders: 0,
  discountedOrders: 0,
  abandonedCarts: 0,
  refunds: 0,
  offerImpressions: 0,
  offerClicks: 0,
  offerRedeems: 0,
  spendMinor: 0,
  lastSeenMs: undefined,
  lastOrderMs: undefined,
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Tracked {
  counts: Mutable<ObservedUser>;
  lastSession: string;
  /** The current session put something into the cart / placed an order. */
  carted: boolean;
  ordered: boolean;
  lastOrder: string;
  lastRefundOrder: string;
}

const DEAL = /\b(sale|discount|coupon|deal)\b/;

/** Folds events into per-user {@link ObservedUser} counters. */
export class BehaviourLog {
  private readonly users = new Map<string, Tracked>();

  /** Adds one event (events of a user must come in time order). */
  record(e: MarketEvent): void {
    let t = this.users.get(e.userId);
    if (!t) {
      t = {
        counts: { ...NO_HISTORY },
        lastSession: '',
        carted: false,
        ordered: false,
        lastOrder: '',
        lastRefundOrder: '',
      };
      this.users.set(e.userId, t);
    }
    const u = t.counts;
    u.lastSeenMs = e.timeMs;
    if (e.sessionId !== t.lastSession && e.type !== 'refund') {
      // A new session: the previous one is over, and its cart was abandoned or not.
      if (t.carted && !t.ordered) u.abandonedCarts++;
      t.carted = false;
      t.ordered = false;
      u.sessions++;
      t.lastSession = e.sessionId;
    }
    const line = (e.priceMinor ?? 0) * (e.quantity || 1) - (e.discountMinor ?? 0);
    switch (e.type) {
      case 'view':
        u.views++;
        break;
      case 'click':
        u.clicks++;
        break;
      case 'search':
        u.searches++;
        if (DEAL.test(e.searchQuery ?? '')) u.dealSearches++;
        break;
      case 'add_to_cart':
        u.addToCarts++;
        if (!t.carted) {
          t.carted = true;
          u.cartSessions++;
        }
        break;
      case 'remove_from_cart':
        u.removeFromCarts++;
        break;
      case 'purchase':
        u.spendMinor += line;
        if (e.orderId !== t.lastOrder) {
          t.lastOrder = e.orderId ?? '';
          u.orders++;
          u.lastOrderMs = e.timeMs;
          if (e.offerId) u.discountedOrders++;
          if (e.sessionId === t.lastSession) t.ordered = true;
        }
        break;
      case 'refund':
        u.spendMinor -= line;
        if (e.orderId !== t.lastRefundOrder) {
          t.lastRefundOrder = e.orderId ?? '';
          u.refunds++;
        }
        break;
      case 'offer_impression':
        u.offerImpressions++;
        break;
      case 'offer_click':
        u.offerClicks++;
        break;
      case 'offer_redeem':
        u.offerRedeems++;
        break;
    }
  }

  /** A snapshot of the user's history so far. */
  get(userId: string): ObservedUser {
    const t = this.users.get(userId);
    return t ? { ...t.counts } : NO_HISTORY;
  }
}
