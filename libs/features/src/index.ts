export {
  CURRENT_SPEC_VERSION,
  FeatureSpecError,
  loadFeatureSpec,
  parseFeatureSpec,
  SPEC_DIR,
} from './feature-spec';
export type { FeatureDef, FeatureSpec } from './feature-spec';
export {
  EVENT_TYPES,
  ids,
  Interner,
  ITEM_FIELDS,
  ItemState,
  itemIncrements,
  lineValue,
  OFFER_FIELDS,
  OfferState,
  offerIncrements,
  PRICED,
  USER_COUNT_FIELDS,
  USER_FIELDS,
  UserState,
  userIncrements,
} from './feature-event';
export type { EventTypeName, FeatureEvent, LastSeen, SequenceItem } from './feature-event';
export {
  candidateContext,
  candidateFeatures,
  EMPTY_CONTEXT,
  KNOWN_EVENT_TYPES,
  userFeatures,
  visibleSequence,
} from './feature-vector';
export type {
  CandidateContext,
  CandidateInput,
  CandidateState,
  CatalogOffer,
  ContextInput,
  OfferKind,
} from './feature-vector';
export { HOUR_MS, HourBuckets, hourOf } from './hour-buckets';
export { catalogOffers, toFeatureEvent } from './catalog';
export { encodeRows, fnv1a32, idBucket, MODEL_INPUT_NAMES } from './model-inputs';
export type { EncodedRows, InputPlan, ModelInputName, SequenceInput } from './model-inputs';
