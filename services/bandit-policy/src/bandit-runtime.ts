import { campaignKey, CampaignCatalog, localTime, notServingReason } from '@offerstream/campaigns';
import type { ClickHouseClient } from '@offerstream/clickhouse';
import { LedgerEntry, type CampaignStats } from '@offerstream/contracts';
import { loadFeatureSpec } from '@offerstream/features';
import { CompactedTopicFollower, TOPICS, type Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import type { Readiness, Registry } from '@offerstream/observability';
import { AttributionJob } from './attribution/attribution.job';
import { AttributionPublisherRepository } from './attribution/attribution-publisher.repository';
import { AttributionRepository } from './attribution/attribution.repository';
import type { BanditPolicyConfig } from './bandit-policy.config';
import { BanditMetrics } from './bandit.metrics';
import { BanditErrorCode, BanditException } from './bandit.exception';
import { CampaignAdminService } from './campaigns/campaign-admin.service';
import { CampaignLogRepository } from './campaigns/campaign-log.repository';
import { CampaignStatsRepository } from './campaigns/campaign-stats.repository';
import { FeatureAdapter } from './clients/feature.adapter';
import { ScoringAdapter } from './clients/scoring.adapter';
import { ActivationsConsumer } from './decision/activations.consumer';
import { ApprenticeService } from './decision/apprentice.service';
import { DeferredDecisions } from './decision/deferred-decisions';
import { FrequencyCaps } from './decision/frequency-caps';
import { ImpressionsRepository } from './decision/impressions.repository';
import { SystemDecisionEnv } from './decision/ids.adapter';
import { OfferDecisionService } from './decision/offer-decision.service';
import { eventLoopLag, OverloadShedder, SHEDDER_DEFAULTS } from './decision/overload-shedder';
import { PacingService } from './learning/pacing.service';
import { PosteriorStore } from './learning/posterior-store.service';
import { RewardLearner } from './learning/reward-learner.service';
import { RewardsConsumer } from './learning/rewards.consumer';
import { RewardsRepository } from './learning/rewards.repository';
import { trafficShares } from './learning/traffic-profile';
import { TrafficProfileRepository } from './learning/traffic-profile.repository';
import { budgetDay, LedgerService } from './ledger/ledger.service';
import { LedgerRepository } from './ledger/ledger.repository';
import { RedemptionsRepository } from './ledger/redemptions.repository';
import { DecisionLogRepository } from './log/decision-log.repository';
import { DecisionsRepository } from './log/decisions.repository';
import { DecisionsSinkConsumer } from './log/decisions-sink.consumer';

const VERSION = '0.1.0';
const DAY_MS = 86_400_000;

/**
 * The bandit-policy service wired together (plain constructors: each part gets only what
 * it uses). Kafka-facing parts start in the background so the process boots while Kafka
 * is away; readiness says when it can decide.
 */
export class BanditRuntime {
  readonly catalog = new CampaignCatalog();
  readonly ledger: LedgerService;
  readonly posteriors: PosteriorStore;
  readonly pacing: PacingService;
  readonly caps = new FrequencyCaps();
  readonly deferred = new DeferredDecisions();
  readonly decisions: OfferDecisionService;
  readonly admin: CampaignAdminService;
  readonly metrics: BanditMetrics;
  private readonly env: SystemDecisionEnv;
  private readonly catalogFollower: CompactedTopicFollower;
  private readonly ledgerFollower: CompactedTopicFollower;
  private readonly ledgerRepo: LedgerRepository;
  private readonly campaignLog: CampaignLogRepository;
  private readonly decisionLog: DecisionLogRepository;
  private readonly featureClient: FeatureAdapter;
  private readonly scoringClient: ScoringAdapter | undefined;
  private readonly rewards: RewardsConsumer;
  private readonly activations: ActivationsConsumer;
  private readonly sink: DecisionsSinkConsumer;
  private readonly attribution: AttributionJob;
  private readonly publisher: AttributionPublisherRepository;
  private readonly statsRepo: CampaignStatsRepository;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly lag: ReturnType<typeof eventLoopLag> | undefined;
  private readonly shedder: OverloadShedder;
  private catalogLoaded = false;
  private ledgerLoaded = false;
  private stopping = false;
  private attributing = false;
  private settling = false;
  private readonly redemptions: RedemptionsRepository;
  private readonly traffic: TrafficProfileRepository;

  constructor(
    private readonly cfg: BanditPolicyConfig,
    private readonly kafka: Kafka,
    ch: ClickHouseClient,
    private readonly logger: Logger,
    registry: Registry,
    readiness: Readiness,
  ) {
    this.env = new SystemDecisionEnv(cfg.BANDIT_SEED ? BigInt(cfg.BANDIT_SEED) : undefined);
    const topic = (t: keyof typeof TOPICS) => cfg.KAFKA_TOPIC_PREFIX + TOPICS[t].name;
    const unique = `${cfg.BANDIT_INSTANCE_ID}.${process.pid}.${Date.now().toString(36)}`;
    const group = cfg.BANDIT_CONSUMER_GROUP;
    this.catalogFollower = new CompactedTopicFollower(kafka, {
      topic: topic('campaigns'),
      groupId: `${group}.catalog.${unique}`,
      logger,
      onRecord: (key, value, position) => this.catalog.apply(key, value, position),
    });
    this.ledgerRepo = new LedgerRepository(kafka, topic('ledger'));
    this.ledger = new LedgerService(
      this.ledgerRepo,
      {
        holder: cfg.BANDIT_INSTANCE_ID,
        leaseShare: cfg.BANDIT_LEASE_SHARE,
        leaseMinMinor: cfg.BANDIT_LEASE_MIN_MINOR,
      },
      logger,
    );
    this.ledgerFollower = new CompactedTopicFollower(kafka, {
      topic: topic('ledger'),
      groupId: `${group}.ledger.${unique}`,
      logger,
      onRecord: (key, value) => {
        if (value) this.ledger.apply(key, LedgerEntry.decode(value));
      },
    });
    this.posteriors = new PosteriorStore();
    this.pacing = new PacingService({
      floor: cfg.BANDIT_PACING_FLOOR,
      ceiling: cfg.BANDIT_PACING_CEILING,
    });
    this.campaignLog = new CampaignLogRepository(kafka, topic('campaigns'));
    this.admin = new CampaignAdminService({
      catalog: this.catalog,
      log: this.campaignLog,
      ready: () => this.catalogLoaded,
      now: () => Date.now(),
      newId: () => this.env.decisionId(Date.now()),
      confirmTimeoutMs: 10_000,
    });
    let decisionLog: DecisionLogRepository | undefined;
    this.metrics = new BanditMetrics(registry, {
      openReservations: () => this.ledger.ledger.openReservations,
      deferredOpen: () => this.deferred.size,
      rewardsLearned: () => this.posteriors.count,
      decisionLogPending: () => decisionLog?.pending ?? 0,
      campaigns: () => this.catalog.size,
      shedShare: () => this.shedder.share,
    });
    this.decisionLog = decisionLog = new DecisionLogRepository(
      kafka,
      {
        topic: topic('decisions'),
        maxBuffered: 100_000,
        maxBatch: 2000,
        onDropped: () => this.metrics.decisionLogDropped.inc(),
        onFlushed: (_n, ms) => this.metrics.decisionLogFlushSeconds.observe(ms / 1000),
      },
      logger,
    );
    this.featureClient = new FeatureAdapter(cfg.FEATURE_SERVICE_ADDR);
    this.scoringClient =
      cfg.SCORING_SERVICE_ADDR === 'none'
        ? undefined
        : new ScoringAdapter(cfg.SCORING_SERVICE_ADDR);
    // The event-loop timer runs only where shedding is on.
    this.lag = cfg.BANDIT_SHED_LAG_MS > 0 ? eventLoopLag() : undefined;
    this.shedder = new OverloadShedder(
      { ...SHEDDER_DEFAULTS, targetLagMs: cfg.BANDIT_SHED_LAG_MS },
      this.lag ?? { delayMs: () => 0, reset: () => undefined },
    );
    this.decisions = new OfferDecisionService({
      catalog: this.catalog,
      spec: loadFeatureSpec(),
      features: this.featureClient,
      scoring: this.scoringClient,
      ledger: this.ledger,
      posteriors: this.posteriors,
      pacing: this.pacing,
      deferred: this.deferred,
      apprentice: new ApprenticeService(logger),
      caps: this.caps,
      impressions: new ImpressionsRepository(ch),
      log: this.decisionLog,
      env: this.env,
      metrics: this.metrics,
      settings: {
        instanceId: cfg.BANDIT_INSTANCE_ID,
        version: VERSION,
        modelName: cfg.BANDIT_MODEL_NAME,
        scoreStaleFeatures: cfg.BANDIT_SCORE_STALE_FEATURES,
        holdoutFeatures: cfg.BANDIT_HOLDOUT_FEATURES,
        featureShare: cfg.BANDIT_FEATURE_SHARE,
        answerMarginMs: cfg.BANDIT_ANSWER_MARGIN_MS,
        maxCandidates: cfg.BANDIT_MAX_CANDIDATES,
        propensitySamples: cfg.BANDIT_PROPENSITY_SAMPLES,
        activationWindowMs: cfg.BANDIT_ACTIVATION_WINDOW_MS,
        offerTtlMs: cfg.BANDIT_OFFER_TTL_MS,
        redeemGraceMs: cfg.BANDIT_REDEEM_GRACE_MS,
      },
      shedder: this.shedder,
    });
    const learner = new RewardLearner(this.posteriors, this.ledger, this.pacing, this.catalog);
    this.rewards = new RewardsConsumer(kafka, new RewardsRepository(ch), learner, {
      topic: topic('rewards'),
      groupIdPrefix: `${group}.rewards.${cfg.BANDIT_INSTANCE_ID}`,
      horizonMs: cfg.BANDIT_POSTERIOR_HORIZON_DAYS * DAY_MS,
      logger,
    });
    this.activations = new ActivationsConsumer(
      kafka,
      {
        deferred: this.deferred,
        ledger: this.ledger,
        caps: this.caps,
        pacing: this.pacing,
        redeemGraceMs: cfg.BANDIT_REDEEM_GRACE_MS,
      },
      {
        topic: topic('activations'),
        groupIdPrefix: `${group}.activations.${cfg.BANDIT_INSTANCE_ID}`,
        logger,
      },
    );
    this.sink = new DecisionsSinkConsumer(kafka, new DecisionsRepository(ch), {
      topic: topic('decisions'),
      groupId: `${group}.decision-sink`,
      logger,
      now: () => Date.now(),
    });
    this.publisher = new AttributionPublisherRepository(kafka, {
      rewards: topic('rewards'),
      activations: topic('activations'),
    });
    this.attribution = new AttributionJob(
      new AttributionRepository(ch),
      this.publisher,
      {
        graceMs: cfg.BANDIT_ATTRIBUTION_GRACE_MS,
        horizonMs: 32 * DAY_MS,
        recheckMs: cfg.BANDIT_RECHECK_HOURS * 3_600_000,
        recheckEveryMs: Math.max(cfg.BANDIT_ATTRIBUTION_INTERVAL_MS, 10_000),
        batch: 2000,
      },
      this.metrics,
      logger,
      Date.now(),
    );
    this.statsRepo = new CampaignStatsRepository(ch);
    this.redemptions = new RedemptionsRepository(ch);
    this.traffic = new TrafficProfileRepository(ch);
    readiness.add({ name: 'campaign-catalog', check: () => Promise.resolve(this.catalogLoaded) });
    readiness.add({ name: 'budget-ledger', check: () => Promise.resolve(this.ledgerLoaded) });
    readiness.add({ name: 'posteriors', check: () => Promise.resolve(this.rewards.ready) });
  }

  catalogReady(): boolean {
    return this.catalogLoaded && this.ledgerLoaded;
  }

  /** Starts everything Kafka-facing in the background, retrying until it runs. */
  start(): void {
    this.shedder.start();
    const retry = (name: string, work: () => Promise<void>) => {
      void (async () => {
        for (let attempt = 1; !this.stopping; attempt++) {
          try {
            await work();
            return;
          } catch (err) {
            const delay = Math.min(30_000, 500 * 2 ** (attempt - 1));
            this.logger.error(
              { err, attempt, retryInMs: delay },
              `${name} could not start; retrying`,
            );
            await new Promise((r) => setTimeout(r, delay));
          }
        }
      })();
    };
    retry('campaign catalog', async () => {
      await this.catalogFollower.start();
      while (!this.stopping && !(await this.catalogFollower.caughtUp(1000)));
      this.catalogLoaded = true;
      this.logger.info({ campaigns: this.catalog.size }, 'campaign catalog loaded');
    });
    retry('budget ledger', async () => {
      await this.ledgerFollower.start();
      while (!this.stopping && !(await this.ledgerFollower.caughtUp(1000)));
      this.ledgerLoaded = true;
    });
    retry('decision log', () => this.decisionLog.start());
    retry('rewards', () => this.rewards.start(Date.now()));
    retry('activations', () => this.activations.start());
    this.every(1000, () => this.housekeeping());
    // Its own clock: each tick a reservation waits past its grace holds budget that a
    // decision may be refused for (in the demo a second is half a simulated hour).
    this.every(this.cfg.BANDIT_SETTLE_INTERVAL_MS, () =>
      this.settleExpired(Date.now()).catch((err: unknown) =>
        this.logger.warn({ err }, 'expired reservations not settled yet; retrying'),
      ),
    );
    // In compressed time (the demo, S ≈ 2000) a second is half a simulated hour of spend.
    this.every(this.cfg.BANDIT_PACING_INTERVAL_MS, () =>
      this.pacing.tick(this.catalog.all(), Date.now()),
    );
    if (this.cfg.BANDIT_TRAFFIC_PROFILE_DAYS > 0) {
      void this.refreshTraffic();
      this.every(this.cfg.BANDIT_TRAFFIC_PROFILE_REFRESH_MS, () => this.refreshTraffic());
    }
    if (this.cfg.BANDIT_DECISION_SINK) {
      this.sink.start();
      this.every(this.cfg.BANDIT_ATTRIBUTION_INTERVAL_MS, () => this.attribute());
    }
    this.every(60_000, () => this.handBackPastDays());
  }

  /** The shops' traffic shares by hour of the day, for the plans budget pacing follows. */
  private async refreshTraffic(): Promise<void> {
    const now = Date.now();
    try {
      const rows = await this.traffic.hourly(now - this.cfg.BANDIT_TRAFFIC_PROFILE_DAYS * DAY_MS);
      const shares = trafficShares(rows, now);
      this.pacing.setTrafficShares(shares);
      this.logger.info({ shops: shares.size }, 'traffic shares for budget plans read');
    } catch (err: unknown) {
      // The shares read last (or none: plans even in time) stay until the next refresh.
      this.logger.warn({ err }, 'traffic shares not read; budget plans keep their shape');
    }
  }

  private every(ms: number, work: () => void | Promise<void>): void {
    const t = setInterval(() => {
      if (this.stopping) return;
      Promise.resolve(work()).catch((err: unknown) =>
        this.logger.error({ err }, 'background task failed'),
      );
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Leases topped up, pacing observed, lapsed deferred decisions released. */
  private housekeeping(): void {
    const now = Date.now();
    const entries = this.catalog.all();
    if (this.ledgerLoaded && this.catalogLoaded)
      for (const e of entries) {
        if (notServingReason(e.campaign, now) !== undefined) continue;
        this.ledger.top(e, now);
        this.metrics.budgetPrice.set(
          { campaign_id: e.campaign.campaignId },
          this.pacing.price(e.campaign),
        );
      }
    this.deferred.sweep(now, this.cfg.BANDIT_SETTLE_GRACE_MS);
  }

  /**
   * Offers whose redemption period is over: what they cost is what their users redeemed
   * (stored offer_redeem events); the rest of the reservation goes back to the lease. If
   * ClickHouse cannot be read, the reservation is kept (never guess spend) until
   * BANDIT_SETTLE_GRACE_MS later.
   */
  private async settleExpired(now: number): Promise<void> {
    if (this.settling) return;
    this.settling = true;
    try {
      this.ledger.ledger.forgetClosed(now);
      const expired = this.ledger.ledger.expired(now).slice(0, 2000);
      const byShop = new Map<string, typeof expired>();
      for (const r of expired) {
        const [shopId = ''] = JSON.parse(r.campaignKey) as string[];
        byShop.set(shopId, [...(byShop.get(shopId) ?? []), r]);
      }
      for (const [shopId, list] of byShop) {
        let found: Map<string, { costMinor: number; units: number }>;
        try {
          const rows = await this.redemptions.of(
            shopId,
            [...new Set(list.map((r) => r.userId ?? ''))],
            [...new Set(list.map((r) => r.id.slice(0, r.id.lastIndexOf('/'))))],
            Math.min(...list.map((r) => r.servedAtMs ?? now)) - 60_000,
          );
          found = new Map(rows.map((x) => [`${x.decisionId}/${x.offerId}`, x]));
        } catch (err) {
          for (const r of list)
            if (r.expiresAtMs + this.cfg.BANDIT_SETTLE_GRACE_MS < now) {
              this.ledger.ledger.release(r.id);
              this.pacing.forget(r.id);
              this.metrics.reservationsExpired.inc();
            }
          throw err;
        }
        for (const r of list) {
          const x = found.get(r.id);
          if (this.ledger.ledger.settle(r.id, x?.costMinor ?? 0, x?.units ?? 0))
            this.pacing.onRedemptionsKnown(r.id, x?.costMinor ?? 0, now);
        }
      }
    } finally {
      this.settling = false;
    }
  }

  private async attribute(): Promise<void> {
    if (this.attributing) return;
    this.attributing = true;
    try {
      await this.attribution.tick(this.sink.partitions(), Date.now());
    } finally {
      this.attributing = false;
    }
  }

  private async handBackPastDays(): Promise<void> {
    if (!this.ledgerLoaded) return;
    await this.ledger.handBack(Date.now(), false, (key) => {
      const [shopId = '', campaignId = ''] = JSON.parse(key) as string[];
      const c = this.catalog.get(shopId, campaignId)?.campaign;
      return c ? budgetDay(c, Date.now()) : undefined;
    });
  }

  /** CampaignService.GetCampaignStats. */
  async stats(shopId: string, campaignId: string): Promise<CampaignStats> {
    const entry = this.catalog.get(shopId, campaignId);
    if (!entry)
      throw new BanditException(
        BanditErrorCode.CAMPAIGN_NOT_FOUND,
        `campaign ${JSON.stringify(campaignId.slice(0, 128))} not found`,
      );
    const c = entry.campaign;
    const now = Date.now();
    const key = campaignKey(shopId, campaignId);
    const day = budgetDay(c, now);
    const dayStart = localTime(c.schedule?.timeZone ?? '', now).dayStartMs;
    const [funnel, today, decisions] = await Promise.all([
      this.statsRepo.funnel(shopId, campaignId),
      this.statsRepo.funnel(shopId, campaignId, dayStart),
      this.statsRepo.decisions(shopId, campaignId),
    ]);
    const f = this.ledger.ledger.figures(key, day);
    const spent = funnel.reduce((s, o) => s + o.spentMinor, 0);
    const spentToday = today.reduce((s, o) => s + o.spentMinor, 0);
    const reserved = Math.max(0, f.granted - spent);
    const total = c.budget?.totalBudgetMinor ?? 0;
    const daily = c.budget?.dailyBudgetMinor ?? 0;
    const byOffer = new Map(funnel.map((o) => [o.offerId, o]));
    return {
      campaignId,
      currency: c.budget?.currency ?? '',
      asOf: new Date(now),
      spentMinor: spent,
      reservedMinor: reserved,
      remainingBudgetMinor: total > 0 ? Math.max(0, total - spent - reserved) : undefined,
      spentTodayMinor: spentToday,
      remainingDailyBudgetMinor:
        daily > 0 ? Math.max(0, daily - Math.max(spentToday, f.grantedToday)) : undefined,
      decisions: decisions.decisions,
      holdoutDecisions: decisions.holdout,
      impressions: funnel.reduce((s, o) => s + o.impressions, 0),
      clicks: funnel.reduce((s, o) => s + o.clicks, 0),
      redemptions: funnel.reduce((s, o) => s + o.redemptions, 0),
      offers: c.offers.map((o) => {
        const x = byOffer.get(o.offerId);
        return {
          offerId: o.offerId,
          impressions: x?.impressions ?? 0,
          clicks: x?.clicks ?? 0,
          redemptions: x?.redemptions ?? 0,
          spentMinor: x?.spentMinor ?? 0,
          remainingStock: o.flashSale
            ? Math.max(0, o.flashSale.stock - (f.stockGranted.get(o.offerId) ?? 0))
            : undefined,
        };
      }),
    };
  }

  /** Graceful stop: hand unused leases back, flush the decision log, leave the groups. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.shedder.stop();
    this.lag?.disable();
    try {
      if (this.ledgerLoaded) {
        const n = await this.ledger.handBack(Date.now(), true, () => undefined);
        this.logger.info({ leases: n }, 'unused budget/stock leases handed back');
      }
    } catch (err) {
      this.logger.error({ err }, 'leases could not be handed back (they stay counted as spent)');
    }
    await this.decisionLog.stop(3000).catch(() => undefined);
    await Promise.allSettled([
      this.sink.stop(),
      this.rewards.stop(),
      this.activations.stop(),
      this.catalogFollower.stop(),
      this.ledgerFollower.stop(),
    ]);
    await Promise.allSettled([
      this.ledgerRepo.close(),
      this.campaignLog.close(),
      this.publisher.close(),
    ]);
    this.featureClient.close();
    this.scoringClient?.close();
  }
}
