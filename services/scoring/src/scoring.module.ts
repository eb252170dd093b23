import { Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModelAnnouncement } from '@offerstream/contracts';
import { loadFeatureSpec, type FeatureSpec } from '@offerstream/features';
import { CompactedTopicFollower, TOPICS, type Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import { METRICS_REGISTRY, type Registry } from '@offerstream/observability';
import { InfrastructureModule, KAFKA, LOGGER, SERVICE_CONFIG } from '@offerstream/service-kit';
import { ModelRegistry } from './model-registry.service';
import { ModelStoreRepository } from './model-store.repository';
import { createSession } from './onnx-session.repository';
import type { ScoringConfig } from './scoring.config';
import { ScoringController } from './scoring.controller';
import { ScoringMetrics } from './scoring.metrics';
import { SCORING_METRICS, SCORING_SPEC } from './scoring.tokens';

/** How long the boot waits for the models topic to be read (then serves, UNAVAILABLE until a model loads). */
const CATCH_UP_MS = 30_000;

/** Follows offerstream.models.v1: every announcement goes to the registry, in order. */
class ModelsLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly follower: CompactedTopicFollower;
  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(SERVICE_CONFIG) cfg: ScoringConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly registry: ModelRegistry,
  ) {
    this.follower = new CompactedTopicFollower(kafka, {
      topic: cfg.KAFKA_TOPIC_PREFIX + TOPICS.models.name,
      // Every replica reads every announcement: its own group, never committed.
      groupId: `offerstream.scoring.${process.pid}.${Date.now().toString(36)}`,
      logger,
      onRecord: (_key, value) => {
        if (value) void this.registry.apply(ModelAnnouncement.decode(value));
      },
    });
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.follower.start();
      if (!(await this.follower.caughtUp(CATCH_UP_MS)))
        this.logger.warn(
          'models topic not read within 30 s; serving UNAVAILABLE until a model loads',
        );
      await this.registry.settled();
    } catch (err) {
      this.logger.error({ err }, 'cannot follow the models topic; retrying in the background');
      void this.follower.start().catch(() => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.follower.stop().catch(() => undefined);
    await this.registry.close();
  }
}

/** The scoring service: ONNX models behind a micro-batching gRPC endpoint. */
@Module({
  imports: [
    InfrastructureModule.forRoot({
      clientId: 'offerstream-scoring',
      kafka: true,
      clickhouse: false,
    }),
  ],
  controllers: [ScoringController],
  providers: [
    {
      provide: SCORING_SPEC,
      inject: [SERVICE_CONFIG],
      useFactory: (cfg: ScoringConfig) => loadFeatureSpec(cfg.SCORING_FEATURE_SPEC_VERSION),
    },
    {
      provide: SCORING_METRICS,
      inject: [METRICS_REGISTRY],
      useFactory: (registry: Registry) => new ScoringMetrics(registry),
    },
    {
      provide: ModelRegistry,
      inject: [SERVICE_CONFIG, SCORING_SPEC, SCORING_METRICS, LOGGER],
      useFactory: (
        cfg: ScoringConfig,
        spec: FeatureSpec,
        metrics: ScoringMetrics,
        logger: Logger,
      ) => {
        const store = new ModelStoreRepository(cfg.MODEL_STORE_URI);
        const providers = cfg.SCORING_EXECUTION_PROVIDER.split(',');
        return new ModelRegistry({
          spec,
          modelName: cfg.SCORING_MODEL_NAME,
          readFiles: (uri) => store.read(uri),
          createSession: async (bytes) => {
            const s = await createSession(
              bytes,
              {
                providers,
                intraOpThreads: cfg.SCORING_INTRA_OP_THREADS,
                interOpThreads: cfg.SCORING_INTER_OP_THREADS,
                graphOptimization: cfg.SCORING_GRAPH_OPTIMIZATION,
                spinWait: cfg.SCORING_SPIN_WAIT,
              },
              (provider, reason) =>
                logger.warn(
                  { provider, reason },
                  'execution provider unavailable; trying the next',
                ),
            );
            logger.info({ provider: s.provider }, 'model session created');
            return s;
          },
          batching: {
            maxBatchRows: cfg.SCORING_MAX_BATCH_ROWS,
            maxQueueDelayUs: cfg.SCORING_MAX_QUEUE_DELAY_US,
            maxQueueRows: Math.max(cfg.SCORING_MAX_QUEUE_ROWS, cfg.SCORING_MAX_BATCH_ROWS),
            maxConcurrentRuns: cfg.SCORING_CONCURRENT_RUNS,
          },
          rollbackErrors: cfg.SCORING_ROLLBACK_ERRORS,
          logger,
          onEvent: (event, model, detail) => {
            metrics.modelEvents.inc({ event });
            if (detail?.provider) metrics.provider.set({ model, provider: detail.provider }, 1);
          },
          onRun: (rows, ms) => {
            metrics.batchRows.observe(rows);
            metrics.inferenceSeconds.observe(ms / 1000);
          },
        });
      },
    },
    ModelsLifecycle,
  ],
})
export class ScoringModule {}
