import { RecentIds } from '@offerstream/events';
import {
  HOUR_MS,
  ItemState,
  OfferState,
  UserState,
  type CatalogOffer,
  type FeatureEvent,
  type FeatureSpec,
} from '@offerstream/features';
import type { Logger } from '@offerstream/logging';
import { EntityCache } from './entity-cache';
import type { StoredItem, StoredOffer, StoredUser } from './feature-store.repository';

/** ClickHouse side of the feature service (implemented by FeatureStoreRepository). */
export interface FeatureStore {
  loadUsers(
    shopId: string,
    userIds: readonly string[],
    o: { fromMs: number; sequenceLength: number; recentSinceMs: number },
  ): Promise<Map<string, StoredUser>>;
  loadItems(
    shopId: string,
    itemIds: readonly string[],
    fromMs: number,
  ): Promise<Map<string, StoredItem>>;
  loadOffers(
    shopId: string,
    offers: readonly { offerId: string; campaignId: string }[],
    fromMs: number,
  ): Promise<Map<string, StoredOffer>>;
  campaignSpent(shopId: string, campaignIds: readonly string[]): Promise<Map<string, number>>;
  /** Which of these events are stored (keys as RecentIds.key). */
  storedEventKeys(keys: readonly { shopId: string; eventId: string }[]): Promise<Set<string>>;
}

export interface FeatureStateOptions {
  readonly maxUsers: number;
  readonly maxItems: number;
  readonly maxOffers: number;
  /** How long streamed events are kept to be merged into users loaded after them. */
  readonly tailMs: number;
  /** Events remembered for de-duplication of re-deliveries. */
  readonly dedupKeys: number;
  /** After a failed load, the next attempt waits this long (requests meanwhile get memory). */
  readonly retryLoadAfterMs: number;
  /** User loads from ClickHouse at the same time; more are not queued but answered from memory. */
  readonly maxConcurrentLoads: number;
  /**
   * Whether an event of a user not in memory starts loading them (while fewer than half of
   * maxConcurrentLoads run), so that their first GetFeatures finds them loaded, not stale.
   */
  readonly prefetchUsers: boolean;
}

/** A load not started because too many run (the request is answered from memory). */
class LoadShed extends Error {
  constructor() {
    super('too many loads running');
    this.name = 'LoadShed';
  }
}

/** Where a user's values came from (maps to FeatureSource). */
export type Source = 'memory' | 'clickhouse' | 'default';

interface Loadable {
  loaded: boolean;
  /** Streamed events that arrived while the load ran (merged when it finishes). */
  pending: FeatureEvent[];
  loading: Promise<void> | undefined;
  failedAt: number;
}

interface UserEntry extends Loadable {
  state: UserState;
  shopId: string;
  userId: string;
  /** Newest event time reflected (ms); NaN when none. */
  asOfMs: number;
}
interface ItemEntry extends Loadable {
  state: ItemState;
}
interface OfferEntry extends Loadable {
  state: OfferState;
  campaignId: string;
}
interface CampaignEntry extends Loadable {
  spentMinor: number;
}

/** What a request gets for one user. */
export interface UserView {
  readonly state: UserState;
  readonly source: Source;
  /** True when the store could not be read in time: values may miss older history. */
  readonly stale: boolean;
  readonly asOfMs: number;
}

export interface CandidateView {
  readonly item: ItemState | undefined;
  readonly offer: OfferState | undefined;
  /** The offer's catalog entry (looked up once, for loading and for the features). */
  readonly catalog: CatalogOffer | undefined;
  readonly campaignSpentMinor: number;
  readonly stale: boolean;
}

