import { Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ClickHouseClient } from '@offerstream/clickhouse';
import { AggregatesRepository } from '@offerstream/events';
import { loadFeatureSpec, type FeatureSpec } from '@offerstream/features';
import { CompactedTopicFollower, TOPICS, type Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import { METRICS_REGISTRY, type Registry } from '@offerstream/observability';
import {
  CLICKHOUSE,
  InfrastructureModule,
  KAFKA,
  LOGGER,
  SERVICE_CONFIG,
} from '@offerstream/service-kit';
import { CampaignCatalog } from './campaign-catalog.service';
import { FeatureEventsConsumer } from './events.consumer';
import type { FeatureConfig } from './feature.config';
import { FeatureMetrics } from './feature.metrics';
import { FeatureStateService } from './feature-state.service';
import { FeatureStoreRepository } from './feature-store.repository';
import { FEATURE_METRICS, FEATURE_SPECS } from './feature.tokens';
import { FeaturesController } from './features.controller';

/** Follows the campaign catalog (the compacted campaigns.v1) while the service is up. */
class CatalogLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly repo: CompactedTopicFollower;
  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(SERVICE_CONFIG) cfg: FeatureConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    catalog: CampaignCatalog,
  ) {
    this.repo = new CompactedTopicFollower(kafka, {
      topic: cfg.KAFKA_TOPIC_PREFIX + TOPICS.campaigns.name,
      groupId: `${cfg.FEATURE_CONSUMER_GROUP}.catalog`,
      logger,
      onRecord: (key, value, position) => catalog.apply(key, value, position),
    });
  }
  onModuleInit(): void {
    // Must not block the boot while Kafka is down.
    this.repo
      .start()
      .catch((err: unknown) => this.logger.error({ err }, 'campaign catalog reader failed'));
  }
  onApplicationShutdown(): Promise<void> {
    return this.repo.stop();
  }
}

let current: FeatureStateService | undefined;

/** The feature service: GetFeatures from a bounded in-memory state over ClickHouse. */
@Module({
  imports: [
    InfrastructureModule.forRoot({
      clientId: 'offerstream-feature',
      kafka: true,
      clickhouse: true,
    }),
  ],
  controllers: [FeaturesController],
  providers: [
    {
      provide: FEATURE_SPECS,
      inject: [SERVICE_CONFIG],
      useFactory: (cfg: FeatureConfig): ReadonlyMap<string, FeatureSpec> => {
        const spec = loadFeatureSpec(cfg.FEATURE_SPEC_VERSION);
        return new Map([[spec.version, spec]]);
      },
    },
    {
      provide: FEATURE_METRICS,
      inject: [METRICS_REGISTRY],
      useFactory: (registry: Registry) => new FeatureMetrics(registry, () => current),
    },
    CampaignCatalog,
    {
      provide: FeatureStateService,
      inject: [SERVICE_CONFIG, FEATURE_SPECS, CLICKHOUSE, LOGGER],
      useFactory: (
        cfg: FeatureConfig,
        specs: ReadonlyMap<string, FeatureSpec>,
        ch: ClickHouseClient,
        logger: Logger,
      ) => {
        const repo = new FeatureStoreRepository(ch);
        const aggregates = new AggregatesRepository(ch);
        current = new FeatureStateService(
          specs.get(cfg.FEATURE_SPEC_VERSION)!,
          {
            loadUsers: (s, ids, o) => repo.loadUsers(s, ids, o),
            loadItems: (s, ids, from) => repo.loadItems(s, ids, from),
            loadOffers: (s, offers, from) => repo.loadOffers(s, offers, from),
            campaignSpent: (s, ids) => repo.campaignSpent(s, ids),
            storedEventKeys: (keys) => aggregates.existingEventIds(keys),
          },
          {
            maxUsers: cfg.FEATURE_MAX_USERS,
            maxItems: cfg.FEATURE_MAX_ITEMS,
            maxOffers: cfg.FEATURE_MAX_OFFERS,
            tailMs: cfg.FEATURE_TAIL_SECONDS * 1000,
            dedupKeys: cfg.FEATURE_DEDUP_KEYS,
            retryLoadAfterMs: 1000,
            maxConcurrentLoads: cfg.FEATURE_MAX_CONCURRENT_LOADS,
            prefetchUsers: cfg.FEATURE_PREFETCH_USERS,
          },
          logger,
        );
        return current;
      },
    },
    CatalogLifecycle,
    FeatureEventsConsumer,
  ],
})
export class FeatureModule {}
