import type { Message } from 'kafkajs';
import { Event } from '@offerstream/contracts';

/** Content type header values for event payloads on `offerstream.events.v1`. */
export const EVENT_CONTENT_TYPE = {
  protobuf: 'application/x-protobuf; messageType=offerstream.v1.Event',
  json: 'application/json',
} as const;

/** Frames an event as a Kafka message: key = user id (per-user order), protobuf value. */
export function toEventMessage(e: Event): Message {
  return encodedEventMessage(e, Buffer.from(Event.encode(e).finish()));
}

/**
 * The same with the event's protobuf encoding already in hand (re-encoding what arrived
 * unchanged would cost the pipeline CPU for nothing).
 */
export function encodedEventMessage(e: Event, encoded: Buffer): Message {
  return {
    key: e.userId,
    value: encoded,
    headers: { 'content-type': EVENT_CONTENT_TYPE.protobuf, 'event-id': e.eventId },
  };
}

/** Decodes a protobuf event payload; throws on bytes that are not an Event. */
export function decodeEvent(value: Buffer | null): Event {
  if (!value) throw new Error('empty event payload');
  return Event.decode(value);
}
