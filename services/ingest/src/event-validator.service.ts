import { Channel, DeviceType, Event, EventType, RejectReason } from '@offerstream/contracts';
import { CONTROL_CHARS, idProblem, ISO_4217, LONE_SURROGATE } from '@offerstream/events';

/** Limits and windows of validation; defaults follow the Event contract in events.proto. */
export interface ValidationPolicy {
  /** Largest accepted event_time ahead of the ingest clock. */
  readonly maxFutureSkewMs: number;
  /** Oldest accepted event_time behind the ingest clock. */
  readonly maxAgeMs: number;
  /** Largest encoded event. */
  readonly maxEventBytes: number;
  readonly supportedSchemaVersions: ReadonlySet<string>;
}

export const DEFAULT_POLICY: ValidationPolicy = {
  maxFutureSkewMs: 5 * 60_000,
  maxAgeMs: 7 * 24 * 3_600_000,
  maxEventBytes: 16 * 1024,
  supportedSchemaVersions: new Set(['', '1']),
};

export type Verdict =
  | { readonly ok: true; readonly event: Event }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

const MAX_QUERY_BYTES = 512;
const MAX_QUANTITY = 10_000;
const MAX_ATTRIBUTES = 32;
const ATTRIBUTE_KEY = /^[a-z0-9_.]{1,64}$/;
const MAX_ATTRIBUTE_VALUE_BYTES = 256;
// C0/C1 controls, DEL, and the Unicode line/paragraph separators: never part of an id.

/** The numeric values of a generated enum (its reverse-mapping names left out). */
function enumValues(e: Record<string, string | number>, min: number): Set<number> {
  return new Set(Object.values(e).flatMap((v) => (typeof v === 'number' && v >= min ? [v] : [])));
}
const KNOWN_TYPES = enumValues(EventType, 1);
const KNOWN_CHANNELS = enumValues(Channel, 0);
const KNOWN_DEVICES = enumValues(DeviceType, 0);

type IdField =
  | 'eventId'
  | 'shopId'
  | 'userId'
  | 'sessionId'
  | 'itemId'
  | 'categoryId'
  | 'orderId'
  | 'offerId'
  | 'campaignId'
  | 'decisionId';

/** Fields each event type needs, from the EventType docs in events.proto. */
const REQUIRED: Readonly<
  Record<
    number,
    readonly (IdField | 'searchQuery' | 'quantity' | 'priceMinor' | 'currency' | 'discountMinor')[]
  >
> = {
  [EventType.EVENT_TYPE_VIEW]: ['itemId'],
  [EventType.EVENT_TYPE_CLICK]: ['itemId'],
  [EventType.EVENT_TYPE_SEARCH]: ['searchQuery'],
  [EventType.EVENT_TYPE_ADD_TO_CART]: ['itemId', 'quantity'],
  [EventType.EVENT_TYPE_REMOVE_FROM_CART]: ['itemId', 'quantity'],
  [EventType.EVENT_TYPE_PURCHASE]: ['orderId', 'priceMinor', 'currency'],
  [EventType.EVENT_TYPE_REFUND]: ['orderId', 'priceMinor', 'currency'],
  [EventType.EVENT_TYPE_OFFER_IMPRESSION]: ['decisionId', 'offerId', 'campaignId'],
  [EventType.EVENT_TYPE_OFFER_CLICK]: ['decisionId', 'offerId', 'campaignId'],
  [EventType.EVENT_TYPE_OFFER_REDEEM]: [
    'offerId',
    'campaignId',
    'orderId',
    'discountMinor',
    'currency',
  ],
};

const SNAKE: Record<string, string> = {
  eventId: 'event_id',
  shopId: 'shop_id',
  userId: 'user_id',
  sessionId: 'session_id',
  itemId: 'item_id',
  categoryId: 'category_id',
  orderId: 'order_id',
  offerId: 'offer_id',
  campaignId: 'campaign_id',
  decisionId: 'decision_id',
  searchQuery: 'search_query',
  priceMinor: 'price_minor',
  discountMinor: 'discount_minor',
  unitCostMinor: 'unit_cost_minor',
  quantity: 'quantity',
  currency: 'currency',
};

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

