import { Campaign, CampaignStatus, type PolicyConfig } from '@offerstream/contracts';
import { attributionWindowMs, campaignsAt, marketHoldoutGroup, type Scenario } from '../scenario';
import { DAY_MS } from '../time.util';
import type { TimeWarp } from './time-warp';

/** The smallest attribution window CampaignService accepts. */
export const MIN_LIVE_WINDOW_MS = 10_000;

/** A scenario as a compressed live run can reproduce it, and what had to change. */
export interface LiveEquivalent {
  readonly scenario: Scenario;
  /** What differs from the scenario file, for the report. */
  readonly notes: readonly string[];
}

const money = (minor: number) => (minor / 100).toLocaleString('en-US');

/**
 * The scenario with what compressed time cannot reproduce replaced by its nearest
 * equivalent, so that every arm — in-process or live — runs the very same campaign:
 * - a daily budget would be per *real* day (the whole run): it is dropped, the total kept;
 * - per-day frequency caps likewise become a lifetime cap of (per day × campaign days);
 * - with `users` below the file's count, total budgets shrink in proportion.
 */
export function liveEquivalent(s: Scenario, users = s.users.count): LiveEquivalent {
  const notes: string[] = [];
  const scale = users / s.users.count;
  const campaigns = s.campaigns.map((c) => {
    const b = c.budget;
    const from = c.schedule?.startTime?.getTime() ?? s.epochMs;
    const to = c.schedule?.endTime?.getTime() ?? s.epochMs + s.durationMs;
    const days = Math.max(1, Math.ceil((to - from) / DAY_MS));
    let budget = b;
    if (b && (b.totalBudgetMinor > 0 || b.dailyBudgetMinor > 0)) {
      const total =
        b.totalBudgetMinor > 0 ? b.totalBudgetMinor : b.dailyBudgetMinor * ((to - from) / DAY_MS);
      const scaled = Math.round(total * scale);
      budget = { ...b, totalBudgetMinor: scaled, dailyBudgetMinor: 0 };
      notes.push(
        `${c.campaignId}: total budget ${money(scaled)} ${b.currency}` +
          (scale !== 1 ? ` (${money(total)} × ${users}/${s.users.count} users)` : '') +
          (b.dailyBudgetMinor > 0
            ? `; the daily budget (${money(b.dailyBudgetMinor)}) is left out: in compressed time a day of the system is the whole run`
            : ''),
      );
    }
    let frequencyCap = c.frequencyCap;
    const perDay = frequencyCap?.maxImpressionsPerUserPerDay ?? 0;
    if (frequencyCap && perDay > 0) {
      const lifetime = perDay * days;
      const given = frequencyCap.maxImpressionsPerUserLifetime;
      frequencyCap = {
        ...frequencyCap,
        maxImpressionsPerUserPerDay: 0,
        maxImpressionsPerUserLifetime: given > 0 ? Math.min(given, lifetime) : lifetime,
      };
      notes.push(
        `${c.campaignId}: ${perDay} impressions per user per day become ${frequencyCap.maxImpressionsPerUserLifetime} per user over the campaign's ${days} day(s)`,
      );
    }
    return Campaign.fromPartial({ ...c, budget, frequencyCap });
  });
  return {
    scenario: { ...s, users: { ...s.users, count: users }, campaigns },
    notes,
  };
}

/** The scenario as one arm of a live run sees it: its own shop id and campaign ids, the market's holdout groups. */
export function armScenario(
  s: Scenario,
  arm: { shopId: string; campaignSuffix: string },
): Scenario {
  return {
    ...s,
    shopId: arm.shopId,
    campaigns: s.campaigns.map((c) =>
      Campaign.fromPartial({
        ...c,
        shopId: arm.shopId,
        campaignId: `${c.campaignId}${arm.campaignSuffix}`,
        holdoutGroup: marketHoldoutGroup(s, c),
      }),
    ),
  };
}

const toDuration = (ms: number) => ({
  seconds: Math.floor(ms / 1000),
  nanos: Math.round((ms % 1000) * 1e6),
});

/** The real-time attribution window of a campaign (the simulated one compressed, at least 10 s). */
export function liveWindowMs(c: Campaign, warp: TimeWarp): number {
  return Math.max(MIN_LIVE_WINDOW_MS, Math.ceil(warp.realDuration(attributionWindowMs(c))));
}

/**
 * An arm's campaigns for CampaignService.CreateCampaign: schedules, flash-sale windows,
 * attribution windows and minimum impression intervals moved onto the real clock through
 * the time warp; status ACTIVE; the policy replaced when given.
 */
export function liveCampaigns(s: Scenario, warp: TimeWarp, policy?: PolicyConfig): Campaign[] {
  const real = (d: Date | undefined) =>
    d ? new Date(Math.round(warp.toReal(d.getTime()))) : undefined;
  return campaignsAt(s, warp.simStartMs).map((c) => {
    const interval = c.frequencyCap?.minInterval;
    return Campaign.fromPartial({
      ...c,
      status: CampaignStatus.CAMPAIGN_STATUS_ACTIVE,
      schedule: c.schedule && {
        ...c.schedule,
        startTime: real(c.schedule.startTime),
        endTime: real(c.schedule.endTime),
      },
      attributionWindow: toDuration(liveWindowMs(c, warp)),
      frequencyCap: c.frequencyCap && {
        ...c.frequencyCap,
        minInterval: interval
          ? toDuration(Math.ceil(warp.realDuration(interval.seconds * 1000 + interval.nanos / 1e6)))
          : undefined,
      },
      policy: policy ?? c.policy,
      offers: c.offers.map((o) => ({
        ...o,
        flashSale: o.flashSale && {
          ...o.flashSale,
          startTime: real(o.flashSale.startTime),
          endTime: real(o.flashSale.endTime),
        },
      })),
    });
  });
}
