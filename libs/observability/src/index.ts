export { createMetricsRegistry, grpcServerHistogram } from './metrics';
export { ObservabilityModule } from './observability.module';
export { METRICS_REGISTRY, ProbesController } from './probes.controller';
export { Readiness } from './readiness';
export type { ReadinessCheck, ReadinessReport } from './readiness';
export { Registry } from 'prom-client';
