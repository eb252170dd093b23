import { CampaignStatus, type Campaign, type Offer, OfferStatus } from '@offerstream/contracts';

/** Local calendar facts of an instant in a time zone. */
export interface LocalTime {
  /** 'YYYY-MM-DD'. */
  readonly day: string;
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
  /** Minutes after local midnight, 0..1439. */
  readonly minute: number;
  /** Epoch ms of the next local midnight (end of `day`). */
  readonly dayEndMs: number;
  /** Epoch ms of the local midnight that started `day`. */
  readonly dayStartMs: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formats = new Map<string, Intl.DateTimeFormat>();
const MINUTE = 60_000;

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(tz, f);
  }
  return f;
}

// Intl is slow (µs per call) and decisions ask often: one answer per zone and minute.
const cache = new Map<string, { minuteMs: number; local: LocalTime }>();

/** The local day, weekday and minute of `ms` in time zone `tz` (IANA; '' = UTC). */
export function localTime(tz: string, ms: number): LocalTime {
  const zone = tz || 'UTC';
  const minuteMs = Math.floor(ms / MINUTE) * MINUTE;
  const hit = cache.get(zone);
  if (hit && hit.minuteMs === minuteMs) return hit.local;
  const parts: Record<string, string> = {};
  for (const p of format(zone).formatToParts(new Date(minuteMs))) parts[p.type] = p.value;
  const minute = Number(parts.hour) * 60 + Number(parts.minute);
  const dayStartMs = minuteMs - minute * MINUTE;
  // DST days are 23 or 25 hours long: find the next midnight by asking Intl around +24 h.
  let dayEndMs = dayStartMs + 24 * 60 * MINUTE;
  for (const shift of [0, -60, 60]) {
    const probe = dayEndMs + shift * MINUTE;
    const q: Record<string, string> = {};
    for (const p of format(zone).formatToParts(new Date(probe))) q[p.type] = p.value;
    if (q.hour === '00' && q.minute === '00') {
      dayEndMs = probe;
      break;
    }
  }
  const local: LocalTime = {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 1,
    minute,
    dayStartMs,
    dayEndMs,
  };
  cache.set(zone, { minuteMs, local });
  return local;
}

/** Why a campaign does not serve at an instant, or undefined when it does. */
export function notServingReason(c: Campaign, ms: number): string | undefined {
  if (c.status !== CampaignStatus.CAMPAIGN_STATUS_ACTIVE) return 'not active';
  const s = c.schedule;
  if (!s?.startTime) return 'no schedule';
  if (ms < s.startTime.getTime()) return 'not started';
  if (s.endTime && ms >= s.endTime.getTime()) return 'ended';
  if (s.activeDays.length === 0 && s.activeHours.length === 0) return undefined;
  const t = localTime(s.timeZone, ms);
  if (s.activeDays.length > 0 && !s.activeDays.includes(t.weekday)) return 'not an active day';
  if (
    s.activeHours.length > 0 &&
    !s.activeHours.some((w) => t.minute >= w.startMinute && t.minute < w.endMinute)
  )
    return 'outside active hours';
  return undefined;
}

/** True when the offer itself can be served at `ms` (status, flash-sale window). */
export function offerServes(o: Offer, ms: number): boolean {
  if (
    o.status !== OfferStatus.OFFER_STATUS_ACTIVE &&
    o.status !== OfferStatus.OFFER_STATUS_UNSPECIFIED
  )
    return false;
  const fs = o.flashSale;
  if (fs) {
    if (!fs.startTime || !fs.endTime) return false;
    if (ms < fs.startTime.getTime() || ms >= fs.endTime.getTime()) return false;
  }
  return true;
}
