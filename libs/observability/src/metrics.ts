import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** A Prometheus registry with process metrics and the service name as a default label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency of served gRPC calls by method and status code. */
export function grpcServerHistogram(registry: Registry): Histogram<'method' | 'code'> {
  return new Histogram({
    name: 'offerstream_grpc_server_handling_seconds',
    help: 'Time to answer a gRPC call, by method and status code',
    labelNames: ['method', 'code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
}
