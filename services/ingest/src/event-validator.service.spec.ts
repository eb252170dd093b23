import { type Channel, Event, EventType, RejectReason } from '@offerstream/contracts';
import { validateEvent } from './event-validator.service';
import { viewEvent } from './view-event.fixture';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const view = (over: Partial<Event> = {}) => viewEvent(NOW, over);
const reasonOf = (e: Event) => {
  const v = validateEvent(e, NOW);
  return v.ok ? 'ok' : RejectReason[v.reason];
};

describe('validateEvent', () => {
  it('accepts a well-formed event and normalises it', () => {
    const v = validateEvent(
      Event.fromPartial({
        eventId: 'p',
        type: EventType.EVENT_TYPE_PURCHASE,
        shopId: 's',
        userId: 'u',
        orderId: 'o',
        priceMinor: 100,
        currency: 'eur',
        eventTime: new Date(NOW),
      }),
      NOW,
    );
    expect(v.ok && v.event).toMatchObject({ currency: 'EUR', quantity: 1 });
  });

  it('requires the fields each type needs', () => {
    expect(reasonOf(view({ itemId: '' }))).toBe('REJECT_REASON_MISSING_FIELD');
    expect(reasonOf(view({ type: EventType.EVENT_TYPE_PURCHASE, itemId: 'i' }))).toBe(
      'REJECT_REASON_MISSING_FIELD',
    );
    expect(
      reasonOf(
        view({ type: EventType.EVENT_TYPE_OFFER_IMPRESSION, offerId: 'o', campaignId: 'c' }),
      ),
    ).toBe('REJECT_REASON_MISSING_FIELD');
    expect(reasonOf(view({ type: EventType.EVENT_TYPE_ADD_TO_CART, quantity: 0 }))).toBe(
      'REJECT_REASON_INVALID_QUANTITY',
    );
    expect(reasonOf(view({ type: EventType.EVENT_TYPE_SEARCH, searchQuery: '' }))).toBe(
      'REJECT_REASON_MISSING_FIELD',
    );
    expect(reasonOf(view({ offerId: 'o' }))).toBe('REJECT_REASON_MISSING_FIELD');
    expect(reasonOf(view({ eventTime: undefined }))).toBe('REJECT_REASON_MISSING_FIELD');
  });

  it('rejects unknown enum values', () => {
    expect(reasonOf(view({ type: 0 }))).toBe('REJECT_REASON_INVALID_ENUM');
    expect(reasonOf(view({ type: 99 as EventType }))).toBe('REJECT_REASON_INVALID_ENUM');
    expect(reasonOf(view({ channel: 42 as Channel }))).toBe('REJECT_REASON_INVALID_ENUM');
  });

  it('rejects ids with quotes and SQL only when they break the id rules', () => {
    expect(reasonOf(view({ userId: "o'brien; DROP TABLE events" }))).toBe('ok'); // printable: stored as data
    expect(reasonOf(view({ userId: 'a\u0000b' }))).toBe('REJECT_REASON_INVALID_ID');
    expect(reasonOf(view({ userId: 'line\nbreak' }))).toBe('REJECT_REASON_INVALID_ID');
    expect(reasonOf(view({ userId: 'ü'.repeat(5000) }))).toBe('REJECT_REASON_INVALID_ID');
    expect(reasonOf(view({ userId: ' padded' }))).toBe('REJECT_REASON_INVALID_ID');
    expect(reasonOf(view({ eventId: '' }))).toBe('REJECT_REASON_MISSING_FIELD');
  });

  it('rejects timestamps far in the future or the past (2099, 1970)', () => {
    expect(reasonOf(view({ eventTime: new Date(Date.UTC(2099, 0, 1)) }))).toBe(
      'REJECT_REASON_EVENT_TIME_IN_FUTURE',
    );
    expect(reasonOf(view({ eventTime: new Date(0) }))).toBe('REJECT_REASON_EVENT_TIME_TOO_OLD');
    expect(reasonOf(view({ eventTime: new Date(NOW + 4 * 60_000) }))).toBe('ok');
  });

  it('rejects negative money, bad currencies and absurd quantities', () => {
    const purchase = (o: Partial<Event>) =>
      view({
        type: EventType.EVENT_TYPE_PURCHASE,
        orderId: 'o',
        priceMinor: 100,
        currency: 'EUR',
        ...o,
      });
    expect(reasonOf(purchase({ priceMinor: -1 }))).toBe('REJECT_REASON_NEGATIVE_AMOUNT');
    expect(reasonOf(purchase({ discountMinor: -5 }))).toBe('REJECT_REASON_NEGATIVE_AMOUNT');
    expect(reasonOf(purchase({ currency: 'XYZ' }))).toBe('REJECT_REASON_INVALID_CURRENCY');
    expect(reasonOf(purchase({ currency: '' }))).toBe('REJECT_REASON_INVALID_CURRENCY');
    expect(reasonOf(purchase({ quantity: 10_001 }))).toBe('REJECT_REASON_INVALID_QUANTITY');
    expect(reasonOf(purchase({ quantity: -1 }))).toBe('REJECT_REASON_INVALID_QUANTITY');
    expect(reasonOf(purchase({ priceMinor: Number.NaN }))).toBe('REJECT_REASON_INVALID_FIELD');
  });

  it('enforces the size and attribute limits', () => {
    expect(
      reasonOf(
        view({
          attributes: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])),
        }),
      ),
    ).toBe('REJECT_REASON_ATTRIBUTES_TOO_LARGE');
    expect(reasonOf(view({ attributes: { 'Bad Key': 'v' } }))).toBe(
      'REJECT_REASON_ATTRIBUTES_TOO_LARGE',
    );
    expect(reasonOf(view({ attributes: { k: 'x'.repeat(257) } }))).toBe(
      'REJECT_REASON_ATTRIBUTES_TOO_LARGE',
    );
    expect(validateEvent(view(), NOW, undefined, 20_000)).toMatchObject({
      ok: false,
      reason: RejectReason.REJECT_REASON_TOO_LARGE,
    });
  });

  it('rejects unsupported schema versions', () => {
    expect(reasonOf(view({ schemaVersion: '99' }))).toBe(
      'REJECT_REASON_UNSUPPORTED_SCHEMA_VERSION',
    );
    expect(reasonOf(view({ schemaVersion: '1' }))).toBe('ok');
  });
});
