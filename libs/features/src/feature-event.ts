import { HourBuckets, hourOf } from './hour-buckets';

/** Event types by their ClickHouse name (`events.event_type`). */
export const EVENT_TYPES = [
  'view',
  'click',
  'search',
  'add_to_cart',
  'remove_from_cart',
  'purchase',
  'refund',
  'offer_impression',
  'offer_click',
  'offer_redeem',
] as const;
export type EventTypeName = (typeof EVENT_TYPES)[number];

/** What the features need of one event (the columns of `events` they read). */
export interface FeatureEvent {
  readonly eventId: string;
  readonly type: EventTypeName;
  /** event_time, epoch ms. */
  readonly timeMs: number;
  readonly itemId: string;
  readonly categoryId: string;
  readonly offerId: string;
  readonly campaignId: string;
  readonly priceMinor: number;
  readonly quantity: number;
  readonly discountMinor: number;
}

/** Columns of `user_hourly` (migration 0002), in this order. */
export const USER_FIELDS = [
  'views',
  'clicks',
  'searches',
  'add_to_carts',
  'remove_from_carts',
  'purchases',
  'refunds',
  'offer_impressions',
  'offer_clicks',
  'offer_redeems',
  'spend_minor',
  'refunded_minor',
  'discount_received_minor',
] as const;
/** Columns of `item_hourly`. */
export const ITEM_FIELDS = [
  'views',
  'clicks',
  'add_to_carts',
  'purchases',
  'units',
  'revenue_minor',
] as const;
/** Columns of `offer_hourly`. */
export const OFFER_FIELDS = [
  'impressions',
  'clicks',
  'redemptions',
  'purchases',
  'revenue_minor',
  'discount_cost_minor',
] as const;

export const U = Object.fromEntries(USER_FIELDS.map((f, i) => [f, i])) as Record<
  (typeof USER_FIELDS)[number],
  number
>;
export const I = Object.fromEntries(ITEM_FIELDS.map((f, i) => [f, i])) as Record<
  (typeof ITEM_FIELDS)[number],
  number
>;
export const O = Object.fromEntries(OFFER_FIELDS.map((f, i) => [f, i])) as Record<
  (typeof OFFER_FIELDS)[number],
  number
>;
/** The ten per-type counters of a user bucket (everything but money). */
export const USER_COUNT_FIELDS = USER_FIELDS.slice(0, 10).map((_, i) => i);

/** price × max(quantity, 1) − discount: a line's value, as the views compute it. */
export function lineValue(e: FeatureEvent): number {
  return e.priceMinor * Math.max(e.quantity, 1) - e.discountMinor;
}

/** What one event adds to its user's hour (mirrors `user_hourly_mv`). */
export function userIncrements(e: FeatureEvent): number[] {
  const v = new Array<number>(USER_FIELDS.length).fill(0);
  const type = EVENT_TYPES.indexOf(e.type);
  if (type >= 0) v[type] = 1;
  if (e.type === 'purchase') v[U.spend_minor] = lineValue(e);
  if (e.type === 'refund') v[U.refunded_minor] = lineValue(e);
  if (e.type === 'purchase' || e.type === 'offer_redeem')
    v[U.discount_received_minor] = e.discountMinor;
  return v;
}

/** What one event adds to its item's hour, or null (mirrors `item_hourly_mv`). */
export function itemIncrements(e: FeatureEvent): number[] | null {
  if (e.itemId === '') return null;
  switch (e.type) {
    case 'view':
      return [1, 0, 0, 0, 0, 0];
    case 'click':
      return [0, 1, 0, 0, 0, 0];
    case 'add_to_cart':
      return [0, 0, 1, 0, 0, 0];
    case 'purchase':
      return [0, 0, 0, 1, Math.max(e.quantity, 1), lineValue(e)];
    case 'search':
    case 'remove_from_cart':
    case 'refund':
    case 'offer_impression':
    case 'offer_click':
    case 'offer_redeem':
      return null;
  }
}

/** What one event adds to its offer's hour, or null (mirrors `offer_hourly_mv`). */
export function offerIncrements(e: FeatureEvent): number[] | null {
  if (e.offerId === '') return null;
  switch (e.type) {
    case 'offer_impression':
      return [1, 0, 0, 0, 0, 0];
    case 'offer_click':
      return [0, 1, 0, 0, 0, 0];
    case 'offer_redeem':
      return [0, 0, 1, 0, 0, e.discountMinor];
    case 'purchase':
      return [0, 0, 0, 1, lineValue(e), 0];
    case 'view':
    case 'click':
    case 'search':
    case 'add_to_cart':
    case 'remove_from_cart':
    case 'refund':
      return null;
  }
}

/**
 * Shares one string per distinct id (items, categories, offers repeat across millions of
 * events; every decoded event would otherwise bring its own copies). Bounded: past the cap
 * ids are kept as they come.
 */
