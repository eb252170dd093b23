import { RecentIds } from '@offerstream/events';
import { createLogger } from '@offerstream/logging';
import {
  CURRENT_SPEC_VERSION,
  HOUR_MS,
  loadFeatureSpec,
  type FeatureEvent,
} from '@offerstream/features';
import { FeatureStateService, type FeatureStore } from './feature-state.service';
import type { StoredUser } from './feature-store.repository';

const spec = loadFeatureSpec(CURRENT_SPEC_VERSION);
const NOW = Date.UTC(2026, 10, 25, 12, 30);
let n = 0;
const view = (minutesAgo: number, over: Partial<FeatureEvent> = {}): FeatureEvent => ({
  eventId: `e${n++}`,
  type: 'view',
  timeMs: NOW - minutesAgo * 60_000,
  itemId: 'i1',
  categoryId: 'c',
  offerId: '',
  campaignId: '',
  priceMinor: 100,
  quantity: 0,
  discountMinor: 0,
  ...over,
});

function makeFeatureState(
  o: {
    stored?: Partial<StoredUser>;
    down?: boolean;
    maxUsers?: number;
    prefetchUsers?: boolean;
    /** Event ids the de-duplication index has. */
    storedIds?: string[];
    /** Runs while the de-duplication index is asked (the stream goes on meanwhile). */
    duringCheck?: () => void;
  } = {},
) {
  const loads: string[] = [];
  let batches = 0;
  const releases: (() => void)[] = [];
  let hold = false;
  let clock = NOW;
  const store: FeatureStore = {
    loadUsers: async (_s, userIds) => {
      batches++;
      loads.push(...userIds);
      if (hold) await Promise.all(userIds.map(() => new Promise<void>((r) => releases.push(r))));
      if (o.down) throw new Error('connect ECONNREFUSED');
      return new Map(
        userIds.map((id) => [
          id,
          {
            hours: [],
            last: { visit: NaN, cart: NaN, purchase: NaN },
            sequence: [],
            recentIds: [],
            missingFromAggregates: 0,
            ...o.stored,
          },
        ]),
      );
    },
    loadItems: async (_s, ids) =>
      new Map(
        ids.map((id) => [
          id,
          { hours: [], priceMinor: 0, priceAtMs: -1, categoryId: '', categoryAtMs: -1 },
        ]),
      ),
    loadOffers: async () => new Map(),
    campaignSpent: async () => new Map(),
    storedEventKeys: async (keys) => {
      const during = o.duringCheck;
      o.duringCheck = undefined;
      during?.();
      return new Set(
        keys
          .filter((k) => o.storedIds?.includes(k.eventId))
          .map((k) => RecentIds.key(k.shopId, k.eventId)),
      );
    },
  };
  const sut = new FeatureStateService(
    spec,
    store,
    {
      maxUsers: o.maxUsers ?? 100,
      maxItems: 100,
      maxOffers: 100,
      tailMs: 60_000,
      dedupKeys: 1000,
      retryLoadAfterMs: 1000,
      maxConcurrentLoads: 4,
      prefetchUsers: o.prefetchUsers ?? false,
    },
    createLogger({ service: 'test', level: 'silent' }),
    () => clock,
  );
  return {
    sut,
    loads,
    hold: (on = true) => (hold = on),
    release: () => releases.shift()?.(),
    advance: (ms: number) => (clock += ms),
    batches: () => batches,
  };
}

const views = (u: { state: { buckets: { sum(f: number, a: number, b: number): number } } }) =>
  u.state.buckets.sum(0, 0, Number.MAX_SAFE_INTEGER);

