import { Channel, DeviceType, Event, EventType } from '@offerstream/contracts';
import { decodeEvent, toEventMessage, toEventRow } from './index';

const purchase = Event.fromPartial({
  eventId: 'e-1',
  type: EventType.EVENT_TYPE_PURCHASE,
  shopId: 'shop-1',
  userId: 'u-1',
  itemId: 'i-1',
  priceMinor: 1999,
  currency: 'EUR',
  quantity: 2,
  channel: Channel.CHANNEL_WEB,
  device: DeviceType.DEVICE_TYPE_MOBILE,
  eventTime: new Date(Date.UTC(2026, 10, 23, 12, 0, 0, 250)),
  attributes: { b: '2', a: '1' },
});

describe('event framing', () => {
  it('keys by user id and round-trips through protobuf', () => {
    const m = toEventMessage(purchase);
    expect(m.key).toBe('u-1');
    expect(decodeEvent(m.value as Buffer)).toEqual(purchase);
  });

  it('rejects an empty payload', () => {
    expect(() => decodeEvent(null)).toThrow(/empty/);
  });
});

describe('toEventRow', () => {
  it('flattens enums, time and attributes into the events table row', () => {
    const row = toEventRow(purchase, new Date(Date.UTC(2026, 10, 23, 12, 0, 5)));
    expect(row).toMatchObject({
      event_id: 'e-1',
      event_type: 'purchase',
      channel: 'web',
      device: 'mobile',
      event_time: Date.UTC(2026, 10, 23, 12, 0, 0) / 1000,
      event_time_ms: Date.UTC(2026, 10, 23, 12, 0, 0, 250),
      attribute_keys: ['a', 'b'],
      attribute_values: ['1', '2'],
      unit_cost_minor: null,
    });
  });
});
