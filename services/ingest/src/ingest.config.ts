import { clickhouseVars } from '@offerstream/clickhouse';
import { env } from '@offerstream/config';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the ingest service reads (on top of the common service variables). */
export const ingestVars = {
  ...kafkaVars,
  ...clickhouseVars,
  INGEST_HTTP_ENABLED: env.bool({
    doc: 'Serve POST /v1/events for producers without a Kafka client',
    default: 'true',
  }),
} as const;
