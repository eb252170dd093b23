import {
  attribute,
  rewardChanged,
  rewardIdOf,
  type DueSlot,
  type OutcomeEvent,
} from './attribution';

const MIN = 60_000;

function slot(over: Partial<DueSlot> = {}): DueSlot {
  return {
    decisionId: 'd1',
    shopId: 's',
    userId: 'u',
    servedAtMs: 0,
    offerId: 'o10',
    campaignId: 'c',
    rank: 1,
    holdout: false,
    propensity: 0.5,
    policy: 'thompson_beta',
    segment: 'new/low',
    policyFeatures: [],
    windowMs: 60 * MIN,
    marginRate: 0.3,
    objective: 'incremental_profit',
    currency: 'EUR',
    deferred: false,
    activationDeadlineMs: 0,
    kafkaPartition: 0,
    ...over,
  };
}

let n = 0;
function ev(
  type: OutcomeEvent['type'],
  timeMs: number,
  over: Partial<OutcomeEvent> = {},
): OutcomeEvent {
  return {
    eventId: `e${n++}`,
    type,
    timeMs,
    decisionId: '',
    offerId: '',
    orderId: '',
    priceMinor: 0,
    quantity: 1,
    discountMinor: 0,
    unitCostMinor: null,
    ...over,
  };
}

const served = new Map([['d1', 0]]);

describe('attribute', () => {
  it('credits a purchase in the window with margin minus the discount the offer gave', () => {
    const events = [
      ev('offer_click', 1 * MIN, { decisionId: 'd1', offerId: 'o10' }),
      ev('purchase', 5 * MIN, {
        orderId: 'o-1',
        priceMinor: 10_000,
        offerId: 'o10',
        discountMinor: 1000,
      }),
      ev('offer_redeem', 5 * MIN, {
        decisionId: 'd1',
        offerId: 'o10',
        orderId: 'o-1',
        discountMinor: 1000,
      }),
    ];
    const r = attribute(slot(), events, served)!;
    expect(r.clicked).toBe(true);
    expect(r.purchased).toBe(true);
    expect(r.redeemed).toBe(true);
    expect(r.revenueMinor).toBe(9000);
    expect(r.marginMinor).toBe(3000);
    expect(r.discountCostMinor).toBe(1000);
    expect(r.incrementalProfitMinor).toBe(2000);
    expect(r.rewardValue).toBe(2000);
    expect(r.orderIds).toEqual(['o-1']);
  });

  it('gives the default reward when the purchase comes after the window', () => {
    const r = attribute(
      slot(),
      [ev('purchase', 61 * MIN, { priceMinor: 5000, orderId: 'x' })],
      served,
    )!;
    expect(r.purchased).toBe(false);
    expect(r.incrementalProfitMinor).toBe(0);
    expect(r.windowEndMs).toBe(60 * MIN);
  });

  it('credits a purchase without a decision id to the user’s latest decision only (last touch)', () => {
    const two = new Map([
      ['d1', 0],
      ['d2', 10 * MIN],
    ]);
    const buy = ev('purchase', 20 * MIN, { priceMinor: 5000, orderId: 'x' });
    expect(attribute(slot(), [buy], two)!.purchased).toBe(false);
    expect(attribute(slot({ decisionId: 'd2', servedAtMs: 10 * MIN }), [buy], two)!.purchased).toBe(
      true,
    );
  });

  it('takes refunded revenue and margin back, and a full refund is no conversion', () => {
    const events = [
      ev('purchase', 5 * MIN, { orderId: 'o-1', priceMinor: 10_000, unitCostMinor: 6000 }),
      ev('refund', 300 * MIN, { orderId: 'o-1', priceMinor: 10_000, unitCostMinor: 6000 }),
    ];
    const r = attribute(slot({ offerId: '', rank: 0, holdout: true }), events, served)!;
    expect(r.purchased).toBe(false);
    expect(r.revenueMinor).toBe(0);
    expect(r.marginMinor).toBe(0);
  });

  it('uses unit costs when the events carry them', () => {
    const events = [
      ev('purchase', 1 * MIN, { orderId: 'o', priceMinor: 2000, quantity: 3, unitCostMinor: 1500 }),
    ];
    const r = attribute(slot({ offerId: '', rank: 0 }), events, served)!;
    expect(r.marginMinor).toBe(1500);
    expect(r.revenueMinor).toBe(6000);
  });

  it('opens a deferred decision’s window at its impression, and a lapsed one earns nothing', () => {
    const s = slot({ deferred: true, activationDeadlineMs: 15 * MIN });
    const buy = ev('purchase', 70 * MIN, { priceMinor: 5000, orderId: 'x', decisionId: 'd1' });
    const seen = ev('offer_impression', 14 * MIN, { decisionId: 'd1', offerId: 'o10' });
    const r = attribute(s, [seen, buy], served)!;
    expect(r.windowEndMs).toBe(74 * MIN);
    expect(r.purchased).toBe(true);
    const late = ev('offer_impression', 16 * MIN, { decisionId: 'd1', offerId: 'o10' });
    expect(attribute(s, [late, buy], served)).toBeUndefined();
  });

  it('scores a conversions objective as 0/1', () => {
    const r = attribute(
      slot({ objective: 'conversions' }),
      [ev('purchase', MIN, { priceMinor: 99, orderId: 'q' })],
      served,
    )!;
    expect(r.rewardValue).toBe(1);
  });

  it('names rewards per slot and per control campaign', () => {
    expect(rewardIdOf({ decisionId: 'd', rank: 2, campaignId: 'c' })).toBe('d:2');
    expect(rewardIdOf({ decisionId: 'd', rank: 0, campaignId: 'c' })).toBe('d:0:c');
  });

  it('notices a revision that changes what is learned', () => {
    const a = attribute(slot(), [ev('purchase', MIN, { priceMinor: 10, orderId: 'q' })], served)!;
    const b = attribute(slot(), [], served)!;
    expect(rewardChanged(a, b)).toBe(true);
    expect(rewardChanged(a, a)).toBe(false);
  });
});
