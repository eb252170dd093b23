import { CampaignBook } from './campaign-book';
import type { DecisionPoint } from './market';
import { basketOf } from './outcome-model';
import { campaignsAt, loadScenario } from './scenario';

// The launch campaign's offers are restricted to the five new items.
const scenario = loadScenario('new-product-launch');
const [campaign] = campaignsAt(scenario, scenario.epochMs);
const start = campaign?.schedule?.startTime?.getTime() ?? 0;
const book = new CampaignBook(campaignsAt(scenario, scenario.epochMs), {
  shippingFeeMinor: 495,
  freeShippingThresholdMinor: 4900,
});
const point = (itemIds: string[]): DecisionPoint => ({
  timeMs: start + 3_600_000,
  pageType: 'cart',
  placementId: 'cart-banner',
  basket: basketOf(
    itemIds.map((itemId) => ({
      itemId,
      categoryId: 'c',
      unitPriceMinor: 1500,
      unitCostMinor: 800,
      quantity: 1,
    })),
  ),
  channel: 'web',
  device: 'desktop',
  country: 'DE',
});
// A user outside the holdout (10 %): the first of u-0 … that the book treats.
const user = (i: number) => ({ shopId: 'shop', userId: `u-${i}`, returning: false, churnRisk: 0 });

describe('CampaignBook', () => {
  it('offers a discount restricted to items only to carts holding one of them, as bandit-policy does', () => {
    const treated = [...Array(50).keys()]
      .map(user)
      .find((u) => book.eligible(u, point(['sku-new-pan'])).candidates.length > 0);
    expect(treated).toBeDefined();
    const u = treated!;
    const withNew = book.eligible(u, point(['sku-old', 'sku-new-pan']));
    expect(withNew.candidates.map((c) => c.offer.offerId).sort()).toEqual(
      campaign!.offers.map((o) => o.offerId).sort(),
    );
    expect(withNew.candidates.every((c) => c.effect.applies)).toBe(true);
    const without = book.eligible(u, point(['sku-old']));
    expect(without.candidates).toEqual([]);
    expect(without.heldOutCampaignIds).toEqual([]);
  });
});
