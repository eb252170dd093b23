import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FeatureStateService } from './feature-state.service';

/** Prometheus metrics of the feature service. */
export class FeatureMetrics {
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly freshness: Histogram;
  readonly undecodable: Counter;
  readonly unapplicable: Counter;
  readonly requests: Counter<'source' | 'stale' | 'cold_start'>;

  constructor(registry: Registry, state: () => FeatureStateService | undefined) {
    const registers = [registry];
    this.lag = new Gauge({
      name: 'offerstream_feature_consumer_lag',
      help: 'Records of events.valid.v1 not yet applied, per partition',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.freshness = new Histogram({
      name: 'offerstream_feature_event_age_seconds',
      help: 'Age of events (now − event_time) when applied to the in-memory state',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300],
      registers,
    });
    this.undecodable = new Counter({
      name: 'offerstream_feature_undecodable_records_total',
      help: 'Records on events.valid.v1 that are not Events (skipped)',
      registers,
    });
    this.unapplicable = new Counter({
      name: 'offerstream_feature_unapplicable_events_total',
      help: 'Events on events.valid.v1 the feature state cannot hold (e.g. a time over 15,000 years from 1970; skipped)',
      registers,
    });
    this.requests = new Counter({
      name: 'offerstream_feature_requests_total',
      help: 'GetFeatures answers by source of the user values, staleness and cold start',
      labelNames: ['source', 'stale', 'cold_start'],
      registers,
    });
    const gauge = (name: string, help: string, read: (s: FeatureStateService) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = state();
          if (s) this.set(read(s));
        },
      });
    gauge('offerstream_feature_users_in_memory', 'Users held in memory', (s) => s.counts.users);
    gauge('offerstream_feature_items_in_memory', 'Items held in memory', (s) => s.counts.items);
    gauge('offerstream_feature_offers_in_memory', 'Offers held in memory', (s) => s.counts.offers);
    gauge(
      'offerstream_feature_users_evicted',
      'Users evicted from memory since start',
      (s) => s.counts.evictedUsers,
    );
    gauge('offerstream_feature_events_applied', 'Events applied since start', (s) => s.applied);
    gauge(
      'offerstream_feature_events_duplicate',
      'Re-delivered events dropped since start',
      (s) => s.duplicates,
    );
    gauge(
      'offerstream_feature_user_loads',
      'Users loaded from ClickHouse since start',
      (s) => s.userLoads,
    );
    gauge(
      'offerstream_feature_user_prefetches',
      'User loads since start that a streamed event started (FEATURE_PREFETCH_USERS)',
      (s) => s.userPrefetches,
    );
    gauge(
      'offerstream_feature_user_loads_shed',
      'User loads refused since start because too many were running',
      (s) => s.loadsShed,
    );
    gauge(
      'offerstream_feature_user_loads_inconsistent',
      'User loads since start whose hourly aggregates never caught up with the raw events',
      (s) => s.inconsistentLoads,
    );
  }
}