interface QueuedUserLoad {
  readonly entry: UserEntry;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** One entity's streamed events of the last tailMs: entries[head..] are live. */
interface KeyTail {
  readonly entries: TailEntry[];
  head: number;
}

/** Users read from ClickHouse in one batch, and batches running at a time. */
const USER_BATCH = 100;
const USER_BATCHES_RUNNING = 2;

interface TailEntry {
  /** The entities the event touches (tailKey): its user, item, offer and campaign. */
  readonly keys: readonly string[];
  readonly event: FeatureEvent;
  readonly at: number;
}

const key2 = (a: string, b: string) => `${a}\u0000${b}`;
type EntityKind = 'user' | 'item' | 'offer' | 'campaign';
const tailKey = (kind: EntityKind, shopId: string, id: string) =>
  `${kind}\u0000${key2(shopId, id)}`;

function sleepResolve<T>(ms: number, value: T): { promise: Promise<T>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(value), Math.max(0, ms));
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * The feature service's online state: users, items, offers and campaign spend, each a
 * bounded cache over ClickHouse that the event stream keeps fresh.
 *
 * - An entity enters memory when a request needs it and is loaded from ClickHouse (raw
 *   events for a user's sequence and recency, hourly aggregates for counts). From then on,
 *   `events.valid.v1` updates it; events of entities not in memory are kept only for
 *   `tailMs` (ClickHouse has them after that), so memory follows the active users, bounded
 *   by the caps.
 * - A streamed event may reach this process before or after ingest stored it (ingest
 *   publishes and inserts at the same time). At load, streamed events of the last `tailMs` and those
 *   that arrive during the load are merged unless the store already had them. Users are made
 *   exact: the ids come from the same read of the raw table as the counts are checked
 *   against (FeatureStoreRepository.loadUser), and they are remembered so the stream does
 *   not count them again. Items, offers and campaign spend check against the
 *   de-duplication index; an insert whose materialized views are still being written can
 *   leave them a few events short until the entity leaves memory.
 * - Re-delivered events (the valid topic is at-least-once) are dropped by event id.
 */
export class FeatureStateService {
  private readonly users: EntityCache<UserEntry>;
  private readonly items: EntityCache<ItemEntry>;
  private readonly offers: EntityCache<OfferEntry>;
  private readonly campaigns: EntityCache<CampaignEntry>;
  private readonly seen: RecentIds;
  /** Streamed events of the last tailMs, oldest first, and the same per entity (tailKey). */
  private readonly tail: TailEntry[] = [];
  private tailStart = 0;
  private readonly tailByKey = new Map<string, KeyTail>();
  /** User loads queued or running now (bounded: beyond it, requests are answered from memory). */
  private loadsInFlight = 0;
  /** Users waiting for a batch load, per shop, in arrival order. */
  private readonly userQueue = new Map<string, QueuedUserLoad[]>();
  private userBatchesRunning = 0;
  private userBatchScheduled = false;
  /** Loads refused because too many were running (a metric). */
  loadsShed = 0;
  /** Users loaded from ClickHouse since start (a metric). */
  userLoads = 0;
  /** User loads started by a streamed event rather than a request (a metric). */
  userPrefetches = 0;
  /** User loads whose hourly aggregates never caught up with the raw events (a metric). */
  inconsistentLoads = 0;
  /** Events applied (not duplicates), for metrics. */
  applied = 0;
  duplicates = 0;

  constructor(
    private readonly spec: FeatureSpec,
    private readonly store: FeatureStore,
    private readonly opts: FeatureStateOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new EntityCache(opts.maxUsers);
    this.items = new EntityCache(opts.maxItems);
    this.offers = new EntityCache(opts.maxOffers);
    this.campaigns = new EntityCache(Math.max(100, Math.ceil(opts.maxOffers / 4)));
    this.seen = new RecentIds(opts.dedupKeys, Math.max(opts.tailMs * 4, 10 * 60_000));
  }

  get counts() {
    return {
      users: this.users.size,
      items: this.items.size,
      offers: this.offers.size,
      evictedUsers: this.users.evicted,
      tail: this.tail.length - this.tailStart,
      loadsInFlight: this.loadsInFlight,
    };
  }

  private get fromMs(): number {
    return this.now() - this.spec.params.lookback_hours * HOUR_MS;
  }

  // ------------------------------------------------------------------ stream

  /** Applies one validated event to whatever of it is in memory. */
  apply(shopId: string, userId: string, e: FeatureEvent): void {
    const k = RecentIds.key(shopId, e.eventId);
    const now = this.now();
    if (this.seen.has(k, now)) {
      this.duplicates++;
      return;
    }
    this.seen.add(k, now);
    this.applied++;
    const keys = [tailKey('user', shopId, userId)];
    if (e.itemId !== '') keys.push(tailKey('item', shopId, e.itemId));
    if (e.offerId !== '') keys.push(tailKey('offer', shopId, e.offerId));
    if (e.type === 'offer_redeem' && e.campaignId !== '')
      keys.push(tailKey('campaign', shopId, e.campaignId));
    this.pushTail({ keys, event: e, at: now });

    const user = this.users.peek(key2(shopId, userId));
    if (user) {
      if (user.loaded) this.applyToUser(user, e);
      else user.pending.push(e);
    } else if (this.opts.prefetchUsers) this.prefetchUser(shopId, userId);
    if (e.itemId !== '') {
      const item = this.items.peek(key2(shopId, e.itemId));
      if (item) {
        if (item.loaded) item.state.apply(e);
        else item.pending.push(e);
      }
    }
    if (e.offerId !== '') {
      const offer = this.offers.peek(key2(shopId, e.offerId));
      if (offer && offer.campaignId === e.campaignId) {
        if (offer.loaded) offer.state.apply(e);
        else offer.pending.push(e);
      }
      if (e.type === 'offer_redeem') {
        const c = this.campaigns.peek(key2(shopId, e.campaignId));
        if (c) {
          if (c.loaded) c.spentMinor += e.discountMinor;
          else c.pending.push(e);
        }
      }
    }
  }

  private applyToUser(user: UserEntry, e: FeatureEvent): void {
    user.state.apply(e);
    if (!(user.asOfMs >= e.timeMs)) user.asOfMs = e.timeMs;
  }

  private pushTail(t: TailEntry): void {
    this.tail.push(t);
    for (const k of t.keys) {
      const mine = this.tailByKey.get(k);
      if (mine) mine.entries.push(t);
      else this.tailByKey.set(k, { entries: [t], head: 0 });
    }
    this.trimTail(t.at);
  }

  /** Forgets streamed events older than tailMs (on every push and every read). */
  private trimTail(now: number): void {
    const cutoff = now - this.opts.tailMs;
    while (this.tailStart < this.tail.length && this.tail[this.tailStart]!.at < cutoff) {
      const old = this.tail[this.tailStart++]!;
      for (const k of old.keys) {
        const mine = this.tailByKey.get(k);
        if (!mine) continue;
        // An entity's entries are in time order too: the oldest is at the head. A hot item
        // or offer holds thousands; moving the head (not shift()) keeps this O(1).
        mine.head++;
        if (mine.head >= mine.entries.length) this.tailByKey.delete(k);
        else if (mine.head > 64 && mine.head * 2 > mine.entries.length) {
          mine.entries.splice(0, mine.head);
          mine.head = 0;
        }
      }
    }
    // Compact once the dead prefix is large (keeps push O(1) amortised).
    if (this.tailStart > 4096 && this.tailStart * 2 > this.tail.length) {
      this.tail.splice(0, this.tailStart);
      this.tailStart = 0;
    }
  }

  /** The streamed events of the last tailMs that touch one entity, oldest first. */
  private tailOf(kind: EntityKind, shopId: string, id: string): FeatureEvent[] {
    this.trimTail(this.now());
    const mine = this.tailByKey.get(tailKey(kind, shopId, id));
    return mine ? mine.entries.slice(mine.head).map((t) => t.event) : [];
  }

  // ------------------------------------------------------------------ loading

  /**
   * Waits for `load` up to `budgetMs`; resolves true when it finished in time. A load that
   * takes longer goes on and fills the cache for the next request.
   */
  private async within(load: Promise<void>, budgetMs: number): Promise<boolean> {
    if (budgetMs <= 0) return false;
    const timer = sleepResolve(budgetMs, false);
    try {
      return await Promise.race([load.then(() => true), timer.promise]);
    } finally {
      timer.cancel();
    }
  }

  private startLoad(entry: Loadable, run: () => Promise<void>, what: string): Promise<void> {
    if (entry.loading) return entry.loading;
    if (entry.failedAt && this.now() - entry.failedAt < this.opts.retryLoadAfterMs)
      return Promise.reject(new Error('store unavailable (backing off)'));
    entry.loading = run()
      .then(() => {
        entry.loaded = true;
        entry.failedAt = 0;
      })
      .catch((err: unknown) => {
        if (err instanceof LoadShed) throw err; // not a store failure: the next request may load
        entry.failedAt = this.now();
        this.logger.warn({ err, what }, 'could not load feature state from ClickHouse');
        throw err;
      })
      .finally(() => {
        entry.loading = undefined;
      });
    // Nobody may be waiting (the request's budget ran out): never an unhandled rejection.
    entry.loading.catch(() => undefined);
    return entry.loading;
  }

  private newUser(shopId: string, userId: string): UserEntry {
    const entry: UserEntry = {
      state: new UserState(this.spec.sequence.max_length, this.spec.params.lookback_hours),
      shopId,
      userId,
      asOfMs: NaN,
      loaded: false,
      pending: [],
      loading: undefined,
      failedAt: 0,
    };
    this.users.set(key2(shopId, userId), entry);
    return entry;
  }

  /**
   * Starts loading a user the stream just showed activity of, unless half of the load slots
   * are taken: requests keep the other half. The event itself is in the tail, which the load
   * merges; later ones wait in `pending`.
   */
  private prefetchUser(shopId: string, userId: string): void {
    if (this.loadsInFlight * 2 >= this.opts.maxConcurrentLoads) return;
    const entry = this.newUser(shopId, userId);
    this.userPrefetches++;
    void this.startLoad(entry, () => this.loadUser(entry), `user ${userId}`).catch(() => undefined);
  }

  /** The user, loaded from ClickHouse when not in memory (within `budgetMs`). */
  async user(shopId: string, userId: string, budgetMs: number): Promise<UserView> {
    const entry = this.users.get(key2(shopId, userId)) ?? this.newUser(shopId, userId);
    if (entry.loaded)
      return { state: entry.state, source: 'memory', stale: false, asOfMs: entry.asOfMs };
    const e = entry;
    const load = this.startLoad(e, () => this.loadUser(e), `user ${userId}`);
    const ok = await this.within(
      load.catch(() => undefined),
      budgetMs,
    ).then((done) => done && e.loaded);
    if (ok) return { state: e.state, source: 'clickhouse', stale: false, asOfMs: e.asOfMs };
    // Not loaded in time: what the stream brought since (pending), flagged stale.
    const partial = new UserState(this.spec.sequence.max_length, this.spec.params.lookback_hours);
    for (const p of [...this.tailOf('user', shopId, userId), ...e.pending]) partial.apply(p);
    const hasAny = partial.sequence.length > 0;
    return {
      state: partial,
      source: hasAny ? 'memory' : 'default',
      stale: true,
      asOfMs: hasAny ? partial.sequence.at(-1)!.timeMs : NaN,
    };
  }

  /**
   * Queues a user load; queued users are read from ClickHouse in batches (one set of queries
   * per batch, USER_BATCH users at most, USER_BATCHES_RUNNING batches at a time), so a burst
   * of new users costs the store a few queries instead of three each. Beyond
   * maxConcurrentLoads users queued or loading, a load is refused (LoadShed) rather than
   * queued behind the others.
   */
  private loadUser(entry: UserEntry): Promise<void> {
    if (this.loadsInFlight >= this.opts.maxConcurrentLoads) {
      this.loadsShed++;
      return Promise.reject(new LoadShed());
    }
    this.loadsInFlight++;
    return new Promise<void>((resolve, reject) => {
      let shop = this.userQueue.get(entry.shopId);
      if (!shop) this.userQueue.set(entry.shopId, (shop = []));
      shop.push({ entry, resolve, reject });
      this.startUserBatches();
    }).finally(() => {
      this.loadsInFlight--;
    });
  }

  /** Starts batches while there are queued users and room (after the current turn's requests). */
  private startUserBatches(): void {
    if (this.userBatchScheduled || this.userBatchesRunning >= USER_BATCHES_RUNNING) return;
    if (this.userQueue.size === 0) return;
    this.userBatchScheduled = true;
    setImmediate(() => {
      this.userBatchScheduled = false;
      while (this.userBatchesRunning < USER_BATCHES_RUNNING && this.userQueue.size > 0) {
        const [shopId, queued] = this.userQueue.entries().next().value!;
        const batch = queued.splice(0, USER_BATCH);
        if (queued.length === 0) this.userQueue.delete(shopId);
        this.userBatchesRunning++;
        void this.loadUserBatch(shopId, batch).finally(() => {
          this.userBatchesRunning--;
          this.startUserBatches();
        });
      }
    });
  }

  private async loadUserBatch(shopId: string, batch: QueuedUserLoad[]): Promise<void> {
    const now = this.now();
    const fromMs = now - this.spec.params.lookback_hours * HOUR_MS;
    let stored: Map<string, StoredUser>;
    try {
      stored = await this.store.loadUsers(
        shopId,
        batch.map((q) => q.entry.userId),
        {
          fromMs,
          sequenceLength: this.spec.sequence.max_length,
          // ingested_at is whole seconds and set before the valid topic is written: a margin.
          recentSinceMs: now - this.opts.tailMs - 60_000,
        },
      );
    } catch (err) {
      for (const q of batch) q.reject(err);
      return;
    }
    for (const q of batch) {
      const got = stored.get(q.entry.userId);
      if (!got) q.reject(new Error(`the store answered nothing for user ${q.entry.userId}`));
      else {
        this.installUser(q.entry, got, now, fromMs);
        q.resolve();
      }
    }
  }

  /** Makes a loaded user exact: the store's state plus the streamed events it did not have. */
  private installUser(entry: UserEntry, stored: StoredUser, now: number, fromMs: number): void {
    if (stored.missingFromAggregates > 0) {
      this.inconsistentLoads++;
      this.logger.warn(
        { user: entry.userId, missing: stored.missingFromAggregates },
        'hourly aggregates still lack events the raw table has (materialized view behind?): loaded as they are',
      );
    }
    const state = new UserState(this.spec.sequence.max_length, this.spec.params.lookback_hours);
    for (const h of stored.hours) state.buckets.add(h.hour, h.values);
    const l = stored.last;
    if (!Number.isNaN(l.visit)) state.seen('view', l.visit);
    if (!Number.isNaN(l.cart)) state.seen('add_to_cart', l.cart);
    if (!Number.isNaN(l.purchase)) state.seen('purchase', l.purchase);
    let asOf = Number.isNaN(l.visit) ? NaN : l.visit;
    for (const s of stored.sequence) state.remember(s);
    const inStore = new Set(stored.recentIds);
    for (const id of stored.recentIds) this.seen.add(RecentIds.key(entry.shopId, id), now);
    // Streamed events the store did not have yet: the tail (before the entry existed) and
    // those that arrived during the load.
    const merged = new Set<string>();
    for (const e of [...this.tailOf('user', entry.shopId, entry.userId), ...entry.pending]) {
      // Before the window the store was read over: not part of the loaded state either.
      if (e.timeMs < fromMs) continue;
      if (inStore.has(e.eventId) || merged.has(e.eventId)) continue;
      merged.add(e.eventId);
      state.apply(e);
      if (!(asOf >= e.timeMs)) asOf = e.timeMs;
    }
    entry.pending = [];
    entry.state = state;
    entry.asOfMs = asOf;
    this.userLoads++;
  }

  /** Items, offers and campaign spend for the candidates (loaded as needed, within budget). */
  async candidates(
    shopId: string,
    cands: readonly { itemId: string; offerId: string; campaignId: string }[],
    catalog: (offerId: string) => CatalogOffer | undefined,
    budgetMs: number,
  ): Promise<CandidateView[]> {
    const itemKeys = new Map<string, ItemEntry>();
    const offerKeys = new Map<string, OfferEntry>();
    const campKeys = new Map<string, CampaignEntry>();
    const loads: Promise<void>[] = [];
    const newItems: [string, ItemEntry][] = [];
    const newOffers: [string, OfferEntry][] = [];
    const newCamps: [string, CampaignEntry][] = [];
    const entries = cands.map((c) => catalog(c.offerId));
    for (const [k, c] of cands.entries()) {
      if (c.itemId && !itemKeys.has(c.itemId)) {
        const k = key2(shopId, c.itemId);
        let e = this.items.get(k);
        if (!e) {
          e = {
            state: new ItemState(this.spec.params.lookback_hours),
            loaded: false,
            pending: [],
            loading: undefined,
            failedAt: 0,
          };
          this.items.set(k, e);
        }
        itemKeys.set(c.itemId, e);
        if (!e.loaded) newItems.push([c.itemId, e]);
      }
      if (c.offerId && !offerKeys.has(c.offerId)) {
        const k = key2(shopId, c.offerId);
        let e = this.offers.get(k);
        if (!e || e.campaignId !== c.campaignId) {
          e = {
            state: new OfferState(this.spec.params.lookback_hours),
            campaignId: c.campaignId,
            loaded: false,
            pending: [],
            loading: undefined,
            failedAt: 0,
          };
          this.offers.set(k, e);
        }
        offerKeys.set(c.offerId, e);
        if (!e.loaded) newOffers.push([c.offerId, e]);
      }
      const campaignId = entries[k]?.campaignId ?? c.campaignId;
      if (campaignId && !campKeys.has(campaignId)) {
        const k = key2(shopId, campaignId);
        let e = this.campaigns.get(k);
        if (!e) {
          e = { spentMinor: 0, loaded: false, pending: [], loading: undefined, failedAt: 0 };
          this.campaigns.set(k, e);
        }
        campKeys.set(campaignId, e);
        if (!e.loaded) newCamps.push([campaignId, e]);
      }
    }
    if (newItems.length) loads.push(this.loadItems(shopId, newItems));
    if (newOffers.length) loads.push(this.loadOffers(shopId, newOffers));
    if (newCamps.length) loads.push(this.loadCampaigns(shopId, newCamps));
    let stale = false;
    if (loads.length > 0) {
      const all = Promise.all(loads.map((l) => l.catch(() => undefined))).then(() => undefined);
      stale = !(await this.within(all, budgetMs));
    }
    return cands.map((c, i) => {
      const item = c.itemId ? itemKeys.get(c.itemId) : undefined;
      const offer = c.offerId ? offerKeys.get(c.offerId) : undefined;
      const entry = entries[i];
      const camp = campKeys.get(entry?.campaignId ?? c.campaignId);
      return {
        item: item?.loaded ? item.state : undefined,
        offer: offer?.loaded ? offer.state : undefined,
        catalog: entry,
        campaignSpentMinor: camp?.loaded ? camp.spentMinor : 0,
        stale:
          stale ||
          !!(item && !item.loaded) ||
          !!(offer && !offer.loaded) ||
          !!(camp && !camp.loaded),
      };
    });
  }

  /**
   * Loads entries as one batch. Streamed events the store may not have had are merged unless
   * the de-duplication index says it has them: those of the tail (the stream runs ahead of
   * ingest's insert, so an entity first asked for just after its events went by would
   * otherwise miss them) and those that arrive during the load, including during the check.
   */
  private loadBatch<E extends Loadable>(
    shopId: string,
    kind: EntityKind,
    entries: [string, E][],
    fetch: (ids: string[]) => Promise<(id: string, e: E) => void>,
    applyPending: (e: E, ev: FeatureEvent) => void,
    belongs: (e: E, ev: FeatureEvent) => boolean = () => true,
  ): Promise<void> {
    const todo = entries.filter(([, e]) => !e.loading);
    if (todo.length === 0)
      return Promise.all(entries.map(([, e]) => e.loading ?? Promise.resolve())).then(
        () => undefined,
      );
    const run = (async () => {
      const install = await fetch(todo.map(([id]) => id));
      let batch = todo.map(([id, e]) => {
        const once = new Map<string, FeatureEvent>(); // pending events are in the tail too
        for (const ev of [...this.tailOf(kind, shopId, id), ...e.pending])
          if (belongs(e, ev)) once.set(ev.eventId, ev);
        return [...once.values()];
      });
      const taken = todo.map(([, e]) => e.pending.length);
      for (const [id, e] of todo) install(id, e);
      while (batch.some((b) => b.length > 0)) {
        const stored = await this.store.storedEventKeys(
          batch.flat().map((p) => ({ shopId, eventId: p.eventId })),
        );
        todo.forEach(([, e], i) => {
          for (const p of batch[i]!)
            if (!stored.has(RecentIds.key(shopId, p.eventId))) applyPending(e, p);
        });
        // Events streamed while the store was asked: not in the batch checked yet.
        batch = todo.map(([, e], i) => {
          const more = e.pending.slice(taken[i]).filter((ev) => belongs(e, ev));
          taken[i] = e.pending.length;
          return more;
        });
      }
      for (const [, e] of todo) e.pending = [];
    })();
    for (const [, e] of todo) void this.startLoad(e, () => run, `${kind}s`).catch(() => undefined);
    return run;
  }

  private loadItems(shopId: string, entries: [string, ItemEntry][]): Promise<void> {
    return this.loadBatch(
      shopId,
      'item',
      entries,
      async (ids) => {
        const stored = await this.store.loadItems(shopId, ids, this.fromMs);
        return (id, e) => {
          const s = stored.get(id);
          const state = new ItemState(this.spec.params.lookback_hours);
          if (s) {
            for (const h of s.hours) state.buckets.add(h.hour, h.values);
            if (s.priceMinor > 0) state.notePrice(s.priceMinor, s.priceAtMs);
            if (s.categoryId) state.noteCategory(s.categoryId, s.categoryAtMs);
          }
          e.state = state;
        };
      },
      (e, ev) => e.state.apply(ev),
    );
  }

  private loadOffers(shopId: string, entries: [string, OfferEntry][]): Promise<void> {
    return this.loadBatch(
      shopId,
      'offer',
      entries,
      async (ids) => {
        const stored = await this.store.loadOffers(
          shopId,
          ids.map((id) => ({
            offerId: id,
            campaignId: entries.find(([k]) => k === id)![1].campaignId,
          })),
          this.fromMs,
        );
        return (id, e) => {
          const s = stored.get(id);
          const state = new OfferState(this.spec.params.lookback_hours);
          if (s) {
            for (const h of s.hours) state.buckets.add(h.hour, h.values);
            state.lifetimeRedemptions = s.lifetimeRedemptions;
          }
          e.state = state;
        };
      },
      (e, ev) => e.state.apply(ev),
      (e, ev) => ev.campaignId === e.campaignId,
    );
  }

  private loadCampaigns(shopId: string, entries: [string, CampaignEntry][]): Promise<void> {
    return this.loadBatch(
      shopId,
      'campaign',
      entries,
      async (ids) => {
        const spent = await this.store.campaignSpent(shopId, ids);
        return (id, e) => {
          e.spentMinor = spent.get(id) ?? 0;
        };
      },
      (e, ev) => {
        if (ev.type === 'offer_redeem') e.spentMinor += ev.discountMinor;
      },
    );
  }
}
