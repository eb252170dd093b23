/**
 * The offerstream market simulator: a seeded e-commerce market with known ground truth
 * (latent uplift types), scenario files, an in-process runner for baseline arms, a
 * generic report, and the trainer's dataset export. Transport-free: phase 2 drives the
 * same {@link Market} through Kafka and gRPC.
 */
export { BehaviourLog, NO_HISTORY, type ObservedUser } from './behaviour-log';
export {
  CampaignBook,
  type Candidate,
  type Eligibility,
  type EligibilityUser,
} from './campaign-book';
export { buildCatalog, type Catalog, type Item } from './catalog';
export {
  DATASET_WINDOW_MS,
  eventRow,
  exportDataset,
  referenceBasket,
  type DatasetOptions,
  type DatasetRow,
  type DatasetSummary,
  type DatasetTable,
} from './dataset';
export {
  Market,
  type DecisionPoint,
  type SessionEnd,
  type SessionOutcome,
  type SessionStart,
  type ShownOffer,
} from './market';
export {
  protoEventType,
  toProtoEvent,
  type MarketEvent,
  type MarketEventType,
} from './market-event';
export {
  BASELINE_ARM,
  compareArms,
  comparisonReport,
  defaultArms,
  type ArmFactory,
  type ArmResult,
  type Comparison,
} from './offline-runner';
export {
  basketMargin,
  basketOf,
  expectedIncrementalProfit,
  GroundTruth,
  offerEffect,
  purchaseProbability,
  typeExpectedIncrementalProfit,
  type Basket,
  type BasketLine,
  type OfferEffect,
  type ShippingTerms,
  type TruthAnswer,
} from './outcome-model';
export {
  BlanketDiscountPolicy,
  NoPromotionPolicy,
  OraclePolicy,
  RandomOfferPolicy,
  RuleBasedPolicy,
  TypeOraclePolicy,
  UniformLoggingPolicy,
} from './policies';
export type { DecisionContext, DecisionOutcome, Policy } from './policy';
export {
  buildPopulation,
  THRESHOLD_RAMP,
  TYPE_PROFILES,
  userIdOf,
  type Population,
  type SimUser,
  type TypeProfile,
  type UserResponse,
} from './population';
export { hash32, Prng, ulid } from './prng.util';
export {
  formatFigure,
  renderHtml,
  renderTable,
  type Figure,
  type MarketReport,
  type ReportArm,
  type ReportChart,
  type ReportColumn,
  type ReportSection,
  type ReportTable,
  type SeriesPoint,
  type ValueFormat,
} from './report';
export {
  attributionWindowMs,
  campaignsAt,
  marketHoldoutGroup,
  DEFAULT_SCENARIO,
  loadScenario,
  parseScenario,
  SCENARIO_DIR,
  ScenarioError,
  scenarioNames,
  USER_TYPES,
  withHistory,
  withOverrides,
  type Scenario,
  type ScenarioFile,
  type ScenarioItem,
  type UserType,
} from './scenario';
export {
  simulate,
  type DecisionRecord,
  type SimulationObserver,
  type SimulationOptions,
  type SimulationResult,
} from './simulation';
export { differenceOfMeans, Moments, proportion, type Interval } from './stats.util';
export { clickhouseDateTime, DAY_MS, HOUR_MS, MINUTE_MS, utcHour } from './time.util';
export * from './live';
