import {
  DecisionReason,
  DegradedReason,
  PolicyType,
  PropensityMethod,
  type BudgetReservation,
  type Campaign,
  type CandidateScore,
  type Decision,
  type DecisionCampaign,
  type DecisionCandidate,
  type DecisionSlot,
  type FeatureSet,
  type GetOffersRequest,
  type GetOffersResponse,
  type OfferSlot,
  type ScoreResponse,
} from '@offerstream/contracts';
import {
  campaignKey,
  localTime,
  type CampaignCatalog,
  type CatalogEntry,
} from '@offerstream/campaigns';
import type { FeatureSpec } from '@offerstream/features';
import { attributionWindowMs, marginRate } from '../campaigns/campaign-validator';
import { budgetDay, isBudgeted, type LedgerService } from '../ledger/ledger.service';
import type { PosteriorStore } from '../learning/posterior-store.service';
import type { PacingService } from '../learning/pacing.service';
import type {
  CampaignArms,
  ChosenSlot,
  PolicyArm,
  PolicyKind,
  PropensityMethod as Method,
} from '../policy/policy.types';
import { configuredParam } from '../policy/campaign-policy';
import { seededRng } from '../policy/rng';
import { decideSlate } from '../policy/slate';
import type { ApprenticeService } from './apprentice.service';
import type { DeferredDecisions, DeferredSlot } from './deferred-decisions';
import {
  capped,
  needsProfile,
  preselect,
  profileAllows,
  profileWithTraits,
  type Candidate,
} from './eligibility';
import type { FrequencyCaps } from './frequency-caps';
import type { PastImpression } from './impressions.repository';
import type { DecisionEnv } from './ids.adapter';
import {
  economics,
  expectedCost,
  FeatureReader,
  modelValue,
  objectiveOf,
  type OfferEconomics,
} from './offer-economics';
import { POLICY_CONTEXT_VERSION, policyContext } from './policy-context';

/** GetFeatures, bounded by a timeout (the adapter maps it to a gRPC deadline). */
export interface FeaturePort {
  getFeatures(
    req: {
      shopId: string;
      userId: string;
      sessionId: string;
      context: GetOffersRequest['context'];
      candidates: { offerId: string; campaignId: string; itemId: string; categoryId: string }[];
      /** How many of the user's last events to return (the spec's default when absent). */
      sequenceLength?: number;
    },
    timeoutMs: number,
  ): Promise<FeatureSet>;
}

/** ScoringService.Score, bounded by a timeout; undefined port = no scorer configured. */
export interface ScoringPort {
  score(modelName: string, features: FeatureSet, timeoutMs: number): Promise<ScoreResponse>;
}

/** A user's past impressions (frequency caps after a restart or on another replica). */
export interface ImpressionsPort {
  shown(shopId: string, userId: string, fromMs: number): Promise<PastImpression[]>;
}

/** Publishes a decision to the decision log; false when it could only be buffered. */
export interface DecisionLogPort {
  publish(d: Decision): boolean;
}

export interface DecisionMetrics {
  decided(outcome: 'offers' | 'empty' | 'holdout', degraded: readonly DegradedReason[]): void;
  stage(stage: 'features' | 'scoring' | 'policy', ms: number): void;
}

export interface DecisionSettings {
  readonly instanceId: string;
  readonly version: string;
  readonly modelName: string;
  /** Whether a user vector flagged stale is scored (BANDIT_SCORE_STALE_FEATURES). */
  readonly scoreStaleFeatures: boolean;
  /**
   * Whether a decision that only holds the user out (no candidates) fetches the user's
   * features for the decision log (BANDIT_HOLDOUT_FEATURES): the control rows of training.
   */
  readonly holdoutFeatures: boolean;
  readonly featureShare: number;
  readonly answerMarginMs: number;
  readonly maxCandidates: number;
  readonly propensitySamples: number;
  /** How long a deferred decision waits for its impression. */
  readonly activationWindowMs: number;
  /** How long a shown offer may be redeemed (capped by its attribution window). */
  readonly offerTtlMs: number;
  /** How long after an offer expires its redemptions are looked up (events being stored). */
  readonly redeemGraceMs: number;
}

