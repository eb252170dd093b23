import { Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ClickHouseClient } from '@offerstream/clickhouse';
import type { Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import { METRICS_REGISTRY, type Registry } from '@offerstream/observability';
import {
  CLICKHOUSE,
  InfrastructureModule,
  KAFKA,
  LOGGER,
  SERVICE_CONFIG,
} from '@offerstream/service-kit';
import { EventBusRepository, ingestTopics, type IngestTopics } from './event-bus.repository';
import { EventStoreRepository } from './event-store.repository';
import { DEFAULT_POLICY } from './event-validator.service';
import { EventsConsumer } from './events.consumer';
import { HttpIngestController } from './http-ingest.controller';
import type { IngestConfig } from './ingest.config';
import { IngestController } from './ingest.controller';
import { PrometheusIngestMetrics } from './ingest.metrics';
import { IngestPipeline } from './ingest-pipeline.service';
import { EVENT_BUS, INGEST_METRICS, INGEST_TOPICS } from './ingest.tokens';
import { RecentIds } from '@offerstream/events';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

/** Connects the producer before traffic and disconnects it after the servers closed. */
class EventBusLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(EVENT_BUS) private readonly bus: EventBusRepository) {}
  onModuleInit(): void {
    // Connecting must not block the boot while Kafka is down; sends connect on demand.
    this.bus.connect().catch(() => undefined);
  }
  onApplicationShutdown(): Promise<void> {
    return this.bus.disconnect();
  }
}

/** Runs the retention job on a schedule while the service is up. */
class RetentionLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly job: RetentionService | undefined;
  constructor(
    @Inject(SERVICE_CONFIG) cfg: IngestConfig,
    @Inject(CLICKHOUSE) ch: ClickHouseClient,
    @Inject(LOGGER) logger: Logger,
  ) {
    if (!cfg.INGEST_RETENTION_ENABLED) return;
    const events = cfg.INGEST_RETENTION_EVENTS_DAYS;
    const aggregates = cfg.INGEST_RETENTION_AGGREGATES_DAYS;
    this.job = new RetentionService(new RetentionRepository(ch), logger, {
      intervalMs: cfg.INGEST_RETENTION_INTERVAL_MINUTES * 60_000,
      tables: [
        { name: 'events', partitionBy: 'day', maxAgeDays: events },
        { name: 'event_dedup', partitionBy: 'day', maxAgeDays: events },
        ...['user_hourly', 'item_hourly', 'offer_hourly', 'offer_hourly_users'].map((name) => ({
          name,
          partitionBy: 'month' as const,
          maxAgeDays: aggregates,
        })),
      ],
    });
  }
  onModuleInit(): void {
    this.job?.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.job?.stop();
  }
}

/** The ingest service: three ways in (Kafka, gRPC, HTTP), one pipeline. */
@Module({
  imports: [
    InfrastructureModule.forRoot({ clientId: 'offerstream-ingest', kafka: true, clickhouse: true }),
  ],
  controllers: [IngestController, HttpIngestController],
  providers: [
    {
      provide: INGEST_TOPICS,
      inject: [SERVICE_CONFIG],
      useFactory: (cfg: IngestConfig) => ingestTopics(cfg.KAFKA_TOPIC_PREFIX),
    },
    {
      provide: INGEST_METRICS,
      inject: [METRICS_REGISTRY],
      useFactory: (registry: Registry) => new PrometheusIngestMetrics(registry),
    },
    {
      provide: EVENT_BUS,
      inject: [KAFKA, INGEST_TOPICS],
      useFactory: (kafka: Kafka, topics: IngestTopics) => EventBusRepository.create(kafka, topics),
    },
    {
      provide: IngestPipeline,
      inject: [SERVICE_CONFIG, EVENT_BUS, CLICKHOUSE, INGEST_METRICS, LOGGER],
      useFactory: (
        cfg: IngestConfig,
        bus: EventBusRepository,
        ch: ClickHouseClient,
        metrics: PrometheusIngestMetrics,
        logger: Logger,
      ) =>
        new IngestPipeline({
          bus,
          store: new EventStoreRepository(ch),
          recent: new RecentIds(
            cfg.INGEST_DEDUP_MEMORY_KEYS,
            cfg.INGEST_DEDUP_MEMORY_MINUTES * 60_000,
          ),
          metrics,
          logger,
          policy: {
            ...DEFAULT_POLICY,
            maxAgeMs: cfg.INGEST_MAX_EVENT_AGE_HOURS * 3_600_000,
            maxFutureSkewMs: cfg.INGEST_MAX_FUTURE_SKEW_SECONDS * 1000,
            maxEventBytes: cfg.INGEST_MAX_EVENT_BYTES,
          },
          now: Date.now,
          serviceVersion: process.env.npm_package_version ?? '0.1.0',
          dedupWindowMs: cfg.INGEST_DEDUP_MEMORY_MINUTES * 60_000,
          dedupMaxKeys: cfg.INGEST_DEDUP_MEMORY_KEYS,
        }),
    },
    EventBusLifecycle,
    RetentionLifecycle,
    EventsConsumer,
  ],
})
export class IngestModule {}
