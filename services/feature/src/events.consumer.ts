import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Event } from '@offerstream/contracts';
import { toFeatureEvent } from '@offerstream/features';
import { DurableConsumer, TOPICS, type Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import { KAFKA, LOGGER, SERVICE_CONFIG } from '@offerstream/service-kit';
import type { FeatureConfig } from './feature.config';
import { FeatureStateService } from './feature-state.service';
import { FEATURE_METRICS } from './feature.tokens';
import type { FeatureMetrics } from './feature.metrics';

/**
 * Keeps the in-memory state fresh from `offerstream.events.valid.v1`. Every instance reads
 * the whole stream (its own group): items and offers are global, and any instance may be
 * asked about any user. A new group starts at the end of the topic: history comes from
 * ClickHouse, so nothing is replayed at start.
 */
@Injectable()
export class FeatureEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: DurableConsumer | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(SERVICE_CONFIG) private readonly cfg: FeatureConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(FEATURE_METRICS) private readonly metrics: FeatureMetrics,
    private readonly state: FeatureStateService,
  ) {}

  onApplicationBootstrap(): void {
    const topic = this.cfg.KAFKA_TOPIC_PREFIX + TOPICS.eventsValid.name;
    this.consumer = new DurableConsumer(this.kafka, {
      groupId: this.cfg.FEATURE_CONSUMER_GROUP,
      topics: [topic],
      fromBeginning: false,
      logger: this.logger,
      maxChunkMessages: 5000,
      partitionsConsumedConcurrently: 4,
      maxWaitTimeMs: 100,
      onBatch: (t, partition, lag) =>
        this.metrics.lag.set({ topic: t, partition: String(partition) }, Number(lag)),
      // eslint-disable-next-line @typescript-eslint/require-await -- applying is in-memory and synchronous
      handler: async (messages) => {
        for (const m of messages) {
          let e: Event;
          try {
            e = Event.decode(m.value ?? Buffer.alloc(0));
          } catch (err) {
            // Ingest wrote it, so this is a bug or a foreign producer: skip, never stall.
            this.logger.error(
              { err, offset: m.offset },
              'undecodable record on the valid topic; skipped',
            );
            this.metrics.undecodable.inc();
            continue;
          }
          try {
            this.state.apply(e.shopId, e.userId, toFeatureEvent(e));
          } catch (err) {
            // Ingest validated it, so this is a bug or a foreign producer: skip, never stall
            // the partition on it (applying is in-memory: it fails the same way every time).
            this.logger.error(
              { err, offset: m.offset, eventId: e.eventId },
              'event on the valid topic the feature state cannot apply; skipped',
            );
            this.metrics.unapplicable.inc();
            continue;
          }
          const t = e.eventTime?.getTime();
          if (t !== undefined) this.metrics.freshness.observe(Math.max(0, Date.now() - t) / 1000);
        }
      },
    });
    this.consumer.startInBackground();
  }

  /** Waits until the consumer joined its group (tests, readiness). */
  async waitForAssignment(timeoutMs: number): Promise<void> {
    await this.consumer?.waitForAssignment(timeoutMs);
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }
}
