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
import { RecentIds } from './recent-ids';

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
        }),
    },
    EventBusLifecycle,
    EventsConsumer,
  ],
})
export class IngestModule {}
