import { Channel, DeviceType, Event, EventType } from '@offerstream/contracts';

/** A JSON event that cannot become an Event; `field` names the culprit when there is one. */
export class JsonEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonEventError';
  }
}

type Kind =
  'string' | 'int64' | 'int32' | 'timestamp' | 'type' | 'channel' | 'device' | 'attributes';

/** Event fields in their proto JSON names (lowerCamel) with the original snake_case accepted too. */
const FIELDS: Record<string, { key: keyof Event; kind: Kind }> = {};
const add = (camel: keyof Event, snake: string, kind: Kind) => {
  FIELDS[camel] = { key: camel, kind };
  FIELDS[snake] = { key: camel, kind };
};
add('eventId', 'event_id', 'string');
add('type', 'type', 'type');
add('shopId', 'shop_id', 'string');
add('userId', 'user_id', 'string');
add('sessionId', 'session_id', 'string');
add('eventTime', 'event_time', 'timestamp');
add('sentTime', 'sent_time', 'timestamp');
add('itemId', 'item_id', 'string');
add('categoryId', 'category_id', 'string');
add('orderId', 'order_id', 'string');
add('searchQuery', 'search_query', 'string');
add('offerId', 'offer_id', 'string');
add('campaignId', 'campaign_id', 'string');
add('decisionId', 'decision_id', 'string');
add('priceMinor', 'price_minor', 'int64');
add('currency', 'currency', 'string');
add('quantity', 'quantity', 'int32');
add('discountMinor', 'discount_minor', 'int64');
add('unitCostMinor', 'unit_cost_minor', 'int64');
add('channel', 'channel', 'channel');
add('device', 'device', 'device');
add('attributes', 'attributes', 'attributes');
add('schemaVersion', 'schema_version', 'string');

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function enumValue<E extends Record<string, string | number>>(
  e: E,
  prefix: string,
  v: unknown,
  field: string,
): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const name = v.toUpperCase().startsWith(prefix) ? v.toUpperCase() : prefix + v.toUpperCase();
    const n = e[name];
    if (typeof n === 'number') return n;
    throw new JsonEventError(`${field}: unknown value ${JSON.stringify(v.slice(0, 40))}`);
  }
  throw new JsonEventError(`${field}: expected an enum name or number`);
}

function int(v: unknown, field: string, bits: 32 | 64): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n))
    throw new JsonEventError(`${field}: expected a whole number`);
  if (bits === 32 && (n < -(2 ** 31) || n >= 2 ** 31))
    throw new JsonEventError(`${field}: out of int32 range`);
  return n;
}

/**
 * Turns one parsed JSON value into an Event, strictly: unknown fields, wrong types and
 * non-integer amounts are errors (the proto JSON mapping's rules, without its leniency).
 */
export function eventFromJson(value: unknown): Event {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JsonEventError('an event must be a JSON object');
  const out = Event.fromPartial({});
  const writable = out as unknown as Record<string, unknown>;
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const f = FIELDS[name];
    if (!f) throw new JsonEventError(`unknown field ${JSON.stringify(name.slice(0, 64))}`);
    if (raw === null) continue;
    switch (f.kind) {
      case 'string':
        if (typeof raw !== 'string') throw new JsonEventError(`${name}: expected a string`);
        writable[f.key] = raw;
        break;
      case 'int64':
        writable[f.key] = int(raw, name, 64);
        break;
      case 'int32':
        writable[f.key] = int(raw, name, 32);
        break;
      case 'timestamp': {
        if (typeof raw !== 'string' || !RFC3339.test(raw))
          throw new JsonEventError(`${name}: expected an RFC 3339 timestamp`);
        const d = new Date(raw);
        if (!Number.isFinite(d.getTime())) throw new JsonEventError(`${name}: not a valid time`);
        writable[f.key] = d;
        break;
      }
      case 'type':
        out.type = enumValue(EventType, 'EVENT_TYPE_', raw, name);
        break;
      case 'channel':
        out.channel = enumValue(Channel, 'CHANNEL_', raw, name);
        break;
      case 'device':
        out.device = enumValue(DeviceType, 'DEVICE_TYPE_', raw, name);
        break;
      case 'attributes': {
        if (typeof raw !== 'object' || Array.isArray(raw))
          throw new JsonEventError(`${name}: expected an object of strings`);
        for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
          if (typeof v !== 'string')
            throw new JsonEventError(`${name}.${k.slice(0, 64)}: expected a string`);
          out.attributes[k] = v;
        }
        break;
      }
      default: {
        const never: never = f.kind;
        throw new Error(`unhandled ${String(never)}`);
      }
    }
  }
  return out;
}
