/** A shop's decisions in one UTC hour of the day over the profile's window. */
export interface HourlyDecisions {
  readonly shopId: string;
  /** UTC hour of the day, 0..23. */
  readonly hour: number;
  readonly decisions: number;
  /** Time of the earliest of them. */
  readonly firstMs: number;
}

/** When a shop's hourly counts are trusted as the shape of its day. */
export interface TrafficProfileRules {
  /** The counts must reach back at least this far (default one day: every hour seen once). */
  readonly minSpanMs?: number;
  /** At least this many decisions in all (default 240: ten an hour on average). */
  readonly minDecisions?: number;
  /**
   * Share of the plan spread evenly over the hours whatever the counts (default 0.1), so
   * that an hour without past traffic still plans a little spend: traffic that comes at an
   * unusual hour is not priced out from the start.
   */
  readonly evenShare?: number;
}

const DAY_MS = 86_400_000;

/**
 * Each shop's traffic share by UTC hour of the day (24 weights summing to 1), from its
 * decisions per hour over the last days: the shape budget pacing spreads a plan by
 * (`plannedSpend`'s `hourlyTrafficShare`). Shops whose counts are too few or too recent to
 * show a whole day are left out: they are planned evenly in time.
 */
export function trafficShares(
  rows: readonly HourlyDecisions[],
  nowMs: number,
  rules: TrafficProfileRules = {},
): Map<string, number[]> {
  const minSpanMs = rules.minSpanMs ?? DAY_MS;
  const minDecisions = rules.minDecisions ?? 240;
  const even = rules.evenShare ?? 0.1;
  if (!(even >= 0 && even <= 1)) throw new RangeError(`evenShare must be in [0, 1]: ${even}`);
  const byShop = new Map<string, { counts: number[]; total: number; firstMs: number }>();
  for (const r of rows) {
    if (!(Number.isInteger(r.hour) && r.hour >= 0 && r.hour < 24)) continue;
    if (!(r.decisions > 0 && Number.isFinite(r.decisions))) continue;
    let s = byShop.get(r.shopId);
    if (!s)
      byShop.set(
        r.shopId,
        (s = { counts: new Array<number>(24).fill(0), total: 0, firstMs: Infinity }),
      );
    s.counts[r.hour]! += r.decisions;
    s.total += r.decisions;
    s.firstMs = Math.min(s.firstMs, r.firstMs);
  }
  const out = new Map<string, number[]>();
  for (const [shopId, s] of byShop) {
    if (s.total < minDecisions || !(nowMs - s.firstMs >= minSpanMs)) continue;
    out.set(
      shopId,
      s.counts.map((n) => (1 - even) * (n / s.total) + even / 24),
    );
  }
  return out;
}