describe('FeatureStateService', () => {
  it('merges streamed events the store did not have yet into a user loaded after them', async () => {
    const inStore = view(3);
    const { sut } = makeFeatureState({
      stored: {
        hours: [{ hour: Math.floor(inStore.timeMs / HOUR_MS), values: [1] }],
        recentIds: [inStore.eventId],
      },
    });
    sut.apply('s', 'u', inStore); // stored by ingest before the load
    sut.apply('s', 'u', view(1)); // not yet stored
    const u = await sut.user('s', 'u', 1000);
    expect(u.source).toBe('clickhouse');
    expect(views(u)).toBe(2);
  });

  it('never counts an event twice: re-deliveries and events the load already saw are dropped', async () => {
    const e = view(2);
    const { sut } = makeFeatureState({
      stored: {
        hours: [{ hour: Math.floor(e.timeMs / HOUR_MS), values: [1] }],
        recentIds: [e.eventId],
      },
    });
    await sut.user('s', 'u', 1000);
    sut.apply('s', 'u', e); // reaches the stream after the load read it from the store
    const fresh = view(1);
    sut.apply('s', 'u', fresh);
    sut.apply('s', 'u', fresh); // re-delivered
    expect(views(await sut.user('s', 'u', 1000))).toBe(2);
    expect(sut.duplicates).toBe(2);
  });

  it('keeps events that arrive during the load and applies them once it finishes', async () => {
    const { sut, hold, release } = makeFeatureState();
    hold();
    const pending = sut.user('s', 'u', 5000);
    await new Promise((r) => setImmediate(r));
    sut.apply('s', 'u', view(1));
    release();
    expect(views(await pending)).toBe(1);
  });

  it('answers within the budget from what the stream brought, flagged stale, when the store is down', async () => {
    const { sut } = makeFeatureState({ down: true });
    sut.apply('s', 'u', view(1));
    const u = await sut.user('s', 'u', 50);
    expect(u.stale).toBe(true);
    expect(u.source).toBe('memory');
    expect(views(u)).toBe(1);
    const nobody = await sut.user('s', 'nobody', 50);
    expect([nobody.stale, nobody.source]).toEqual([true, 'default']);
  });

  it('evicts the least recently requested users beyond the cap and reloads them on demand', async () => {
    const { sut, loads } = makeFeatureState({ maxUsers: 100 });
    for (let i = 0; i < 150; i++) await sut.user('s', `u${i}`, 1000);
    expect(sut.counts.users).toBeLessThanOrEqual(100);
    expect(sut.counts.evictedUsers).toBeGreaterThanOrEqual(50);
    loads.length = 0;
    await sut.user('s', 'u149', 1000); // recent: still in memory
    await sut.user('s', 'u0', 1000); // evicted: loaded again
    expect(loads).toEqual(['u0']);
  });

  it('merges only recently streamed events: an old one is in the store already, not counted twice', async () => {
    const e = view(0);
    // The store has it in its aggregates, but it was stored too long ago to be among the
    // recent ids the load checks the stream against.
    const { sut, advance } = makeFeatureState({
      stored: { hours: [{ hour: Math.floor(e.timeMs / HOUR_MS), values: [1] }], recentIds: [] },
    });
    sut.apply('s', 'u', e);
    advance(10 * 60_000); // a quiet stream
    expect(views(await sut.user('s', 'u', 1000))).toBe(1);
  });

  it('leaves out of a load streamed events older than the window the store was read over', async () => {
    const { sut } = makeFeatureState();
    sut.apply('s', 'u', view(spec.params.lookback_hours * 60 + 5)); // a very late event
    sut.apply('s', 'u', view(1));
    const u = await sut.user('s', 'u', 1000);
    expect(views(u)).toBe(1);
    expect(u.state.sequence).toHaveLength(1);
  });

  it('counts loads whose aggregates never caught up with the raw events, and serves them as loaded', async () => {
    const { sut } = makeFeatureState({ stored: { missingFromAggregates: 2 } });
    const u = await sut.user('s', 'u', 1000);
    expect([u.source, u.stale]).toEqual(['clickhouse', false]);
    expect(sut.inconsistentLoads).toBe(1);
  });

  it('merges into an item first asked for the streamed events that went by before, unless stored', async () => {
    const gone = view(3, { itemId: 'sku' }); // streamed before anyone asked for the item
    const stored = view(2, { itemId: 'sku' }); // ... and already stored
    const during = view(0, { itemId: 'sku' }); // streamed while the index is asked
    const ref: { sut?: FeatureStateService } = {};
    const { sut } = makeFeatureState({
      storedIds: [stored.eventId],
      duringCheck: () => ref.sut!.apply('s', 'other', during),
    });
    ref.sut = sut;
    sut.apply('s', 'u', gone);
    sut.apply('s', 'u', stored);
    const [c] = await sut.candidates(
      's',
      [{ itemId: 'sku', offerId: '', campaignId: '' }],
      () => undefined,
      1000,
    );
    // The fake store's aggregates are empty: only merged events count.
    expect(c!.item!.buckets.sum(0, 0, Number.MAX_SAFE_INTEGER)).toBe(2);
    expect(c!.stale).toBe(false);
  });

  it('does not queue loads beyond its limit: the excess is answered from memory at once, flagged stale', async () => {
    const { sut, hold, release } = makeFeatureState();
    hold();
    const running = [1, 2, 3, 4].map((i) => sut.user('s', `busy-${i}`, 5000));
    await new Promise((r) => setImmediate(r));
    const started = Date.now();
    const shed = await sut.user('s', 'one-too-many', 5000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect([shed.stale, shed.source]).toEqual([true, 'default']);
    hold(false);
    for (let i = 0; i < 4; i++) release();
    for (const u of await Promise.all(running)) expect(u.stale).toBe(false);
    // Once the others finished, it is loaded on its next request.
    expect((await sut.user('s', 'one-too-many', 1000)).stale).toBe(false);
  });

  it('starts loading a user on their first streamed event, so their first request finds them loaded', async () => {
    const inStore = view(90);
    const { sut, loads, hold, release } = makeFeatureState({
      prefetchUsers: true,
      stored: {
        hours: [{ hour: Math.floor(inStore.timeMs / HOUR_MS), values: [1] }],
        recentIds: [inStore.eventId],
      },
    });
    hold();
    sut.apply('s', 'u', view(2)); // the session's first page: the load starts here
    sut.apply('s', 'u', view(1)); // arrives while it runs
    await new Promise((r) => setImmediate(r));
    expect(loads).toEqual(['u']);
    expect(sut.userPrefetches).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    const u = await sut.user('s', 'u', 0); // no time to load: it must already be there
    expect([u.source, u.stale]).toEqual(['memory', false]);
    expect(views(u)).toBe(3); // the stored history and both streamed events, once each
    expect(loads).toEqual(['u']);
  });

  it('leaves half of the load slots to requests: the stream prefetches while fewer than half run', async () => {
    const { sut, loads, hold, release } = makeFeatureState({ prefetchUsers: true });
    hold();
    for (const u of ['a', 'b', 'c', 'd']) sut.apply('s', u, view(1));
    await new Promise((r) => setImmediate(r));
    expect(loads.sort()).toEqual(['a', 'b']); // 2 of 4 slots
    expect(sut.userPrefetches).toBe(2);
    const asked = sut.user('s', 'c', 5000); // a request still gets a slot
    await new Promise((r) => setImmediate(r));
    expect(loads).toContain('c');
    for (let i = 0; i < 3; i++) release();
    expect((await asked).stale).toBe(false);
  });

  it('reads users asked for at the same time from the store in one batch', async () => {
    const { sut, batches, loads } = makeFeatureState();
    const users = await Promise.all(['a', 'b', 'c'].map((u) => sut.user('s', u, 1000)));
    expect(users.map((u) => [u.source, u.stale])).toEqual([
      ['clickhouse', false],
      ['clickhouse', false],
      ['clickhouse', false],
    ]);
    expect([batches(), loads.sort()]).toEqual([1, ['a', 'b', 'c']]);
  });

  it('without prefetch, does not keep users nobody asked for; with it, no more than it can load', () => {
    const { sut } = makeFeatureState();
    for (let i = 0; i < 50; i++) sut.apply('s', `stranger-${i}`, view(1));
    expect(sut.counts.users).toBe(0);
    const prefetching = makeFeatureState({ prefetchUsers: true }).sut;
    for (let i = 0; i < 50; i++) prefetching.apply('s', `stranger-${i}`, view(1));
    expect(prefetching.counts.users).toBe(2); // half of 4 load slots, all taken in this turn
  });
});
