export { clickhouseCheck, kafkaCheck } from './dependency-checks';
export { configReference, runService, startService } from './run-service';
export type { FullConfig, RunningService, ServiceDefinition } from './run-service';
export { serviceVars } from './service.config';
export type { ServiceConfig } from './service.config';
export { LOGGER, SERVICE_CONFIG } from './tokens';
export { CLICKHOUSE, InfrastructureModule, KAFKA, KAFKA_ADMIN } from './infrastructure.module';
export type { InfrastructureOptions } from './infrastructure.module';
