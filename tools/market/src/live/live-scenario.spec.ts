import { inHoldout } from '@offerstream/campaigns';
import { PolicyType, type Campaign } from '@offerstream/contracts';
import { campaignsAt, loadScenario, withOverrides, type Scenario } from '../scenario';
import { HOUR_MS } from '../time.util';
import { armScenario, liveCampaigns, liveEquivalent } from './live-scenario';
import { TimeWarp } from './time-warp';

const d11 = loadScenario('double-11');

describe('the live equivalent of a scenario', () => {
  it('keeps a total budget scaled to the users and drops the per-day limits, saying so', () => {
    const { scenario, notes } = liveEquivalent(d11, 1000);
    const c = scenario.campaigns[0]!;
    expect(scenario.users.count).toBe(1000);
    expect(c.budget!.totalBudgetMinor).toBe(250_000);
    expect(c.budget!.dailyBudgetMinor).toBe(0);
    // The file's cart headroom reaches the campaign bandit-policy serves.
    expect(c.budget!.cartHeadroom).toBe(0.5);
    const warp = new TimeWarp(scenario.epochMs, 1_000_000, 1800);
    expect(liveCampaigns(scenario, warp)[0]!.budget!.cartHeadroom).toBe(0.5);
    expect(c.frequencyCap!.maxImpressionsPerUserPerDay).toBe(0);
    expect(c.frequencyCap!.maxImpressionsPerUserLifetime).toBe(6);
    expect(notes.join(' ')).toMatch(/daily budget/);
  });

  it('gives each arm its own shop and campaign ids', () => {
    const s = armScenario(liveEquivalent(d11).scenario, { shopId: 'shop-a', campaignSuffix: '-x' });
    expect(s.shopId).toBe('shop-a');
    expect(s.campaigns.map((c) => [c.shopId, c.campaignId])).toEqual([
      ['shop-a', 'cmp-double-11-x'],
    ]);
  });

  it('holds out the same users in every arm, in-process and live, and other users for another seed', () => {
    const base = liveEquivalent(d11).scenario;
    const heldOut = (s: Scenario, c: Campaign) =>
      [...Array(2000).keys()].map((i) => `u-${i}`).filter((u) => inHoldout(s.shopId, u, c));
    const inProcess = campaignsAt(base, base.epochMs)[0]!;
    const live = armScenario(base, { shopId: 'shop-a', campaignSuffix: '-x' });
    const warp = new TimeWarp(d11.epochMs, 1_000_000, 1800);
    const liveCampaign = liveCampaigns(live, warp)[0]!;
    const held = heldOut(base, inProcess);
    expect(held.length).toBeGreaterThan(300);
    expect(held.length).toBeLessThan(500);
    expect(heldOut(live, liveCampaign)).toEqual(held);
    expect(liveCampaign.holdoutGroup).toBe(inProcess.holdoutGroup);
    const other = withOverrides(base, { seed: base.seed + 1 });
    const otherHeld = heldOut(other, campaignsAt(other, other.epochMs)[0]!);
    expect(otherHeld).not.toEqual(held);
  });
});

describe('live campaigns', () => {
  it('move schedules onto the real clock and compress the attribution window by S', () => {
    const warp = new TimeWarp(d11.epochMs, 1_000_000, 1800);
    const [c] = liveCampaigns(liveEquivalent(d11).scenario, warp, {
      type: PolicyType.POLICY_TYPE_SQUARE_CB,
      params: {},
    });
    // double-11 runs from hour 12 to hour 54: 24 s to 108 s of real time at S = 1800.
    expect(c!.schedule!.startTime!.getTime()).toBe(1_000_000 + (12 * HOUR_MS) / 1800);
    expect(c!.schedule!.endTime!.getTime()).toBe(1_000_000 + (54 * HOUR_MS) / 1800);
    expect(c!.attributionWindow).toEqual({ seconds: 12, nanos: 0 });
    expect(c!.policy!.type).toBe(PolicyType.POLICY_TYPE_SQUARE_CB);
    expect(c!.offers.every((o) => o.campaignId === c!.campaignId)).toBe(true);
  });

  it('never compress a window below the 10 s CampaignService accepts', () => {
    const warp = new TimeWarp(d11.epochMs, 0, 10_000);
    const [c] = liveCampaigns(d11, warp);
    expect(c!.attributionWindow).toEqual({ seconds: 10, nanos: 0 });
  });
});
