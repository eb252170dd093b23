import { CampaignRecord, type Campaign, type Offer } from '@offerstream/contracts';

/** Where a record sits in the campaigns topic. */
export interface RecordPosition {
  readonly partition: number;
  readonly offset: string;
}

/** A campaign as the catalog holds it. */
export interface CatalogEntry {
  readonly campaign: Campaign;
  /** The record that set this state (its change metadata). */
  readonly record: Omit<CampaignRecord, 'campaign'>;
  /** The record's bytes as read: re-published as-is to repair a lost race (see CampaignCatalog). */
  readonly bytes: Buffer;
  readonly position: RecordPosition;
}

/** One offer with its campaign. */
export interface CatalogOfferRef {
  readonly entry: CatalogEntry;
  readonly offer: Offer;
  /** Position of the offer in its campaign (fixed-rule order). */
  readonly index: number;
}

export type ApplyOutcome = 'applied' | 'stale' | 'deleted' | 'unreadable';

/**
 * Record key of a campaign on offerstream.campaigns.v1: the JSON array [shop_id, campaign_id]
 * (ids are scoped by shop, so the campaign id alone could collide across tenants; JSON
 * keeps any id unambiguous).
 */
export function campaignKey(shopId: string, campaignId: string): string {
  return JSON.stringify([shopId, campaignId]);
}

/** The ids in a campaign key, or undefined when it is not one. */
export function parseCampaignKey(key: string): { shopId: string; campaignId: string } | undefined {
  try {
    const v: unknown = JSON.parse(key);
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string')
      return { shopId: v[0], campaignId: v[1] };
  } catch {
    // not a campaign key
  }
  return undefined;
}

const inner = (shopId: string, id: string) => `${shopId}\u0000${id}`;

/**
 * The campaigns of every shop as the compacted topic says. Each record is a campaign's
 * full state; a record applies only when its version is newer than the one held, so
 * every replica folding the same log ends in the same state. Two writers that raced
 * (both wrote version n+1) are resolved by log order: the first applies, the second is
 * `stale` — its writer learns it lost and re-publishes the winner's bytes, so that
 * compaction (which keeps the *last* record of a key) keeps the winner.
 */
export class CampaignCatalog {
  private readonly entries = new Map<string, CatalogEntry>();
  private readonly offers = new Map<string, CatalogOfferRef>();
  private readonly byShop = new Map<string, Set<string>>();
  private readonly applied = new Map<number, bigint>();
  private readonly waiters: {
    position: RecordPosition;
    resolve: (ok: boolean) => void;
  }[] = [];
  private readonly listeners: ((e: CatalogEntry | undefined, key: string) => void)[] = [];
  private changes = 0;

  /** Number of changes applied so far (a cheap cache key). */
  get generation(): number {
    return this.changes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Folds one record (value null = tombstone). */
  apply(key: string, value: Buffer | null, position: RecordPosition): ApplyOutcome {
    let outcome: ApplyOutcome;
    try {
      outcome = value === null ? this.remove(key) : this.put(value, position);
    } catch {
      outcome = 'unreadable';
    }
    this.markApplied(position);
    return outcome;
  }

  private put(value: Buffer, position: RecordPosition): ApplyOutcome {
    const rec = CampaignRecord.decode(value);
    const c = rec.campaign;
    if (!c || c.shopId === '' || c.campaignId === '') return 'unreadable';
    const k = inner(c.shopId, c.campaignId);
    const held = this.entries.get(k);
    if (held && held.campaign.version >= c.version) return 'stale';
    const { campaign: _c, ...meta } = rec;
    const entry: CatalogEntry = { campaign: c, record: meta, bytes: value, position };
    if (held) this.unindex(held);
    this.entries.set(k, entry);
    let shop = this.byShop.get(c.shopId);
    if (!shop) this.byShop.set(c.shopId, (shop = new Set()));
    shop.add(k);
    c.offers.forEach((offer, index) => {
      this.offers.set(inner(c.shopId, offer.offerId), { entry, offer, index });
    });
    this.changes++;
    for (const l of this.listeners) l(entry, k);
    return 'applied';
  }

  private remove(key: string): ApplyOutcome {
    const ids = parseCampaignKey(key);
    if (!ids) return 'unreadable';
    const k = inner(ids.shopId, ids.campaignId);
    const held = this.entries.get(k);
    if (!held) return 'deleted';
    this.unindex(held);
    this.entries.delete(k);
    this.byShop.get(ids.shopId)?.delete(k);
    this.changes++;
    for (const l of this.listeners) l(undefined, k);
    return 'deleted';
  }

  private unindex(e: CatalogEntry): void {
    for (const o of e.campaign.offers) {
      const k = inner(e.campaign.shopId, o.offerId);
      if (this.offers.get(k)?.entry === e) this.offers.delete(k);
    }
  }

  private markApplied(p: RecordPosition): void {
    const off = BigInt(p.offset);
    const prev = this.applied.get(p.partition);
    if (prev === undefined || off > prev) this.applied.set(p.partition, off);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (this.hasApplied(w.position)) {
        this.waiters.splice(i, 1);
        w.resolve(true);
      }
    }
  }

  /** True once the record at `p` (or a later one of its partition) has been folded. */
  hasApplied(p: RecordPosition): boolean {
    const at = this.applied.get(p.partition);
    return at !== undefined && at >= BigInt(p.offset);
  }

  /** Resolves true once the record at `p` has been folded, false after `timeoutMs`. */
  waitFor(p: RecordPosition, timeoutMs: number): Promise<boolean> {
    if (this.hasApplied(p)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        position: p,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Calls `l` after every change (entry undefined = deleted). */
  onChange(l: (e: CatalogEntry | undefined, key: string) => void): void {
    this.listeners.push(l);
  }

  get(shopId: string, campaignId: string): CatalogEntry | undefined {
    return this.entries.get(inner(shopId, campaignId));
  }

  /** The offer with this id in the shop's campaigns. */
  offer(shopId: string, offerId: string): CatalogOfferRef | undefined {
    return this.offers.get(inner(shopId, offerId));
  }

  /** Every campaign of every shop (any status), in no particular order. */
  all(): CatalogEntry[] {
    return [...this.entries.values()];
  }

  /** The shop's campaigns (any status), in no particular order. */
  list(shopId: string): CatalogEntry[] {
    const out: CatalogEntry[] = [];
    for (const k of this.byShop.get(shopId) ?? []) {
      const e = this.entries.get(k);
      if (e) out.push(e);
    }
    return out;
  }
}
