import { Channel, DeviceType, type Event, EventType } from '@offerstream/contracts';

/** One row of the ClickHouse `events` table (migration 0001). */
export interface EventRow {
  event_id: string;
  event_type: string;
  shop_id: string;
  user_id: string;
  session_id: string;
  /** Epoch seconds (UTC). */
  event_time: number;
  event_time_ms: number;
  item_id: string;
  category_id: string;
  order_id: string;
  search_query: string;
  offer_id: string;
  campaign_id: string;
  decision_id: string;
  price_minor: number;
  currency: string;
  quantity: number;
  discount_minor: number;
  unit_cost_minor: number | null;
  channel: string;
  device: string;
  attribute_keys: string[];
  attribute_values: string[];
  ingested_at: number;
}

/** Every column of `EventRow`, in the order inserts send them. */
export const EVENT_COLUMNS = [
  'event_id',
  'event_type',
  'shop_id',
  'user_id',
  'session_id',
  'event_time',
  'event_time_ms',
  'item_id',
  'category_id',
  'order_id',
  'search_query',
  'offer_id',
  'campaign_id',
  'decision_id',
  'price_minor',
  'currency',
  'quantity',
  'discount_minor',
  'unit_cost_minor',
  'channel',
  'device',
  'attribute_keys',
  'attribute_values',
  'ingested_at',
] as const satisfies readonly (keyof EventRow)[];
// A column added to EventRow but not to the list fails to compile here.
const _allColumns: Record<Exclude<keyof EventRow, (typeof EVENT_COLUMNS)[number]>, never> = {};

function enumName(e: Record<string, string | number>, v: number, prefix: string): string {
  const name = e[v];
  return typeof name === 'string' ? name.replace(prefix, '').toLowerCase() : 'unknown';
}

/** Maps a decoded Event to its row; `ingestedAt` orders duplicates (the newest wins). */
export function toEventRow(e: Event, ingestedAt: Date): EventRow {
  const ms = e.eventTime?.getTime() ?? 0;
  const keys = Object.keys(e.attributes).sort();
  return {
    event_id: e.eventId,
    event_type: enumName(EventType, e.type, 'EVENT_TYPE_'),
    shop_id: e.shopId,
    user_id: e.userId,
    session_id: e.sessionId,
    event_time: Math.floor(ms / 1000),
    event_time_ms: ms,
    item_id: e.itemId,
    category_id: e.categoryId,
    order_id: e.orderId,
    search_query: e.searchQuery,
    offer_id: e.offerId,
    campaign_id: e.campaignId,
    decision_id: e.decisionId,
    price_minor: e.priceMinor,
    currency: e.currency,
    quantity: e.quantity,
    discount_minor: e.discountMinor,
    unit_cost_minor: e.unitCostMinor ?? null,
    channel: enumName(Channel, e.channel, 'CHANNEL_'),
    device: enumName(DeviceType, e.device, 'DEVICE_TYPE_'),
    attribute_keys: keys,
    attribute_values: keys.map((k) => e.attributes[k] ?? ''),
    ingested_at: Math.floor(ingestedAt.getTime() / 1000),
  };
}
