import { EventType } from '@offerstream/contracts';
import { eventFromJson, JsonEventError } from './event-json.decoder';
import { decodeIncoming } from './incoming-event.decoder';
import { RejectReason } from '@offerstream/contracts';

describe('eventFromJson', () => {
  it('reads proto JSON (camelCase or snake_case, enum names, int64 as strings)', () => {
    const e = eventFromJson({
      event_id: 'e1',
      type: 'PURCHASE',
      shopId: 's',
      userId: 'u',
      orderId: 'o',
      price_minor: '1999',
      currency: 'EUR',
      quantity: 2,
      eventTime: '2026-11-23T10:00:00.250Z',
      channel: 'CHANNEL_WEB',
      attributes: { brand: 'acme' },
    });
    expect(e).toMatchObject({
      eventId: 'e1',
      type: EventType.EVENT_TYPE_PURCHASE,
      priceMinor: 1999,
      quantity: 2,
      attributes: { brand: 'acme' },
    });
    expect(e.eventTime?.toISOString()).toBe('2026-11-23T10:00:00.250Z');
  });

  it.each([
    [{ eventId: 5 }, /eventId: expected a string/],
    [{ priceMinor: 1.5 }, /priceMinor: expected a whole number/],
    [{ priceMinor: 'NaN' }, /priceMinor: expected a whole number/],
    [{ quantity: 2 ** 40 }, /out of int32 range/],
    [{ type: 'TELEPORT' }, /type: unknown value/],
    [{ eventTime: 1700000000 }, /RFC 3339/],
    [{ attributes: { a: { deep: 1 } } }, /attributes.a: expected a string/],
    [{ surprise: true }, /unknown field "surprise"/],
    [[1, 2], /must be a JSON object/],
  ])('refuses %j', (input, message) => {
    expect(() => eventFromJson(input)).toThrow(JsonEventError);
    expect(() => eventFromJson(input)).toThrow(message);
  });
});

describe('decodeIncoming', () => {
  it('turns unreadable payloads into MALFORMED or TOO_LARGE verdicts instead of throwing', () => {
    expect(decodeIncoming(Buffer.from([0x0a, 0xff, 0xff, 0xff]), undefined, 16384)).toMatchObject({
      ok: false,
      reason: RejectReason.REJECT_REASON_MALFORMED,
    });
    expect(decodeIncoming(Buffer.from('{"eventId": '), 'application/json', 16384)).toMatchObject({
      ok: false,
      reason: RejectReason.REJECT_REASON_MALFORMED,
    });
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(decodeIncoming(Buffer.from(deep), 'application/json', 1_000_000)).toMatchObject({
      ok: false,
      reason: RejectReason.REJECT_REASON_MALFORMED,
    });
    expect(decodeIncoming(Buffer.alloc(20_000, 1), undefined, 16384)).toMatchObject({
      ok: false,
      reason: RejectReason.REJECT_REASON_TOO_LARGE,
    });
    expect(decodeIncoming(null, undefined, 16384)).toMatchObject({
      ok: false,
      reason: RejectReason.REJECT_REASON_MALFORMED,
    });
  });
});
