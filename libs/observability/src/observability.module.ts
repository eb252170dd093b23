import { Module, type DynamicModule } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY, ProbesController } from './probes.controller';
import { Readiness } from './readiness';

/** Registers the probe and metrics endpoints with the given registry and readiness tracker. */
@Module({})
export class ObservabilityModule {
  static forRoot(registry: Registry, readiness: Readiness): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      controllers: [ProbesController],
      providers: [
        { provide: METRICS_REGISTRY, useValue: registry },
        { provide: Readiness, useValue: readiness },
      ],
      exports: [METRICS_REGISTRY, Readiness],
    };
  }
}
