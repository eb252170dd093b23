import 'reflect-metadata';
import {
  Global,
  Module,
  type DynamicModule,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import {
  ConfigError,
  describeConfig,
  loadConfig,
  type ConfigOf,
  type EnvSpec,
} from '@offerstream/config';
import {
  PROTO_FILES,
  protoRoot,
  SERVICE_DEFINITIONS,
  type ServiceName,
} from '@offerstream/contracts';
import { status } from '@grpc/grpc-js';
import { GrpcExceptionFilter, GrpcHost, type GrpcStatusMapper } from '@offerstream/grpc';
import { createLogger, PinoNestLogger, type Logger } from '@offerstream/logging';
import {
  createMetricsRegistry,
  grpcServerHistogram,
  ObservabilityModule,
  Readiness,
  type Registry,
} from '@offerstream/observability';
import { serviceVars, type ServiceConfig } from './service.config';
import { LOGGER, SERVICE_CONFIG } from './tokens';

export interface ServiceDefinition<S extends EnvSpec> {
  /** Short name: 'ingest', 'feature', 'scoring', 'bandit-policy'. */
  readonly name: string;
  readonly version?: string;
  /** The service's own root module. */
  readonly module: Type<unknown> | DynamicModule;
  /** The gRPC services it serves (health reports each; reflection lists all). */
  readonly grpcServices: readonly ServiceName[];
  /** Its own variables, on top of `serviceVars`. */
  readonly env: S;
  /** Its domain-error mappers (one per exception family it owns). */
  readonly errorMappers?: readonly GrpcStatusMapper[];
}

export type FullConfig<S extends EnvSpec> = ServiceConfig & ConfigOf<S>;

export interface RunningService<S extends EnvSpec> {
  readonly app: INestApplication;
  readonly config: FullConfig<S>;
  readonly logger: Logger;
  readonly readiness: Readiness;
  readonly registry: Registry;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Graceful stop: not-ready, drain, close servers and modules. Idempotent. */
  stop(reason?: string): Promise<void>;
}

/** Boots a service: config, logging, gRPC with health + reflection, HTTP probes/metrics. */
export async function startService<S extends EnvSpec>(
  def: ServiceDefinition<S>,
  envVars: Readonly<Record<string, string | undefined>> = process.env,
): Promise<RunningService<S>> {
  const config = loadConfig({ ...serviceVars, ...def.env }, envVars) as FullConfig<S>;
  // A heap policy V8 reads at each garbage collection, set before any traffic (see the variable).
  if (!config.V8_ALLOCATION_SITE_PRETENURING)
    setFlagsFromString('--no-allocation-site-pretenuring');
  const logger = createLogger({
    service: def.name,
    level: config.LOG_LEVEL,
    ...(def.version ? { version: def.version } : {}),
  });
  const registry = createMetricsRegistry(def.name);
  const readiness = new Readiness();

  @Global()
  @Module({
    providers: [
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
    ],
    exports: [SERVICE_CONFIG, LOGGER],
  })
  class CoreModule {}

  @Module({ imports: [CoreModule, ObservabilityModule.forRoot(registry, readiness), def.module] })
  class RootModule {}

  const app = await NestFactory.create(RootModule, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // HTTP endpoints read their own bodies with their own limits (e.g. POST /v1/events).
    bodyParser: false,
  });
  const mappers = def.errorMappers ?? [];
  // HTTP endpoints (probes, metrics, ingest's POST /v1/events) keep Nest's exception filter.
  app.useGlobalFilters(new GrpcExceptionFilter(logger, mappers));
  const histogram = grpcServerHistogram(registry);
  const grpc = new GrpcHost({
    url: `${config.GRPC_HOST}:${config.GRPC_PORT}`,
    protoPath: [...PROTO_FILES],
    includeDirs: [protoRoot()],
    serviceNames: def.grpcServices,
    definitions: SERVICE_DEFINITIONS,
    mappers,
    shutdownGraceMs: Math.max(
      100,
      config.SHUTDOWN_TIMEOUT_MS - config.SHUTDOWN_DRAIN_DELAY_MS - 500,
    ),
    onCall: (method, code, seconds) => histogram.observe({ method, code: status[code] }, seconds),
    onUnexpected: (err, method) =>
      logger.error({ err, method }, 'unexpected error in gRPC handler'),
  });
  await app.init();
  // Every controller a ts-proto *ControllerMethods() decorator marked serves its methods
  // straight from grpc-js (no per-call framework pipeline).
  for (const module of app.get(ModulesContainer).values())
    for (const wrapper of module.controllers.values())
      if (wrapper.instance) grpc.bind(wrapper.instance);
  const grpcPort = await grpc.listen();
  await app.listen(config.HTTP_PORT, config.GRPC_HOST);
  const httpPort = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  grpc.setServing('SERVING');
  logger.info({ grpcPort, httpPort, services: def.grpcServices }, `${def.name} is serving`);

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down: draining');
      readiness.startDraining();
      grpc.setServing('NOT_SERVING');
      if (config.SHUTDOWN_DRAIN_DELAY_MS > 0) {
        await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_DELAY_MS));
      }
      await grpc.close();
      await app.close();
      logger.info('shut down cleanly');
      logger.flush();
    })();
    return stopping;
  };

  return { app, config, logger, readiness, registry, grpcPort, httpPort, stop };
}

/**
 * The `main` of a service process: boots it, stops gracefully on SIGTERM/SIGINT within
 * SHUTDOWN_TIMEOUT_MS, and exits 0 on a clean stop, 78 on bad config, 1 otherwise.
 */
export function runService<S extends EnvSpec>(def: ServiceDefinition<S>): void {
  if (process.argv.includes('--config-reference')) {
    process.stdout.write(configReference(def.name, { ...serviceVars, ...def.env }));
    return;
  }
  startService(def).then(
    (svc) => {
      const onSignal = (signal: NodeJS.Signals) => {
        const hard = setTimeout(() => {
          svc.logger.error({ signal }, 'graceful shutdown timed out; exiting');
          process.exit(1);
        }, svc.config.SHUTDOWN_TIMEOUT_MS);
        hard.unref();
        svc.stop(signal).then(
          () => process.exit(0),
          (err: unknown) => {
            svc.logger.error({ err }, 'error during shutdown');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    },
    (err: unknown) => {
      if (err instanceof ConfigError) {
        process.stderr.write(`${def.name}: ${err.message}\n`);
        process.exit(78);
      }
      process.stderr.write(
        `${def.name} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}

/** The Markdown configuration reference of a service (what `main.js --config-reference` prints). */
export function configReference(name: string, spec: EnvSpec): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = describeConfig(spec).map(
    (r) =>
      `| \`${r.variable}\` | ${r.required ? 'required' : r.defaultValue === '' ? 'optional' : `\`${cell(r.defaultValue)}\``} | ${cell(r.doc)}${r.secret ? ' (secret)' : ''} |`,
  );
  return [
    `## ${name}`,
    '',
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
    '',
  ].join('\n');
}
