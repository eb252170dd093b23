import { BehaviourLog } from './behaviour-log';
import type { MarketEvent, MarketEventType } from './market-event';

let n = 0;
const ev = (
  type: MarketEventType,
  sessionId: string,
  extra: Partial<MarketEvent> = {},
): MarketEvent => ({
  eventId: `e${n++}`,
  type,
  shopId: 'shop',
  userId: 'u-1',
  sessionId,
  timeMs: n * 1000,
  channel: 'web',
  device: 'mobile',
  ...extra,
});

describe('the behaviour log', () => {
  it('counts a cart as abandoned only once its session ended without an order', () => {
    const log = new BehaviourLog();
    log.record(ev('view', 's1'));
    log.record(ev('add_to_cart', 's1', { priceMinor: 1000, quantity: 1 }));
    expect(log.get('u-1')).toMatchObject({ sessions: 1, cartSessions: 1, abandonedCarts: 0 });
    log.record(ev('add_to_cart', 's2', { priceMinor: 1000, quantity: 1 }));
    log.record(
      ev('purchase', 's2', {
        orderId: 'o1',
        priceMinor: 1000,
        quantity: 1,
        offerId: 'off',
        discountMinor: 100,
      }),
    );
    log.record(ev('view', 's3'));
    expect(log.get('u-1')).toMatchObject({
      sessions: 3,
      cartSessions: 2,
      abandonedCarts: 1,
      orders: 1,
      discountedOrders: 1,
      spendMinor: 900,
    });
  });

  it('hands out snapshots that later events do not change', () => {
    const log = new BehaviourLog();
    log.record(ev('search', 's1', { searchQuery: 'running shoes sale' }));
    const before = log.get('u-1');
    log.record(ev('view', 's1'));
    expect(before).toMatchObject({ searches: 1, dealSearches: 1, views: 0 });
  });
});
