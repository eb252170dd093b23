import { clickhouseVars } from '@offerstream/clickhouse';
import { env, type ConfigOf } from '@offerstream/config';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the ingest service reads (on top of the common service variables). */
export const ingestVars = {
  ...kafkaVars,
  ...clickhouseVars,
  INGEST_CONSUMER_GROUP: env.string({
    doc: 'Consumer group of the pipeline that reads offerstream.events.v1',
    default: 'offerstream.ingest',
  }),
  INGEST_SESSION_TIMEOUT_MS: env.int({
    doc: 'Kafka group session timeout: how soon partitions of a dead instance move to another',
    default: '30000',
    min: 6000,
    max: 300000,
  }),
  INGEST_PARTITIONS_CONCURRENCY: env.int({
    doc: 'Partitions handled at the same time by one instance (their chunks are coalesced into one batch)',
    default: '12',
    min: 1,
    max: 64,
  }),
  INGEST_MAX_CHUNK: env.int({
    doc: 'Most records of one partition handled as one chunk before its offset commit',
    default: '5000',
    min: 1,
    max: 100000,
  }),
  INGEST_BATCH_MAX_EVENTS: env.int({
    doc: 'A batch (one produce to events.valid.v1, one ClickHouse insert) is flushed once this many records from any partitions are waiting',
    default: '20000',
    min: 1,
    max: 200000,
  }),
  INGEST_BATCH_LINGER_MS: env.int({
    doc: "Longest the first waiting chunk waits for other partitions' chunks before a batch is flushed",
    default: '20',
    min: 0,
    max: 5000,
  }),
  INGEST_MAX_EVENT_AGE_HOURS: env.int({
    doc: 'Oldest accepted event_time, in hours before now',
    default: '168',
    min: 1,
    max: 24 * 365,
  }),
  INGEST_MAX_FUTURE_SKEW_SECONDS: env.int({
    doc: 'Largest accepted event_time ahead of the ingest clock, in seconds',
    default: '300',
    min: 0,
    max: 86400,
  }),
  INGEST_MAX_EVENT_BYTES: env.int({
    doc: 'Largest accepted encoded event, in bytes',
    default: '16384',
    min: 256,
    max: 1048576,
  }),
  INGEST_DEDUP_MEMORY_KEYS: env.int({
    doc: 'Recently seen event ids kept in memory (the fast path of de-duplication)',
    default: '1000000',
    min: 1000,
    max: 50000000,
  }),
  INGEST_DEDUP_MEMORY_MINUTES: env.int({
    doc: 'How long an id stays in the in-memory de-duplication window',
    default: '60',
    min: 1,
    max: 10080,
  }),
  INGEST_MAX_REQUEST_EVENTS: env.int({
    doc: 'Most events in one gRPC or HTTP request',
    default: '500',
    min: 1,
    max: 10000,
  }),
  INGEST_HTTP_MAX_BODY_BYTES: env.int({
    doc: 'Largest HTTP POST /v1/events body, in bytes (larger: 413)',
    default: '4194304',
    min: 1024,
    max: 67108864,
  }),
  INGEST_RETENTION_ENABLED: env.bool({
    doc: 'Drop old partitions on a schedule (ClickHouse 18.16 has no TTL); run it on one instance',
    default: 'true',
  }),
  INGEST_RETENTION_EVENTS_DAYS: env.int({
    doc: 'Days of raw events (and de-duplication keys) kept',
    default: '90',
    min: 1,
    max: 3650,
  }),
  INGEST_RETENTION_AGGREGATES_DAYS: env.int({
    doc: 'Days of hourly aggregates kept (dropped a whole month at a time)',
    default: '730',
    min: 31,
    max: 3650,
  }),
  INGEST_RETENTION_INTERVAL_MINUTES: env.int({
    doc: 'How often the retention job runs',
    default: '60',
    min: 1,
    max: 1440,
  }),
} as const;

export type IngestConfig = ConfigOf<typeof ingestVars>;
