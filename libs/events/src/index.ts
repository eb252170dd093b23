export { EVENT_COLUMNS, toEventRow } from './event-row';
export type { EventRow } from './event-row';
export {
  decodeEvent,
  encodedEventMessage,
  EVENT_CONTENT_TYPE,
  toEventMessage,
} from './event-message';
export { eventsQueries, EventsRepository } from './events.repository';
export {
  aggregatesQueries,
  USER_HOURLY_SUMS,
  AggregatesRepository,
  eventKey,
  type EventKey,
  type ItemHour,
  type OfferHour,
  type OfferUsers,
  type UserHour,
} from './aggregates.repository';
export { RecentIds } from './recent-ids';
export { CONTROL_CHARS, idProblem, LONE_SURROGATE, MAX_ID_BYTES } from './id-rules';
export { ISO_4217 } from './currencies';
export { UNSCORED_CANDIDATE_COLUMNS } from './decision-candidate-row';
