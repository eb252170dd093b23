import { env, type ConfigOf } from '@offerstream/config';
import { LOG_LEVELS } from '@offerstream/logging';

/** Variables every offerstream service reads. */
export const serviceVars = {
  LOG_LEVEL: env.oneOf(LOG_LEVELS, { doc: 'Log level', default: 'info' }),
  GRPC_HOST: env.string({ doc: 'Address the gRPC server binds to', default: '0.0.0.0' }),
  GRPC_PORT: env.port({ doc: 'gRPC port (0 picks a free one)', default: '50051' }),
  HTTP_PORT: env.port({
    doc: 'HTTP port for /metrics, /healthz, /readyz (0 picks a free one)',
    default: '8080',
  }),
  SHUTDOWN_DRAIN_DELAY_MS: env.int({
    doc: 'After SIGTERM, how long to keep serving while reporting not-ready (lets load balancers stop routing)',
    default: '0',
    min: 0,
    max: 60000,
  }),
  SHUTDOWN_TIMEOUT_MS: env.int({
    doc: 'Hard limit for a graceful shutdown; in-flight calls are cancelled after it',
    default: '10000',
    min: 100,
    max: 120000,
  }),
  V8_ALLOCATION_SITE_PRETENURING: env.bool({
    doc: "V8's allocation-site pretenuring. Off by default: requests that wait for a cold load make V8 pretenure the request path's allocation sites for good, and every later short-lived request object then lands in the old generation (feature service at 1,000 GetFeatures/s: 66 % instead of 43 % CPU, scavenges of 4-6 ms instead of 1)",
    default: 'false',
  }),
} as const;

export type ServiceConfig = ConfigOf<typeof serviceVars>;
