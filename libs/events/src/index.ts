export { toEventRow } from './event-row';
export type { EventRow } from './event-row';
export { decodeEvent, EVENT_CONTENT_TYPE, toEventMessage } from './event-message';
export { EventsRepository } from './events.repository';
