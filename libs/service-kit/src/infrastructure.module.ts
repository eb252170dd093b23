import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  clickhouseOptionsFrom,
  createClickHouse,
  type ClickHouseClient,
  type ClickHouseConfig,
} from '@offerstream/clickhouse';
import { createKafka, type Kafka, type KafkaConfig } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import { Readiness } from '@offerstream/observability';
import type { Admin } from 'kafkajs';
import { clickhouseCheck, kafkaCheck } from './dependency-checks';
import { LOGGER, SERVICE_CONFIG } from './tokens';

const INFRA_OPTIONS = Symbol('INFRA_OPTIONS');

/** DI token: the kafkajs client. */
export const KAFKA = Symbol('KAFKA');
/** DI token: a connected Kafka admin client (readiness, provisioning). */
export const KAFKA_ADMIN = Symbol('KAFKA_ADMIN');
/** DI token: the ClickHouse client. */
export const CLICKHOUSE = Symbol('CLICKHOUSE');

export interface InfrastructureOptions {
  readonly clientId: string;
  readonly kafka?: boolean;
  readonly clickhouse?: boolean;
}

/**
 * Connections to Kafka and ClickHouse for a service, with readiness checks registered and
 * the connections closed last on shutdown (after the gRPC server and consumers stopped).
 */
@Module({})
export class InfrastructureModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly readiness: Readiness,
    @Inject(INFRA_OPTIONS) private readonly opts: InfrastructureOptions,
  ) {}

  static forRoot(opts: InfrastructureOptions): DynamicModule {
    const providers: Provider[] = [{ provide: INFRA_OPTIONS, useValue: opts }];
    if (opts.kafka) {
      providers.push(
        {
          provide: KAFKA,
          inject: [SERVICE_CONFIG, LOGGER],
          useFactory: (cfg: KafkaConfig, logger: Logger) => createKafka(cfg, opts.clientId, logger),
        },
        {
          provide: KAFKA_ADMIN,
          inject: [KAFKA],
          // Not connected here: a service must boot (and report not-ready) while Kafka is down.
          useFactory: (kafka: Kafka) => kafka.admin(),
        },
      );
    }
    if (opts.clickhouse) {
      providers.push({
        provide: CLICKHOUSE,
        inject: [SERVICE_CONFIG],
        useFactory: (cfg: ClickHouseConfig) =>
          createClickHouse(clickhouseOptionsFrom(cfg, opts.clientId)),
      });
    }
    return {
      module: InfrastructureModule,
      global: true,
      providers,
      exports: providers.map((p) => (p as { provide: symbol }).provide),
    };
  }

  onModuleInit(): void {
    if (this.opts.kafka) this.readiness.add(kafkaCheck(this.moduleRef.get<Admin>(KAFKA_ADMIN)));
    if (this.opts.clickhouse)
      this.readiness.add(clickhouseCheck(this.moduleRef.get<ClickHouseClient>(CLICKHOUSE)));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.opts.kafka) await this.moduleRef.get<Admin>(KAFKA_ADMIN).disconnect();
    if (this.opts.clickhouse) await this.moduleRef.get<ClickHouseClient>(CLICKHOUSE).close();
  }
}
