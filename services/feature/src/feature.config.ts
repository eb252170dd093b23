import { clickhouseVars } from '@offerstream/clickhouse';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the feature service reads (on top of the common service variables). */
export const featureVars = {
  ...kafkaVars,
  ...clickhouseVars,
} as const;