export class Interner {
  private readonly pool = new Map<string, string>();
  constructor(private readonly cap = 1_000_000) {}
  get(s: string): string {
    if (s === '') return s;
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    if (this.pool.size < this.cap) this.pool.set(s, s);
    return s;
  }
  get size(): number {
    return this.pool.size;
  }
}

/** The process-wide interner for item, category, offer and campaign ids. */
export const ids = new Interner();

/** One kept event of a user's behaviour sequence. */
export interface SequenceItem {
  readonly eventId: string;
  readonly timeMs: number;
  readonly type: EventTypeName;
  readonly itemId: string;
  readonly categoryId: string;
  readonly offerId: string;
  readonly priceMinor: number;
}

function before(a: SequenceItem, b: { timeMs: number; eventId: string }): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.eventId < b.eventId);
}

/** Latest time of the events the recency features look at (epoch ms; NaN = none). */
export interface LastSeen {
  visit: number;
  cart: number;
  purchase: number;
}

/** Everything kept about one user. */
export class UserState {
  readonly buckets = new HourBuckets(USER_FIELDS.length);
  readonly last: LastSeen = { visit: NaN, cart: NaN, purchase: NaN };
  /** Most recent events, oldest first, at most the spec's sequence.max_length. */
  sequence: SequenceItem[] = [];

  constructor(
    private readonly maxSequence: number,
    private readonly lookbackHours: number,
  ) {}

  apply(e: FeatureEvent): void {
    const hour = hourOf(e.timeMs);
    this.buckets.add(hour, userIncrements(e));
    this.seen(e.type, e.timeMs);
    this.remember({
      eventId: e.eventId,
      timeMs: e.timeMs,
      type: e.type,
      itemId: e.itemId,
      categoryId: e.categoryId,
      offerId: e.offerId,
      priceMinor: e.priceMinor,
    });
    this.buckets.prune(hour - this.lookbackHours);
  }

  /** Records that an event of `type` happened at `timeMs` (recency only). */
  seen(type: EventTypeName, timeMs: number): void {
    const l = this.last;
    if (!(l.visit >= timeMs)) l.visit = timeMs;
    if (type === 'add_to_cart' && !(l.cart >= timeMs)) l.cart = timeMs;
    if (type === 'purchase' && !(l.purchase >= timeMs)) l.purchase = timeMs;
  }

  /** Puts an event into the sequence in (time, id) order, keeping the newest. */
  remember(s: SequenceItem): void {
    const seq = this.sequence;
    let i = seq.length;
    while (i > 0 && before(s, seq[i - 1]!)) i--;
    if (i === 0 && seq.length >= this.maxSequence) return; // older than everything kept
    seq.splice(i, 0, s);
    if (seq.length > this.maxSequence) seq.shift();
  }
}

/** The latest value of an item attribute and the time it was seen. */
interface Latest<T> {
  value: T;
  timeMs: number;
}

/** Everything kept about one item (all users). */
export class ItemState {
  readonly buckets = new HourBuckets(ITEM_FIELDS.length);
  /** Bumped on every change (memoised feature blocks check it). */
  version = 0;
  price: Latest<number> = { value: 0, timeMs: -Infinity };
  category: Latest<string> = { value: '', timeMs: -Infinity };

  constructor(private readonly lookbackHours: number) {}

  apply(e: FeatureEvent): void {
    this.version++;
    const inc = itemIncrements(e);
    const hour = hourOf(e.timeMs);
    if (inc) {
      this.buckets.add(hour, inc);
      this.buckets.prune(hour - this.lookbackHours);
    }
    if (e.itemId === '') return;
    if (e.priceMinor > 0 && PRICED.has(e.type)) this.notePrice(e.priceMinor, e.timeMs);
    if (e.categoryId !== '') this.noteCategory(e.categoryId, e.timeMs);
  }

  notePrice(value: number, timeMs: number): void {
    this.version++;
    if (timeMs >= this.price.timeMs) this.price = { value, timeMs };
  }

  noteCategory(value: string, timeMs: number): void {
    this.version++;
    if (timeMs >= this.category.timeMs) this.category = { value, timeMs };
  }
}

/** Event types whose price_minor is the item's unit price. */
export const PRICED: ReadonlySet<EventTypeName> = new Set([
  'view',
  'click',
  'add_to_cart',
  'purchase',
]);

/** Everything kept about one offer, and its lifetime totals. */
export class OfferState {
  readonly buckets = new HourBuckets(OFFER_FIELDS.length);
  /** Bumped on every change (memoised feature blocks check it). */
  version = 0;
  /** Redemptions of all time (flash-sale stock left = stock − this). */
  lifetimeRedemptions = 0;

  constructor(private readonly lookbackHours: number) {}

  apply(e: FeatureEvent): void {
    const inc = offerIncrements(e);
    if (!inc) return;
    this.version++;
    const hour = hourOf(e.timeMs);
    this.buckets.add(hour, inc);
    this.buckets.prune(hour - this.lookbackHours);
    this.lifetimeRedemptions += inc[O.redemptions]!;
  }
}
