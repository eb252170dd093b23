export { toEventRow } from './event-row';
export type { EventRow } from './event-row';
export { decodeEvent, EVENT_CONTENT_TYPE, toEventMessage } from './event-message';
export { eventsQueries, EventsRepository } from './events.repository';