export interface DecisionDeps {
  readonly catalog: CampaignCatalog;
  readonly spec: FeatureSpec;
  readonly features: FeaturePort;
  readonly scoring: ScoringPort | undefined;
  readonly ledger: LedgerService;
  readonly posteriors: PosteriorStore;
  readonly pacing: PacingService;
  readonly deferred: DeferredDecisions;
  readonly apprentice: ApprenticeService;
  readonly caps: FrequencyCaps;
  readonly impressions: ImpressionsPort;
  readonly log: DecisionLogPort;
  readonly env: DecisionEnv;
  readonly metrics: DecisionMetrics;
  readonly settings: DecisionSettings;
  /** Load shedding (BANDIT_SHED_LAG_MS): a shed call skips features and scoring. */
  readonly shedder?: { shed(): boolean };
}

const POLICY_OF: Record<number, PolicyKind> = {
  [PolicyType.POLICY_TYPE_UNSPECIFIED]: 'thompson_beta',
  [PolicyType.POLICY_TYPE_THOMPSON_BETA]: 'thompson_beta',
  [PolicyType.POLICY_TYPE_LINEAR_THOMPSON]: 'linear_thompson',
  [PolicyType.POLICY_TYPE_LIN_UCB]: 'lin_ucb',
  [PolicyType.POLICY_TYPE_EPSILON_GREEDY]: 'epsilon_greedy',
  [PolicyType.POLICY_TYPE_SQUARE_CB]: 'square_cb',
  [PolicyType.POLICY_TYPE_FIXED_RULE]: 'fixed_rule',
};
const TYPE_OF: Record<PolicyKind, PolicyType> = {
  thompson_beta: PolicyType.POLICY_TYPE_THOMPSON_BETA,
  linear_thompson: PolicyType.POLICY_TYPE_LINEAR_THOMPSON,
  lin_ucb: PolicyType.POLICY_TYPE_LIN_UCB,
  epsilon_greedy: PolicyType.POLICY_TYPE_EPSILON_GREEDY,
  square_cb: PolicyType.POLICY_TYPE_SQUARE_CB,
  fixed_rule: PolicyType.POLICY_TYPE_FIXED_RULE,
};
const METHOD_OF: Record<Method, PropensityMethod> = {
  exact: PropensityMethod.PROPENSITY_METHOD_EXACT,
  monte_carlo: PropensityMethod.PROPENSITY_METHOD_MONTE_CARLO,
  deterministic: PropensityMethod.PROPENSITY_METHOD_DETERMINISTIC,
};

/** The cold-start posterior key of a user: tenure/value band from the feature profile. */
export function segmentOf(features: FeatureSet | undefined): string {
  const p = features?.user?.profile;
  if (!p) return 'unknown';
  const tenure = ['any', 'new', 'returning'][p.tenure] ?? 'any';
  const band = ['unknown', 'low', 'medium', 'high', 'top'][p.valueBand] ?? 'unknown';
  return `${tenure}/${band}`;
}

/** One candidate after features, scores and the budget/stock check. */
interface Arm {
  readonly cand: Candidate;
  readonly featureIndex: number;
  readonly score: CandidateScore | undefined;
  readonly econ: OfferEconomics;
  readonly policyArm: PolicyArm;
  readonly reserveMinor: number;
  readonly stockUnits: number;
  readonly budgeted: boolean;
  readonly day: string;
  readonly budgetPrice: number;
}

/** The local day (campaign time zone) frequency caps count impressions in. */
const capDay = (c: Campaign, ms: number) => localTime(c.schedule?.timeZone ?? '', ms).day;

const sleepFalse = (ms: number) => new Promise<false>((r) => setTimeout(() => r(false), ms));

class Deadline {
  constructor(
    private readonly env: DecisionEnv,
    readonly atMs: number,
  ) {}
  left(): number {
    return this.atMs - this.env.now();
  }
}

/**
 * The GetFeatures request of a GetOffers call for these candidates. It asks for the whole
 * sequence the feature store keeps (`sequenceLength`, the spec's max_length), not the spec's
 * default: the served model reads as many of the last events as its inputs are wide (the
 * uplift forest counts categories over 50), and the decision log keeps what was asked for,
 * so the rows a model trains on hold what the next model may read.
 */
