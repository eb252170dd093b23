/** Simulated time: epoch milliseconds, UTC. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Hour of day (fractional, 0 ≤ h < 24) of an epoch ms in UTC. */
export function utcHour(ms: number): number {
  return (((ms % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

/** The UTC day 'YYYY-MM-DD' of an epoch ms. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A ClickHouse DateTime literal in UTC: 'YYYY-MM-DD hh:mm:ss' (seconds truncated). */
export function clickhouseDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}
