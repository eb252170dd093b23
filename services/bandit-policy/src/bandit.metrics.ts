import { DegradedReason } from '@offerstream/contracts';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttributionMetrics } from './attribution/attribution.job';
import type { DecisionMetrics } from './decision/offer-decision.service';

/** What the gauges read at scrape time. */
export interface BanditGaugeSources {
  openReservations(): number;
  deferredOpen(): number;
  rewardsLearned(): number;
  decisionLogPending(): number;
  campaigns(): number;
  shedShare(): number;
}

/** Prometheus metrics of bandit-policy. */
export class BanditMetrics implements DecisionMetrics, AttributionMetrics {
  private readonly decisions: Counter<'outcome' | 'degraded'>;
  private readonly degradedReasons: Counter<'reason'>;
  private readonly stageSeconds: Histogram<'stage'>;
  private readonly rewardsTotal: Counter<'revision'>;
  private readonly activationsTotal: Counter<'status'>;
  private readonly attributionLag: Histogram;
  readonly decisionLogDropped: Counter;
  readonly decisionLogFlushSeconds: Histogram;
  readonly reservationsExpired: Counter;
  readonly leaseRequests: Counter;
  readonly budgetPrice: Gauge<'campaign_id'>;

  constructor(registry: Registry, sources: BanditGaugeSources) {
    const registers = [registry];
    this.decisions = new Counter({
      name: 'offerstream_bandit_decisions_total',
      help: 'GetOffers decisions by outcome (offers, empty, holdout) and whether degraded',
      labelNames: ['outcome', 'degraded'],
      registers,
    });
    this.degradedReasons = new Counter({
      name: 'offerstream_bandit_degraded_total',
      help: 'Degraded decisions by reason',
      labelNames: ['reason'],
      registers,
    });
    this.stageSeconds = new Histogram({
      name: 'offerstream_bandit_stage_seconds',
      help: 'Time of each GetOffers stage (features, scoring, policy)',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    this.rewardsTotal = new Counter({
      name: 'offerstream_bandit_rewards_emitted_total',
      help: 'Rewards attribution emitted (first revision or revised by refunds/late events)',
      labelNames: ['revision'],
      registers,
    });
    this.activationsTotal = new Counter({
      name: 'offerstream_bandit_activations_total',
      help: 'Deferred decisions activated by their impression or expired',
      labelNames: ['status'],
      registers,
    });
    this.attributionLag = new Histogram({
      name: 'offerstream_bandit_attribution_lag_seconds',
      help: 'Time from the end of an attribution window to its reward',
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.decisionLogDropped = new Counter({
      name: 'offerstream_bandit_decision_log_dropped_total',
      help: 'Decisions not logged because the buffer was full (Kafka away too long)',
      registers,
    });
    this.decisionLogFlushSeconds = new Histogram({
      name: 'offerstream_bandit_decision_log_flush_seconds',
      help: 'Time of one decision-log produce (a batch)',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
    this.reservationsExpired = new Counter({
      name: 'offerstream_bandit_reservations_expired_total',
      help: 'Reservations released because no reward settled them in time (attribution lagging)',
      registers,
    });
    this.leaseRequests = new Counter({
      name: 'offerstream_bandit_lease_requests_total',
      help: 'Budget/stock lease requests written to the ledger',
      registers,
    });
    this.budgetPrice = new Gauge({
      name: 'offerstream_bandit_budget_price',
      help: "Budget pacing's Lagrange price λ per campaign",
      labelNames: ['campaign_id'],
      registers,
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge(
      'offerstream_bandit_open_reservations',
      'Budget/stock reservations held by this replica',
      () => sources.openReservations(),
    );
    gauge(
      'offerstream_bandit_deferred_open',
      'Deferred decisions waiting for their impression',
      () => sources.deferredOpen(),
    );
    gauge('offerstream_bandit_rewards_learned', 'Rewards folded into the posteriors', () =>
      sources.rewardsLearned(),
    );
    gauge(
      'offerstream_bandit_decision_log_pending',
      'Decisions waiting to be written to Kafka',
      () => sources.decisionLogPending(),
    );
    gauge('offerstream_bandit_campaigns', 'Campaigns in the catalog', () => sources.campaigns());
    gauge(
      'offerstream_bandit_shed_share',
      'Share of GetOffers calls answered without features and scoring to shed load (BANDIT_SHED_LAG_MS)',
      () => sources.shedShare(),
    );
  }

  decided(outcome: 'offers' | 'empty' | 'holdout', degraded: readonly DegradedReason[]): void {
    this.decisions.inc({ outcome, degraded: String(degraded.length > 0) });
    for (const r of degraded)
      this.degradedReasons.inc({
        reason: (DegradedReason[r] ?? 'unknown').replace('DEGRADED_REASON_', '').toLowerCase(),
      });
  }

  stage(stage: 'features' | 'scoring' | 'policy', ms: number): void {
    this.stageSeconds.observe({ stage }, ms / 1000);
  }

  rewards(n: number, revision: 'first' | 'revised'): void {
    if (n > 0) this.rewardsTotal.inc({ revision }, n);
  }

  activations(status: 'activated' | 'expired', n: number): void {
    if (n > 0) this.activationsTotal.inc({ status }, n);
  }

  lagMs(ms: number): void {
    this.attributionLag.observe(Math.max(0, ms) / 1000);
  }
}