function featureQuery(
  req: GetOffersRequest,
  candidates: Parameters<FeaturePort['getFeatures']>[0]['candidates'],
  sequenceLength: number,
): Parameters<FeaturePort['getFeatures']>[0] {
  return {
    shopId: req.shopId,
    userId: req.userId,
    sessionId: req.sessionId,
    context: req.context,
    candidates,
    sequenceLength,
  };
}

/**
 * GetOffers: candidates → features → scores → policy under budget/stock/caps/holdout →
 * reservations → decision log. Never fails open and never waits past the deadline: a slow
 * or failed dependency degrades the answer (flagged) instead of failing it.
 */
export class OfferDecisionService {
  private readonly reader: FeatureReader;
  readonly policyVersion: string;

  constructor(private readonly d: DecisionDeps) {
    this.reader = new FeatureReader(d.spec);
    this.policyVersion = `bandit-policy@${d.settings.version}/${POLICY_CONTEXT_VERSION}`;
  }

  /**
   * The user's features for the log of a decision that holds the user out (no candidates):
   * what the serving path saw, so the control rows train on the same vectors as the treated
   * ones. Best effort within the feature share of the deadline: the answer is the same
   * without them, so a failure or timeout is not a degradation (the trainer then recomputes).
   */
  private async holdoutFeatures(
    req: GetOffersRequest,
    deadline: Deadline,
  ): Promise<FeatureSet | undefined> {
    const { env } = this.d;
    const budget = this.featureBudget(deadline);
    if (budget < 1) return undefined;
    const t0 = env.now();
    try {
      return await this.d.features.getFeatures(
        featureQuery(req, [], this.d.spec.sequence.max_length),
        budget,
      );
    } catch {
      return undefined;
    } finally {
      this.d.metrics.stage('features', env.now() - t0);
    }
  }

  /** The feature call's share of what is left of the deadline, in ms. */
  private featureBudget(deadline: Deadline): number {
    const { settings } = this.d;
    return Math.floor((deadline.left() - settings.answerMarginMs) * settings.featureShare);
  }

