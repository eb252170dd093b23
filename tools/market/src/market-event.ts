import { Channel, DeviceType, Event, EventType } from '@offerstream/contracts';

/** Event types, named as ClickHouse stores them (EventType without the prefix, lower case). */
export type MarketEventType =
  | 'view'
  | 'click'
  | 'search'
  | 'add_to_cart'
  | 'remove_from_cart'
  | 'purchase'
  | 'refund'
  | 'offer_impression'
  | 'offer_click'
  | 'offer_redeem';

/**
 * One behaviour event of the simulated market: a plain object that maps 1:1 onto the
 * proto `Event` ({@link toProtoEvent}). Optional fields are undefined when the proto
 * field would be empty.
 */
export interface MarketEvent {
  readonly eventId: string;
  readonly type: MarketEventType;
  readonly shopId: string;
  readonly userId: string;
  readonly sessionId: string;
  /** Simulated epoch ms. */
  readonly timeMs: number;
  readonly itemId?: string;
  readonly categoryId?: string;
  readonly orderId?: string;
  readonly searchQuery?: string;
  readonly offerId?: string;
  readonly campaignId?: string;
  /** The decision that put the offer in front of the user (every offer event carries it). */
  readonly decisionId?: string;
  readonly priceMinor?: number;
  readonly currency?: string;
  readonly quantity?: number;
  readonly discountMinor?: number;
  readonly unitCostMinor?: number;
  readonly channel: 'web' | 'app';
  readonly device: 'desktop' | 'mobile' | 'tablet';
}

const CHANNELS: Record<MarketEvent['channel'], Channel> = {
  web: Channel.CHANNEL_WEB,
  app: Channel.CHANNEL_APP,
};
const DEVICES: Record<MarketEvent['device'], DeviceType> = {
  desktop: DeviceType.DEVICE_TYPE_DESKTOP,
  mobile: DeviceType.DEVICE_TYPE_MOBILE,
  tablet: DeviceType.DEVICE_TYPE_TABLET,
};

/** The proto EventType of a market event type. */
export function protoEventType(t: MarketEventType): EventType {
  return EventType[`EVENT_TYPE_${t.toUpperCase()}` as keyof typeof EventType];
}

/** The proto `Event` of a market event, ready for Kafka or IngestService. */
export function toProtoEvent(e: MarketEvent): Event {
  return Event.fromPartial({
    eventId: e.eventId,
    type: protoEventType(e.type),
    shopId: e.shopId,
    userId: e.userId,
    sessionId: e.sessionId,
    eventTime: new Date(e.timeMs),
    itemId: e.itemId,
    categoryId: e.categoryId,
    orderId: e.orderId,
    searchQuery: e.searchQuery,
    offerId: e.offerId,
    campaignId: e.campaignId,
    decisionId: e.decisionId,
    priceMinor: e.priceMinor,
    currency: e.currency,
    quantity: e.quantity,
    discountMinor: e.discountMinor,
    unitCostMinor: e.unitCostMinor,
    channel: CHANNELS[e.channel],
    device: DEVICES[e.device],
  });
}
