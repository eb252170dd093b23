import { campaignKey, type CatalogEntry } from '@offerstream/campaigns';
import { Campaign, CampaignStatus } from '@offerstream/contracts';
import { PacingService } from './pacing.service';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 11);
const KEY = campaignKey('shop', 'c');

/** An active campaign with a total budget of 10 000 over 100 hours from START. */
function entry(): CatalogEntry {
  const campaign = Campaign.fromPartial({
    shopId: 'shop',
    campaignId: 'c',
    status: CampaignStatus.CAMPAIGN_STATUS_ACTIVE,
    schedule: { startTime: new Date(START), endTime: new Date(START + 100 * HOUR) },
    budget: { totalBudgetMinor: 10_000 },
  });
  return { campaign } as unknown as CatalogEntry;
}

describe('PacingService', () => {
  it('prices open decisions at their reservation at first, then at the realized cost ratio', () => {
    const price = (counted: number) => {
      const sut = new PacingService();
      // `counted` decisions expected to cost 10 each realized 20 (the model under-rates
      // redemptions); the ledger reserved 50 for each (the whole discount).
      for (let i = 0; i < counted; i++) sut.onDecision(`d${i}`, KEY, '', 10, 50);
      for (let i = 0; i < counted; i++) sut.onRedemptionsKnown(`d${i}`, 20, START);
      sut.onReward('other-replica', KEY, '', 4900 - 20 * counted);
      // 10 open decisions at 50 hours (plan 5 000, 4 900 spent).
      for (let i = 0; i < 10; i++) sut.onDecision(`o${i}`, KEY, '', 10, 50);
      sut.tick([entry()], START + 50 * HOUR);
      return { sut, price: sut.price({ shopId: 'shop', campaignId: 'c' }) };
    };
    // Nothing counted yet: 4 900 + 10 × 50 = 5 400, 4 % of the budget above the plan.
    expect(price(0).price).toBeCloseTo(((0.04 + 0.015) / 0.02) ** 2, 9);
    // 30 counted: ratio 2, w = 20/50; each open decision 0.4 × 50 + 0.6 × 20 = 32: 5 220.
    const { sut, price: p30 } = price(30);
    expect(sut.costRatio(KEY)).toBe(2);
    expect(p30).toBeCloseTo(((0.022 + 0.015) / 0.02) ** 2, 9);
    // 180 counted: w = 0.1; 23 each: 5 130.
    expect(price(180).price).toBeCloseTo(((0.013 + 0.015) / 0.02) ** 2, 9);
  });

  it('counts a decision once: at its redemptions, corrected by its reward', () => {
    const sut = new PacingService();
    sut.onDecision('d1', KEY, '', 10, 50);
    sut.onRedemptionsKnown('d1', 30, START);
    expect(sut.settled(KEY, '').total).toBe(30);
    // The reward says 25 (a refund in the window): the total follows it, not 55.
    sut.onReward('d1', KEY, '', 25);
    expect(sut.settled(KEY, '').total).toBe(25);
    // Another replica's reward was never counted early: it adds whole.
    sut.onReward('d2', KEY, '', 40);
    expect(sut.settled(KEY, '').total).toBe(65);
    // Redemptions of a decision this replica does not hold open are not counted.
    sut.onRedemptionsKnown('d3', 50, START);
    expect(sut.settled(KEY, '').total).toBe(65);
  });

  it('leaves a campaign below its plan unpriced and prices one above it', () => {
    const sut = new PacingService();
    sut.onReward('a', KEY, '', 500);
    sut.tick([entry()], START + 10 * HOUR);
    expect(sut.price({ shopId: 'shop', campaignId: 'c' })).toBe(0);
    sut.onReward('b', KEY, '', 700);
    sut.tick([entry()], START + 10 * HOUR + 1);
    expect(sut.price({ shopId: 'shop', campaignId: 'c' })).toBeGreaterThan(1);
  });

  it('plans by the shop’s traffic by hour of the day once it has one', () => {
    // START is midnight UTC; the shop's traffic comes only from 12:00 to 24:00 UTC (apart
    // from the even share every hour keeps).
    const evenShare = 0.1;
    const share = Array.from(
      { length: 24 },
      (_, h) => (1 - evenShare) * (h >= 12 ? 1 / 12 : 0) + evenShare / 24,
    );
    const at10h = (traffic: boolean) => {
      const sut = new PacingService();
      if (traffic) sut.setTrafficShares(new Map([['shop', share]]));
      // 10 hours in, 500 spent: half the even plan (1 000), but far above the plan by
      // traffic (≈ 104: ten quiet hours' even share of a budget spread over 4 busy days).
      sut.onReward('a', KEY, '', 500);
      sut.tick([entry()], START + 10 * HOUR);
      return sut.price({ shopId: 'shop', campaignId: 'c' });
    };
    expect(at10h(false)).toBe(0);
    expect(at10h(true)).toBeGreaterThan(1);
    // Another shop's shape does not move this one's plan.
    const other = new PacingService();
    other.setTrafficShares(new Map([['other-shop', share]]));
    other.onReward('a', KEY, '', 500);
    other.tick([entry()], START + 10 * HOUR);
    expect(other.price({ shopId: 'shop', campaignId: 'c' })).toBe(0);
    expect(other.trafficShare('other-shop')).toBe(share);
    expect(other.trafficShare('shop')).toBeUndefined();
  });
});