  async decide(req: GetOffersRequest, deadlineAtMs: number): Promise<GetOffersResponse> {
    const { env, settings } = this.d;
    const now = env.now();
    const deadline = new Deadline(env, deadlineAtMs);
    const decisionId = env.decisionId(now);
    const slots = req.slots || 1;
    const degraded = new Set<DegradedReason>();
    const reasons = new Set<DecisionReason>();

    const pre = preselect({
      entries: this.d.catalog.list(req.shopId),
      shopId: req.shopId,
      userId: req.userId,
      context: req.context,
      campaignIds: req.campaignIds,
      nowMs: now,
      caps: (c) => this.d.caps.counts(req.shopId, req.userId, c.campaignId, capDay(c, now)),
      maxCandidates: settings.maxCandidates,
    });
    pre.reasons.forEach((r) => reasons.add(r));
    let candidates = pre.candidates;
    // Frequency caps of a user this replica has not seen: read them from the decision log
    // while the features load (a restart, or another replica showed the offers).
    const cappedCandidates = candidates.some((c) => c.entry.campaign.frequencyCap);
    const capsLoad =
      cappedCandidates && !this.d.caps.known(req.shopId, req.userId)
        ? this.loadCaps(req.shopId, req.userId, candidates, now)
        : undefined;

    // Features for every candidate in one call — unless the replica is shedding load: then
    // the answer comes from the posteriors alone, as when the feature service is down.
    let features: FeatureSet | undefined;
    const shed = candidates.length > 0 && (this.d.shedder?.shed() ?? false);
    if (shed) {
      degraded.add(DegradedReason.DEGRADED_REASON_OVERLOAD);
      reasons.add(DecisionReason.DECISION_REASON_FALLBACK_DEFAULT);
    } else if (candidates.length > 0) {
      const budget = this.featureBudget(deadline);
      if (budget < 1) degraded.add(DegradedReason.DEGRADED_REASON_DEADLINE_PRESSURE);
      else {
        const t0 = env.now();
        try {
          features = await this.d.features.getFeatures(
            featureQuery(
              req,
              candidates.map((c) => ({
                offerId: c.offer.offerId,
                campaignId: c.entry.campaign.campaignId,
                itemId: c.offer.flashSale?.itemId ?? c.offer.applicableItemIds[0] ?? '',
                categoryId: c.offer.applicableCategoryIds[0] ?? '',
              })),
              this.d.spec.sequence.max_length,
            ),
            budget,
          );
          if (features.user?.stale) degraded.add(DegradedReason.DEGRADED_REASON_FEATURES_STALE);
        } catch {
          degraded.add(DegradedReason.DEGRADED_REASON_FEATURES_UNAVAILABLE);
          reasons.add(DecisionReason.DECISION_REASON_FALLBACK_DEFAULT);
        }
        this.d.metrics.stage('features', env.now() - t0);
      }
    }
    // A held-out user's features: logged for the trainer when configured, and always needed
    // when a holdout campaign has profile rules (its control group is only who it would treat).
    if (
      candidates.length === 0 &&
      pre.holdoutCampaigns.length > 0 &&
      (settings.holdoutFeatures ||
        pre.holdoutCampaigns.some((e) => needsProfile(e.campaign.eligibility, req.context))) &&
      !(this.d.shedder?.shed() ?? false)
    )
      features = await this.holdoutFeatures(req, deadline);
    if (capsLoad) {
      const left = deadline.left() - settings.answerMarginMs;
      const loaded = left > 0 && (await Promise.race([capsLoad, sleepFalse(left)]));
      candidates = candidates.filter((c) => {
        const camp = c.entry.campaign;
        if (!camp.frequencyCap) return true;
        // Unknown history: never fail open on a capped campaign.
        if (!loaded) return false;
        const day = capDay(camp, now);
        return !capped(camp, this.d.caps.counts(req.shopId, req.userId, camp.campaignId, day), now);
      });
      if (!loaded) degraded.add(DegradedReason.DEGRADED_REASON_LEDGER_UNAVAILABLE);
    }
    const featureIndex = new Map<Candidate, number>();
    candidates.forEach((c, i) => featureIndex.set(c, features ? i : -1));
    // Eligibility on the profile (the feature service's, with the request's traits): without
    // one, campaigns that need it are skipped — held-out ones too, so that a campaign's
    // control group holds only users it would have treated.
    const profile = profileWithTraits(features?.user?.profile, req.traits);
    candidates = candidates.filter((c) =>
      profileAllows(c.entry.campaign.eligibility, profile, req.context),
    );
    const holdoutCampaigns = pre.holdoutCampaigns.filter((e) =>
      profileAllows(e.campaign.eligibility, profile, req.context),
    );
    if (holdoutCampaigns.length === 0) reasons.delete(DecisionReason.DECISION_REASON_HOLDOUT);

    // Scores, when a scorer is configured, features arrived (complete, unless stale ones are
    // to be scored too) and there is time.
    let scored: ScoreResponse | undefined;
    const scorable = settings.scoreStaleFeatures || !features?.user?.stale;
    if (this.d.scoring && features && scorable && candidates.length > 0) {
      const budget = deadline.left() - settings.answerMarginMs;
      if (budget < 1) degraded.add(DegradedReason.DEGRADED_REASON_DEADLINE_PRESSURE);
      else {
        const t0 = env.now();
        try {
          scored = await this.d.scoring.score(settings.modelName, features, budget);
        } catch {
          degraded.add(DegradedReason.DEGRADED_REASON_SCORING_UNAVAILABLE);
        }
        this.d.metrics.stage('scoring', env.now() - t0);
      }
    }

    // From here on everything is synchronous: the budget/stock check, the choice and the
    // reservations see the same ledger state, so concurrent decisions cannot overspend.
    const t0 = env.now();
    const decidedAt = env.now();
    const segment = segmentOf(features);
    const arms: Arm[] = [];
    const dropped: { cand: Candidate; reason: DecisionReason }[] = [];
    for (const cand of candidates) {
      const arm = this.arm(cand, featureIndex.get(cand) ?? -1, features, scored, req, decidedAt);
      if ('reason' in arm) {
        dropped.push({ cand, reason: arm.reason });
        reasons.add(arm.reason);
      } else arms.push(arm);
    }
    const byCampaign = new Map<string, Arm[]>();
    for (const a of arms) {
      const id = a.cand.entry.campaign.campaignId;
      const list = byCampaign.get(id) ?? [];
      list.push(a);
      byCampaign.set(id, list);
    }
    const campaigns: CampaignArms[] = [...byCampaign.values()].map((list) => {
      const c = list[0]!.cand.entry.campaign;
      return this.d.apprentice.resolve(
        {
          campaignId: c.campaignId,
          policy: POLICY_OF[c.policy?.type ?? 0] ?? 'thompson_beta',
          params: c.policy?.params ?? {},
          objective: objectiveOf(c),
          budgetPrice: isBudgeted(c) ? this.d.pacing.price(c) : 0,
          segment,
          arms: list.map((a) => a.policyArm),
        },
        this.d.posteriors.forShop(req.shopId),
      );
    });
    // The policy each campaign is actually served by (an apprentice may have graduated).
    this.served = new Map(campaigns.map((c) => [c.campaignId, c.policy]));
    const seed = env.seed();
    const slate =
      campaigns.length > 0
        ? decideSlate({
            campaigns,
            slots,
            posteriors: this.d.posteriors.forShop(req.shopId),
            rng: seededRng(seed),
            propensitySamples: settings.propensitySamples,
          })
        : undefined;
    const chosen = slate?.slots ?? [];
    const armOf = new Map(arms.map((a) => [a.policyArm, a]));

    // Reserve what was chosen (it fits: unaffordable arms were dropped above, synchronously).
    const reservations: BudgetReservation[] = [];
    const deferredSlots: DeferredSlot[] = [];
    const activationDeadline = req.deferActivation
      ? decidedAt + settings.activationWindowMs
      : undefined;
    for (const s of chosen) {
      const a = armOf.get(s.arm)!;
      const c = a.cand.entry.campaign;
      const expires = this.expiry(a, decidedAt, activationDeadline) + settings.redeemGraceMs;
      const reservationId = `${decisionId}/${a.cand.offer.offerId}`;
      const ok = this.d.ledger.ledger.reserve(
        {
          id: reservationId,
          campaignKey: campaignKey(c.shopId, c.campaignId),
          offerId: a.cand.offer.offerId,
          day: a.day,
          costMinor: a.reserveMinor,
          stockUnits: a.stockUnits,
          expiresAtMs: expires,
          userId: req.userId,
          servedAtMs: decidedAt,
        },
        a.budgeted,
      );
      if (!ok.ok) throw new Error(`reservation of a checked arm failed (${ok.reason})`);
      const key = campaignKey(c.shopId, c.campaignId);
      if (a.budgeted)
        this.d.pacing.onDecision(
          reservationId,
          key,
          a.day,
          a.policyArm.expectedCostMinor,
          a.reserveMinor,
        );
      if (req.deferActivation)
        deferredSlots.push({
          reservationId,
          shopId: c.shopId,
          userId: req.userId,
          campaignId: c.campaignId,
          offerId: a.cand.offer.offerId,
          day: capDay(c, decidedAt),
          windowMs: Math.min(attributionWindowMs(c), settings.offerTtlMs),
        });
      reservations.push({
        campaignId: c.campaignId,
        offerId: a.cand.offer.offerId,
        reservedMinor: a.budgeted ? a.reserveMinor : 0,
        currency: c.budget?.currency ?? '',
        reservedStock: a.stockUnits,
        expiresAt: new Date(expires),
      });
      if (!req.deferActivation)
        this.d.caps.record(req.shopId, req.userId, c.campaignId, capDay(c, decidedAt), decidedAt);
    }
    if (activationDeadline !== undefined)
      this.d.deferred.add(decisionId, activationDeadline, deferredSlots);
    this.d.metrics.stage('policy', env.now() - t0);

    if (chosen.length === 0) {
      if (arms.length > 0) reasons.add(DecisionReason.DECISION_REASON_NO_OFFER_BEST);
      else if (holdoutCampaigns.length === 0 && dropped.length === 0)
        reasons.add(DecisionReason.DECISION_REASON_NO_ELIGIBLE_OFFER);
    }
    const holdout = chosen.length === 0 && holdoutCampaigns.length > 0 && arms.length === 0;
    const servedAt = new Date(decidedAt);
    const policyVersion = this.policyVersion;
    const model = scored ? { name: scored.modelName, version: scored.modelVersion } : undefined;
    const degradedList = [...degraded];

    const responseSlots: OfferSlot[] = chosen.map((s) => {
      const a = armOf.get(s.arm)!;
      const c = a.cand.entry.campaign;
      return {
        rank: s.rank,
        offerId: a.cand.offer.offerId,
        campaignId: c.campaignId,
        offer: {
          ...a.cand.offer,
          campaignId: c.campaignId,
          currency: c.budget?.currency ?? '',
          maxDiscountMinor: a.econ.servedMaxDiscountMinor ?? a.cand.offer.maxDiscountMinor,
        },
        expiresAt: new Date(this.expiry(a, decidedAt, activationDeadline)),
        expectedValueMinor: s.value,
        propensity: s.propensity,
        explanation: req.explain ? this.explainSlot(s, a) : undefined,
      };
    });

    const decision: Decision = {
      decisionId,
      shopId: req.shopId,
      userId: req.userId,
      sessionId: req.sessionId,
      servedAt,
      context: req.context,
      placementId: req.placementId ?? '',
      requestedSlots: slots,
      requestedCampaignIds: req.campaignIds,
      features,
      candidates: [
        ...arms.map((a) =>
          this.loggedCandidate(a, slate?.selectionProbability.get(a.policyArm.offerId) ?? 0),
        ),
        ...dropped.map(({ cand, reason }) => ({
          offerId: cand.offer.offerId,
          campaignId: cand.entry.campaign.campaignId,
          itemId: cand.offer.flashSale?.itemId ?? '',
          featureIndex: featureIndex.get(cand) ?? -1,
          score: undefined,
          expectedValueMinor: 0,
          selectionProbability: 0,
          policy: cand.entry.campaign.policy?.type ?? PolicyType.POLICY_TYPE_THOMPSON_BETA,
          policyFeatures: [],
          reasons: [reason],
          marginMinor: 0,
          redemptionCostMinor: 0,
          expectedCostMinor: 0,
          budgetPrice: 0,
        })),
      ],
      campaigns: this.loggedCampaigns(arms, dropped, holdoutCampaigns),
      segment,
      slots: chosen.map((s) => this.loggedSlot(s, armOf.get(s.arm)!, seed)),
      policyVersion,
      modelName: model?.name ?? '',
      modelVersion: model?.version ?? '',
      holdout,
      holdoutCampaignIds: holdoutCampaigns.map((e) => e.campaign.campaignId),
      noOfferPropensity: slate?.noOfferPropensity ?? 1,
      degraded: degradedList.length > 0,
      degradedReasons: degradedList,
      deferred: req.deferActivation,
      activationDeadline:
        activationDeadline !== undefined ? new Date(activationDeadline) : undefined,
      reservations,
      servedBy: `${settings.instanceId}/${settings.version}`,
    };
    if (!this.d.log.publish(decision))
      degradedList.push(DegradedReason.DEGRADED_REASON_DECISION_LOG_DELAYED);

    this.d.metrics.decided(
      holdout ? 'holdout' : chosen.length > 0 ? 'offers' : 'empty',
      degradedList,
    );
    return {
      decisionId,
      slots: responseSlots,
      holdout,
      degraded: degradedList.length > 0,
      degradedReasons: degradedList,
      policyVersion,
      modelName: model?.name ?? '',
      modelVersion: model?.version ?? '',
      servedAt,
      activationDeadline:
        activationDeadline !== undefined ? new Date(activationDeadline) : undefined,
      explanation: req.explain
        ? {
            policyName: campaigns.length === 1 ? campaigns[0]!.policy.toUpperCase() : 'MIXED',
            reasons: [...reasons],
            scoreComponents: {
              candidates: candidates.length,
              eligible_arms: arms.length,
              no_offer_propensity: slate?.noOfferPropensity ?? 1,
            },
          }
        : undefined,
    };
  }

