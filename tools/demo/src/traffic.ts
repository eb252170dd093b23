import { randomUUID } from 'node:crypto';
import { Channel, DeviceType, Event, EventType } from '@offerstream/contracts';

/** A deterministic pseudo-random source (mulberry32), so a seed replays the same traffic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Smoke traffic: sessions of browsing users, where views lead to clicks, carts and
 * sometimes purchases. Stands in for the market simulator until it lands.
 */
export function* smokeEvents(opts: {
  shopId: string;
  users: number;
  events: number;
  seed: number;
  now: Date;
}): Generator<Event> {
  const rand = rng(opts.seed);
  const categories = ['shoes', 'bags', 'electronics', 'books', 'garden'];
  let emitted = 0;
  while (emitted < opts.events) {
    const userId = `user-${Math.floor(rand() * opts.users)}`;
    const sessionId = randomUUID();
    const steps = 1 + Math.floor(rand() * 8);
    for (let s = 0; s < steps && emitted < opts.events; s++) {
      const itemNo = Math.floor(rand() * 500);
      const category = categories[itemNo % categories.length]!;
      const price = 500 + (itemNo % 50) * 250;
      const r = rand();
      const type =
        r < 0.6
          ? EventType.EVENT_TYPE_VIEW
          : r < 0.8
            ? EventType.EVENT_TYPE_CLICK
            : r < 0.9
              ? EventType.EVENT_TYPE_ADD_TO_CART
              : r < 0.93
                ? EventType.EVENT_TYPE_REMOVE_FROM_CART
                : r < 0.97
                  ? EventType.EVENT_TYPE_SEARCH
                  : EventType.EVENT_TYPE_PURCHASE;
      const purchase = type === EventType.EVENT_TYPE_PURCHASE;
      emitted++;
      yield Event.fromPartial({
        eventId: randomUUID(),
        type,
        shopId: opts.shopId,
        userId,
        sessionId,
        itemId: `sku-${itemNo}`,
        categoryId: category,
        ...(type === EventType.EVENT_TYPE_SEARCH ? { searchQuery: category } : {}),
        ...(purchase ||
        type === EventType.EVENT_TYPE_ADD_TO_CART ||
        type === EventType.EVENT_TYPE_REMOVE_FROM_CART
          ? { priceMinor: price, currency: 'EUR', quantity: 1 + Math.floor(rand() * 2) }
          : {}),
        ...(purchase ? { orderId: randomUUID(), unitCostMinor: Math.round(price * 0.6) } : {}),
        channel: rand() < 0.7 ? Channel.CHANNEL_WEB : Channel.CHANNEL_APP,
        device: rand() < 0.6 ? DeviceType.DEVICE_TYPE_MOBILE : DeviceType.DEVICE_TYPE_DESKTOP,
        eventTime: new Date(opts.now.getTime() - Math.floor(rand() * 3600_000)),
      });
    }
  }
}
