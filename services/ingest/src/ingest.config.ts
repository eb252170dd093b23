import { clickhouseVars } from '@offerstream/clickhouse';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the ingest service reads (on top of the common service variables). */
export const ingestVars = {
  ...kafkaVars,
  ...clickhouseVars,
} as const;