  /** Builds the policy's view of one candidate, or says why it cannot be shown now. */
  private arm(
    cand: Candidate,
    featureIndex: number,
    features: FeatureSet | undefined,
    scored: ScoreResponse | undefined,
    req: GetOffersRequest,
    nowMs: number,
  ): Arm | { reason: DecisionReason } {
    const c = cand.entry.campaign;
    const user = features?.user?.values;
    const candValues = featureIndex >= 0 ? features?.candidates[featureIndex]?.values : undefined;
    const score = featureIndex >= 0 ? scored?.scores[featureIndex] : undefined;
    const econ = economics(
      c,
      cand.offer,
      marginRate(c),
      this.reader,
      user,
      candValues,
      req.context?.cartValueMinor ?? 0,
      req.context?.currency ?? '',
    );
    const key = campaignKey(c.shopId, c.campaignId);
    const budgeted = isBudgeted(c);
    const day = budgetDay(c, nowMs);
    // Leases are topped up every second in the background; a decision that finds one dry
    // asks at once (the request is skipped when one is already in flight).
    if (budgeted) {
      if (econ.worstCaseCostMinor === undefined)
        return { reason: DecisionReason.DECISION_REASON_BUDGET_PACED };
      const available = this.d.ledger.ledger.availableBudget(key, day);
      if (available < 2 * econ.worstCaseCostMinor)
        this.d.ledger.top(cand.entry, nowMs, econ.worstCaseCostMinor);
      if (available < econ.worstCaseCostMinor)
        return { reason: DecisionReason.DECISION_REASON_BUDGET_PACED };
    }
    const stockUnits = cand.offer.flashSale ? 1 : 0;
    if (
      stockUnits > 0 &&
      this.d.ledger.ledger.availableStock(key, cand.offer.offerId) < stockUnits
    ) {
      this.d.ledger.top(cand.entry, nowMs);
      return { reason: DecisionReason.DECISION_REASON_STOCK_EXHAUSTED };
    }
    const objective = objectiveOf(c);
    const policyArm: PolicyArm = {
      offerId: cand.offer.offerId,
      campaignId: c.campaignId,
      ruleOrder: cand.index,
      x: policyContext(this.reader, user, candValues, score, econ),
      modelValue: score ? modelValue(score, econ, objective, this.upliftLcb(c)) : undefined,
      marginMinor: econ.marginMinor,
      redemptionCostMinor: econ.redemptionCostMinor,
      expectedCostMinor: expectedCost(score, econ, this.reader, candValues),
    };
    return {
      cand,
      featureIndex,
      score,
      econ,
      policyArm,
      reserveMinor: budgeted ? econ.worstCaseCostMinor! : 0,
      stockUnits,
      budgeted,
      day,
      budgetPrice: budgeted ? this.d.pacing.price(c) : 0,
    };
  }

