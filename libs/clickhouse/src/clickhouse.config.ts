import type { ConfigOf } from '@offerstream/config';
import { env } from '@offerstream/config';

/** The variables every ClickHouse user reads. */
export const clickhouseVars = {
  CLICKHOUSE_URL: env.url({
    doc: 'ClickHouse HTTP endpoint (the HTTP interface, port 8123 by default)',
    default: 'http://127.0.0.1:8123',
    protocols: ['http', 'https'],
  }),
  CLICKHOUSE_USER: env.string({ doc: 'ClickHouse user', default: 'default' }),
  CLICKHOUSE_PASSWORD: env.string({
    doc: 'ClickHouse password (from a Secret in Kubernetes; empty for the local stack)',
    optional: true,
    secret: true,
  }),
  CLICKHOUSE_DATABASE: env.string({
    doc: 'Database holding offerstream tables',
    default: 'offerstream',
    pattern: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
    patternRule: 'must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)',
  }),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: env.int({
    doc: 'Timeout for one ClickHouse request, in milliseconds',
    default: '30000',
    min: 100,
    max: 600000,
  }),
} as const;

export type ClickHouseConfig = ConfigOf<typeof clickhouseVars>;
