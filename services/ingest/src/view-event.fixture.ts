import { Event, EventType } from '@offerstream/contracts';

/** A valid VIEW event one second before `now`, for unit tests (not built into dist). */
export function viewEvent(now: number, over: Partial<Event> = {}): Event {
  return Event.fromPartial({
    eventId: 'e-1',
    type: EventType.EVENT_TYPE_VIEW,
    shopId: 's',
    userId: 'u',
    itemId: 'i',
    eventTime: new Date(now - 1000),
    ...over,
  });
}