  /** The campaign policy's `uplift_lcb` (0 for policies that do not value model scores). */
  private upliftLcb(c: Campaign): number {
    const kind = POLICY_OF[c.policy?.type ?? 0] ?? 'thompson_beta';
    return configuredParam(kind, c.policy?.params ?? {}, 'uplift_lcb', 0);
  }

  /** Seeds the caps of a user from the decision log; false when it could not be read. */
  private async loadCaps(
    shopId: string,
    userId: string,
    candidates: readonly Candidate[],
    nowMs: number,
  ): Promise<boolean> {
    try {
      const campaigns = new Map(
        candidates
          .filter((c) => c.entry.campaign.frequencyCap)
          .map((c) => [c.entry.campaign.campaignId, c.entry.campaign]),
      );
      const from = Math.min(
        ...[...campaigns.values()].map(
          (c) => c.schedule?.startTime?.getTime() ?? nowMs - 365 * 86_400_000,
        ),
      );
      const past = await this.d.impressions.shown(shopId, userId, from);
      this.d.caps.touch(shopId, userId);
      for (const c of campaigns.values()) {
        const tz = c.schedule?.timeZone ?? '';
        const today = localTime(tz, nowMs).day;
        const mine = past.filter((p) => p.campaignId === c.campaignId);
        if (mine.length === 0) continue;
        this.d.caps.seed(shopId, userId, c.campaignId, {
          day: today,
          today: mine.filter((p) => localTime(tz, p.atMs).day === today).length,
          lifetime: mine.length,
          lastMs: Math.max(...mine.map((p) => p.atMs)),
        });
      }
      return true;
    } catch {
      return false;
    }
  }

