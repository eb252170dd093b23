import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Coalescer, DurableConsumer, type Kafka, type KafkaMessage } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import { KAFKA, LOGGER, SERVICE_CONFIG } from '@offerstream/service-kit';
import type { IngestConfig } from './ingest.config';
import { IngestPipeline, type IncomingRecord } from './ingest-pipeline.service';
import { INGEST_METRICS, INGEST_TOPICS } from './ingest.tokens';
import type { IngestTopics } from './event-bus.repository';
import type { PrometheusIngestMetrics } from './ingest.metrics';

function header(m: KafkaMessage, name: string): string | undefined {
  const v = m.headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

/**
 * The Kafka edge of ingest: reads offerstream.events.v1 in the ingest consumer group and
 * hands the chunks of the partitions in hand to the pipeline as one batch; offsets are committed only after the pipeline's
 * produce and insert are durable. Stops first on shutdown, so the chunk in hand finishes.
 */
@Injectable()
export class EventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: DurableConsumer | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(SERVICE_CONFIG) private readonly cfg: IngestConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(INGEST_TOPICS) private readonly topics: IngestTopics,
    @Inject(INGEST_METRICS) private readonly metrics: PrometheusIngestMetrics,
    private readonly pipeline: IngestPipeline,
  ) {}

  onApplicationBootstrap(): void {
    // The chunks of all partitions in hand become one batch: one produce, one insert.
    const batches = new Coalescer<IncomingRecord>(
      (records) => this.pipeline.processRecords(records),
      {
        maxItems: this.cfg.INGEST_BATCH_MAX_EVENTS,
        lingerMs: this.cfg.INGEST_BATCH_LINGER_MS,
      },
    );
    this.consumer = new DurableConsumer(this.kafka, {
      groupId: this.cfg.INGEST_CONSUMER_GROUP,
      topics: [this.topics.raw],
      logger: this.logger,
      maxChunkMessages: this.cfg.INGEST_MAX_CHUNK,
      sessionTimeoutMs: this.cfg.INGEST_SESSION_TIMEOUT_MS,
      onGroupJoin: () => this.pipeline.partitionsAssigned(),
      partitionsConsumedConcurrently: this.cfg.INGEST_PARTITIONS_CONCURRENCY,
      onBatch: (topic, partition, lag) =>
        this.metrics.lag.set({ topic, partition: String(partition) }, Number(lag)),
      handler: (messages, ctx) =>
        batches.submit(
          messages.map((m): IncomingRecord => ({
            payload: m.value,
            contentType: header(m, 'content-type'),
            topic: ctx.topic,
            partition: ctx.partition,
            offset: m.offset,
          })),
        ),
    });
    // Joining the group must not block the boot: readiness reports Kafka meanwhile.
    this.consumer.startInBackground();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }
}
