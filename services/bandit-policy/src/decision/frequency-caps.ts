/** Impressions of one user for one campaign. */
export interface CapCounts {
  /** Local day (campaign time zone) `today` counts. */
  readonly day: string;
  readonly today: number;
  readonly lifetime: number;
  /** Epoch ms of the latest impression (−Infinity when none). */
  readonly lastMs: number;
}

interface Mutable {
  day: string;
  today: number;
  lifetime: number;
  lastMs: number;
}

const NONE: CapCounts = { day: '', today: 0, lifetime: 0, lastMs: -Infinity };

/**
 * Per-user impression counts for frequency caps, bounded (least recently used users go;
 * `seed` restores a user's counts from the decision log when it comes back). An
 * impression counts when a decision is returned (non-deferred) or activated (deferred).
 */
export class FrequencyCaps {
  private readonly users = new Map<string, Map<string, Mutable>>();

  constructor(private readonly maxUsers = 200_000) {}

  private user(shopId: string, userId: string, create: boolean): Map<string, Mutable> | undefined {
    const k = `${shopId}\u0000${userId}`;
    const u = this.users.get(k);
    if (u) {
      // Refresh recency (Map iteration order is insertion order).
      this.users.delete(k);
      this.users.set(k, u);
      return u;
    }
    if (!create) return undefined;
    const fresh = new Map<string, Mutable>();
    this.users.set(k, fresh);
    if (this.users.size > this.maxUsers) {
      const oldest = this.users.keys().next().value;
      if (oldest !== undefined) this.users.delete(oldest);
    }
    return fresh;
  }

  /** True when the user's counts are in memory (else they may need seeding). */
  known(shopId: string, userId: string): boolean {
    return this.users.has(`${shopId}\u0000${userId}`);
  }

  counts(shopId: string, userId: string, campaignId: string, day: string): CapCounts {
    const c = this.user(shopId, userId, false)?.get(campaignId);
    if (!c) return NONE;
    return c.day === day ? c : { ...c, day, today: 0 };
  }

  /** Counts one impression at `timeMs` on local day `day`. */
  record(shopId: string, userId: string, campaignId: string, day: string, timeMs: number): void {
    const u = this.user(shopId, userId, true)!;
    let c = u.get(campaignId);
    if (!c) u.set(campaignId, (c = { day, today: 0, lifetime: 0, lastMs: -Infinity }));
    if (c.day !== day) {
      c.day = day;
      c.today = 0;
    }
    c.today++;
    c.lifetime++;
    c.lastMs = Math.max(c.lastMs, timeMs);
  }

  /** Marks a user's counts as known (loaded, possibly empty). */
  touch(shopId: string, userId: string): void {
    this.user(shopId, userId, true);
  }

  /** Restores a user's counts (e.g. from ClickHouse) unless newer ones are already held. */
  seed(shopId: string, userId: string, campaignId: string, counts: CapCounts): void {
    const u = this.user(shopId, userId, true)!;
    const held = u.get(campaignId);
    if (held && held.lifetime >= counts.lifetime) return;
    u.set(campaignId, { ...counts });
  }

  get size(): number {
    return this.users.size;
  }
}