  private served = new Map<string, PolicyKind>();

  private kindOf(a: Arm): PolicyKind {
    const id = a.cand.entry.campaign.campaignId;
    return (
      this.served.get(id) ?? POLICY_OF[a.cand.entry.campaign.policy?.type ?? 0] ?? 'thompson_beta'
    );
  }

  private expiry(a: Arm, nowMs: number, activationDeadline: number | undefined): number {
    const c = a.cand.entry.campaign;
    let t =
      (activationDeadline ?? nowMs) + Math.min(attributionWindowMs(c), this.d.settings.offerTtlMs);
    const end = c.schedule?.endTime?.getTime();
    if (end !== undefined) t = Math.min(t, end);
    const fsEnd = a.cand.offer.flashSale?.endTime?.getTime();
    if (fsEnd !== undefined) t = Math.min(t, fsEnd);
    return t;
  }

  private loggedCampaigns(
    arms: readonly Arm[],
    dropped: readonly { cand: Candidate }[],
    held: readonly CatalogEntry[],
  ): DecisionCampaign[] {
    const seen = new Map<string, DecisionCampaign>();
    const add = (e: CatalogEntry, holdout: boolean) => {
      const c = e.campaign;
      if (seen.has(c.campaignId)) return;
      const ms = attributionWindowMs(c);
      seen.set(c.campaignId, {
        campaignId: c.campaignId,
        objective: c.objective,
        attributionWindow: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
        marginRate: marginRate(c),
        currency: c.budget?.currency ?? '',
        holdout,
        policy: TYPE_OF[POLICY_OF[c.policy?.type ?? 0] ?? 'thompson_beta'],
        campaignVersion: c.version,
      });
    };
    for (const e of held) add(e, true);
    for (const a of arms) add(a.cand.entry, false);
    for (const d of dropped) add(d.cand.entry, false);
    return [...seen.values()];
  }