class Rejection extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function reject(reason: RejectReason, detail: string): never {
  throw new Rejection(reason, detail);
}

function checkId(field: IdField, value: string, required: boolean): void {
  if (value === '') {
    if (required) reject(RejectReason.REJECT_REASON_MISSING_FIELD, `${SNAKE[field]} is required`);
    return;
  }
  const problem = idProblem(value);
  if (problem) reject(RejectReason.REJECT_REASON_INVALID_ID, `${SNAKE[field]} ${problem}`);
}

/**
 * Validates and normalises one event. Pure: the clock comes in as `now`.
 * Normalisation: currency upper-cased; quantity 0 becomes 1 where the type allows it.
 */
export function validateEvent(
  input: Event,
  now: number,
  policy: ValidationPolicy = DEFAULT_POLICY,
  encodedBytes?: number,
): Verdict {
  try {
    return { ok: true, event: check(input, now, policy, encodedBytes) };
  } catch (e) {
    if (e instanceof Rejection) return { ok: false, reason: e.reason, detail: e.detail };
    throw e;
  }
}

function check(input: Event, now: number, policy: ValidationPolicy, encodedBytes?: number): Event {
  const e: Event = { ...input, attributes: { ...input.attributes } };
  // Amounts first: a non-integer amount cannot even be encoded to measure the size.
  for (const f of ['priceMinor', 'discountMinor', 'unitCostMinor'] as const) {
    const v = e[f];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v))
      reject(
        RejectReason.REJECT_REASON_INVALID_FIELD,
        `${SNAKE[f]} must be a whole number of minor units`,
      );
    if (v < 0) reject(RejectReason.REJECT_REASON_NEGATIVE_AMOUNT, `${SNAKE[f]} is negative (${v})`);
  }
  const size = encodedBytes ?? Event.encode(input).finish().length;
  if (size > policy.maxEventBytes)
    reject(
      RejectReason.REJECT_REASON_TOO_LARGE,
      `event is ${size} bytes; the limit is ${policy.maxEventBytes}`,
    );
  checkId('eventId', e.eventId, true);
  if (!KNOWN_TYPES.has(e.type)) {
    reject(
      RejectReason.REJECT_REASON_INVALID_ENUM,
      e.type === EventType.EVENT_TYPE_UNSPECIFIED
        ? 'type is required'
        : `type ${e.type} is not a known event type`,
    );
  }
  checkId('shopId', e.shopId, true);
  checkId('userId', e.userId, true);
  for (const f of [
    'sessionId',
    'itemId',
    'categoryId',
    'orderId',
    'offerId',
    'campaignId',
    'decisionId',
  ] as const)
    checkId(f, e[f], false);

  const schema = e.schemaVersion ?? '';
  if (!policy.supportedSchemaVersions.has(schema)) {
    reject(
      RejectReason.REJECT_REASON_UNSUPPORTED_SCHEMA_VERSION,
      `schema_version ${JSON.stringify(schema)} is not supported`,
    );
  }

  const t = e.eventTime?.getTime();
  if (t === undefined || !Number.isFinite(t))
    reject(RejectReason.REJECT_REASON_MISSING_FIELD, 'event_time is required');
  if (t > now + policy.maxFutureSkewMs) {
    reject(
      RejectReason.REJECT_REASON_EVENT_TIME_IN_FUTURE,
      `event_time ${new Date(t).toISOString()} is ahead of the ingest clock by more than ${policy.maxFutureSkewMs / 1000} s`,
    );
  }
  if (t < now - policy.maxAgeMs) {
    reject(
      RejectReason.REJECT_REASON_EVENT_TIME_TOO_OLD,
      `event_time ${new Date(t).toISOString()} is older than ${Math.round(policy.maxAgeMs / 3_600_000)} h`,
    );
  }

  if (!Number.isInteger(e.quantity) || e.quantity < 0 || e.quantity > MAX_QUANTITY) {
    reject(
      RejectReason.REJECT_REASON_INVALID_QUANTITY,
      `quantity must be 0..${MAX_QUANTITY} (got ${e.quantity})`,
    );
  }
  const anyMoney = e.priceMinor !== 0 || e.discountMinor !== 0 || (e.unitCostMinor ?? 0) !== 0;
  if (e.currency !== '' || anyMoney) {
    const cur = e.currency.toUpperCase();
    if (cur === '')
      reject(
        RejectReason.REJECT_REASON_INVALID_CURRENCY,
        'currency is required when an amount is set',
      );
    if (!ISO_4217.has(cur))
      reject(
        RejectReason.REJECT_REASON_INVALID_CURRENCY,
        `currency ${JSON.stringify(e.currency.slice(0, 16))} is not an ISO 4217 code`,
      );
    e.currency = cur;
  }
  if (utf8Bytes(e.searchQuery) > MAX_QUERY_BYTES)
    reject(
      RejectReason.REJECT_REASON_INVALID_FIELD,
      `search_query is longer than ${MAX_QUERY_BYTES} bytes`,
    );
  if (
    CONTROL_CHARS.test(e.searchQuery.replace(/[\t\n]/g, ' ')) ||
    LONE_SURROGATE.test(e.searchQuery)
  ) {
    reject(
      RejectReason.REJECT_REASON_INVALID_FIELD,
      'search_query contains control or invalid characters',
    );
  }
  if (e.offerId !== '' && e.campaignId === '')
    reject(
      RejectReason.REJECT_REASON_MISSING_FIELD,
      'campaign_id is required whenever offer_id is set',
    );
  if (!KNOWN_CHANNELS.has(e.channel))
    reject(RejectReason.REJECT_REASON_INVALID_ENUM, `channel ${e.channel} is not known`);
  if (!KNOWN_DEVICES.has(e.device))
    reject(RejectReason.REJECT_REASON_INVALID_ENUM, `device ${e.device} is not known`);

  const attrs = Object.entries(e.attributes);
  if (attrs.length > MAX_ATTRIBUTES)
    reject(
      RejectReason.REJECT_REASON_ATTRIBUTES_TOO_LARGE,
      `${attrs.length} attributes; the limit is ${MAX_ATTRIBUTES}`,
    );
  for (const [k, v] of attrs) {
    if (!ATTRIBUTE_KEY.test(k))
      reject(
        RejectReason.REJECT_REASON_ATTRIBUTES_TOO_LARGE,
        `attribute key ${JSON.stringify(k.slice(0, 80))} must match [a-z0-9_.]{1,64}`,
      );
    if (utf8Bytes(v) > MAX_ATTRIBUTE_VALUE_BYTES || LONE_SURROGATE.test(v)) {
      reject(
        RejectReason.REJECT_REASON_ATTRIBUTES_TOO_LARGE,
        `attribute ${k} value is longer than ${MAX_ATTRIBUTE_VALUE_BYTES} bytes or not valid UTF-8`,
      );
    }
  }

  for (const f of REQUIRED[e.type] ?? []) {
    const v = e[f];
    const missing =
      f === 'quantity'
        ? e.quantity <= 0
        : v === '' ||
          v === undefined ||
          (f === 'priceMinor' && e.type === EventType.EVENT_TYPE_REFUND && v === 0);
    if (missing)
      reject(
        f === 'quantity'
          ? RejectReason.REJECT_REASON_INVALID_QUANTITY
          : RejectReason.REJECT_REASON_MISSING_FIELD,
        `${SNAKE[f]} is required for ${EventType[e.type]}`,
      );
  }
  if (
    e.quantity === 0 &&
    (e.type === EventType.EVENT_TYPE_PURCHASE || e.type === EventType.EVENT_TYPE_REFUND)
  )
    e.quantity = 1;
  return e;
}
