import { clickhouseVars } from '@offerstream/clickhouse';
import { env } from '@offerstream/config';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the feature service reads (on top of the common service variables). */
export const featureVars = {
  ...kafkaVars,
  ...clickhouseVars,
  FEATURE_CACHE_MAX_USERS: env.int({
    doc: 'Users kept in memory before the least recently used are evicted',
    default: '200000',
    min: 1000,
    max: 50000000,
  }),
} as const;