  private loggedCandidate(a: Arm, selection: number): DecisionCandidate {
    return {
      offerId: a.cand.offer.offerId,
      campaignId: a.cand.entry.campaign.campaignId,
      itemId: a.cand.offer.flashSale?.itemId ?? '',
      featureIndex: a.featureIndex,
      score: a.score,
      expectedValueMinor: a.policyArm.modelValue ?? 0,
      selectionProbability: selection,
      policy: TYPE_OF[this.kindOf(a)],
      policyFeatures: Array.from(a.policyArm.x),
      reasons: [],
      marginMinor: a.policyArm.marginMinor,
      redemptionCostMinor: a.policyArm.redemptionCostMinor,
      expectedCostMinor: a.policyArm.expectedCostMinor,
      budgetPrice: a.budgetPrice,
    };
  }

  private loggedSlot(s: ChosenSlot, a: Arm, seed: bigint): DecisionSlot {
    const kind = this.kindOf(a);
    return {
      rank: s.rank,
      offerId: a.cand.offer.offerId,
      campaignId: a.cand.entry.campaign.campaignId,
      propensity: s.propensity,
      propensityMethod: METHOD_OF[s.method],
      expectedValueMinor: s.value,
      policy: TYPE_OF[kind],
      reasons: this.slotReasons(s, a),
      exploration: {
        explored: s.explored,
        epsilon: s.details.epsilon ?? 0,
        propensitySamples: s.samples,
        seed: Number(seed & 0x1fffffffffffffn),
        details: { ...s.details },
      },
    };
  }

  private slotReasons(s: ChosenSlot, a: Arm): DecisionReason[] {
    const out = [
      s.explored ? DecisionReason.DECISION_REASON_EXPLORE : DecisionReason.DECISION_REASON_EXPLOIT,
    ];
    if (
      !a.score &&
      this.d.posteriors.observations(
        a.cand.entry.campaign.shopId,
        a.cand.entry.campaign.campaignId,
        a.cand.offer.offerId,
      ) < 20
    )
      out.push(DecisionReason.DECISION_REASON_COLD_START);
    return out;
  }

  private explainSlot(s: ChosenSlot, a: Arm) {
    const comps: Record<string, number> = {
      margin_minor: a.econ.marginMinor,
      cost_minor: a.econ.redemptionCostMinor,
      expected_cost_minor: a.policyArm.expectedCostMinor,
      propensity: s.propensity,
      ...s.details,
    };
    if (a.score) {
      comps.p_click = a.score.pClick;
      comps.uplift = a.score.uplift;
      comps.p_purchase_given_offer = a.score.pPurchaseGivenOffer;
    }
    const kind = this.kindOf(a);
    return {
      policyName: PolicyType[TYPE_OF[kind]]?.replace('POLICY_TYPE_', '') ?? kind,
      reasons: this.slotReasons(s, a),
      scoreComponents: comps,
    };
  }
}
