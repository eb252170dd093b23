import { Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ClickHouseClient } from '@offerstream/clickhouse';
import type { Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import { METRICS_REGISTRY, Readiness, type Registry } from '@offerstream/observability';
import {
  CLICKHOUSE,
  InfrastructureModule,
  KAFKA,
  LOGGER,
  SERVICE_CONFIG,
} from '@offerstream/service-kit';
import type { BanditPolicyConfig } from './bandit-policy.config';
import { BanditRuntime } from './bandit-runtime';
import { BANDIT_RUNTIME } from './bandit.tokens';
import { CampaignsController } from './campaigns/campaigns.controller';
import { OffersController } from './decision/offers.controller';

/** Starts the runtime's consumers and loops with the app, and stops them gracefully. */
class RuntimeLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(BANDIT_RUNTIME) private readonly rt: BanditRuntime) {}
  onModuleInit(): void {
    this.rt.start();
  }
  onApplicationShutdown(): Promise<void> {
    return this.rt.stop();
  }
}

/** The bandit-policy service: OfferService, CampaignService, attribution and learning. */
@Module({
  imports: [
    InfrastructureModule.forRoot({
      clientId: 'offerstream-bandit-policy',
      kafka: true,
      clickhouse: true,
    }),
  ],
  controllers: [OffersController, CampaignsController],
  providers: [
    {
      provide: BANDIT_RUNTIME,
      inject: [SERVICE_CONFIG, KAFKA, CLICKHOUSE, LOGGER, METRICS_REGISTRY, Readiness],
      useFactory: (
        cfg: BanditPolicyConfig,
        kafka: Kafka,
        ch: ClickHouseClient,
        logger: Logger,
        registry: Registry,
        readiness: Readiness,
      ) => new BanditRuntime(cfg, kafka, ch, logger, registry, readiness),
    },
    RuntimeLifecycle,
  ],
})
export class BanditPolicyModule {}
