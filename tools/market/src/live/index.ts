/**
 * Phase 2 of the market simulator: the same Market driven through the live services — its
 * behaviour events produced to Kafka, GetOffers asked at the cart page, outcomes (with the
 * decision id) back as events — in compressed real time, side by side with the in-process
 * baseline arms and a Vowpal Wabbit reference, measured against the ground truth.
 */
export { ActionQueue } from './action-queue';
export {
  ArmLedger,
  type ArmFigures,
  type ArmWhere,
  type DecisionFact,
  type LiveArmFacts,
  type SessionFigures,
} from './arm-ledger';
export { EventPublisher } from './event-publisher.adapter';
export { flashStockOf, runInProcessArms } from './in-process-arms';
export {
  cartContext,
  decisionTruthRow,
  LiveArmDriver,
  OfferstreamDecider,
  VwDecider,
  type ArmProgress,
  type DecisionTruthRow,
  type LiveArm,
  type LiveChoice,
  type LiveDecider,
} from './live-arm';
export {
  benchLine,
  bestOfferstreamArm,
  checkTargets,
  marketRunReport,
  maxAbovePlanMinor,
  NO_PROMOTION,
  OFFERSTREAM_PREFIX,
  ORACLE,
  pairedDelta,
  type MarketRun,
  type RunSettings,
  type TargetCheck,
} from './live-comparison';
export {
  armScenario,
  liveCampaigns,
  liveEquivalent,
  liveWindowMs,
  MIN_LIVE_WINDOW_MS,
  type LiveEquivalent,
} from './live-scenario';
export {
  budgetPlan,
  defaultWarmupEnd,
  runLivePhase,
  type LiveArmSpec,
  type LivePhaseOptions,
  type LivePhaseResult,
  type VwSettings,
} from './market-run';
export { OfferstreamClient, type ServiceAddresses } from './offerstream.adapter';
export { TimeWarp } from './time-warp';
export { VwLearner, type VwAction } from './vw.adapter';
