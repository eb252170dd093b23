import { hostname } from 'node:os';
import { clickhouseVars } from '@offerstream/clickhouse';
import { env, type ConfigOf } from '@offerstream/config';
import { CURRENT_SPEC_VERSION } from '@offerstream/features';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the feature service reads (on top of the common service variables). */
export const featureVars = {
  ...kafkaVars,
  ...clickhouseVars,
  FEATURE_SPEC_VERSION: env.string({
    doc: 'Feature spec served when a request names none (libs/features/spec/<version>.json)',
    default: CURRENT_SPEC_VERSION,
  }),
  FEATURE_CONSUMER_GROUP: env.string({
    doc: 'Consumer group of this instance on offerstream.events.valid.v1 (each instance reads the whole stream; default: per host)',
    default: `offerstream.feature.${hostname()}`,
  }),
  FEATURE_MAX_USERS: env.int({
    doc: 'Users kept in memory; the least recently requested are evicted and reloaded from ClickHouse on demand',
    default: '200000',
    min: 100,
    max: 50_000_000,
  }),
  FEATURE_MAX_ITEMS: env.int({
    doc: 'Items kept in memory (least recently requested evicted)',
    default: '200000',
    min: 100,
    max: 50_000_000,
  }),
  FEATURE_MAX_OFFERS: env.int({
    doc: 'Offers kept in memory (least recently requested evicted)',
    default: '20000',
    min: 100,
    max: 5_000_000,
  }),
  FEATURE_MAX_CANDIDATES: env.int({
    doc: 'Most candidates in one GetFeatures call (more: INVALID_ARGUMENT naming the limit)',
    default: '500',
    min: 1,
    max: 5000,
  }),
  FEATURE_TAIL_SECONDS: env.int({
    doc: 'Streamed events kept this long to be merged into users loaded after them (covers ingest publishing before it stores)',
    default: '60',
    min: 1,
    max: 3600,
  }),
  FEATURE_DEDUP_KEYS: env.int({
    doc: 'Event ids remembered to drop re-deliveries of events.valid.v1',
    default: '300000',
    min: 1000,
    max: 50_000_000,
  }),
  FEATURE_MAX_CONCURRENT_LOADS: env.int({
    doc: 'Users queued for or being loaded from ClickHouse (read in batches of up to 100); beyond it a new user is answered from memory (stale) instead of queueing',
    default: '256',
    min: 1,
    max: 1024,
  }),
  FEATURE_PREFETCH_USERS: env.bool({
    doc: 'Whether a streamed event of a user not in memory starts loading that user from ClickHouse (while fewer than half of FEATURE_MAX_CONCURRENT_LOADS run), so that their first GetFeatures, a page or two later, finds them loaded instead of answering stale. It costs a load for every new user on the stream, asked for or not (in bench-features, 20,000 streamed users loaded while the open loop ran: p99 1,014 ms and 938 deadline errors at 1,000 req/s against 439 ms and none without), so it is off by default; on where most active users get a decision soon after their first event (make demo turns it on)',
    default: 'false',
  }),
  FEATURE_LOAD_BUDGET_MS: env.int({
    doc: 'Longest a request waits for ClickHouse to load state it lacks (then it is answered from memory, flagged stale; never past the caller deadline)',
    default: '250',
    min: 1,
    max: 60000,
  }),
} as const;

export type FeatureConfig = ConfigOf<typeof featureVars>;
