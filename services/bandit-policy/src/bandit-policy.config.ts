import { clickhouseVars } from '@offerstream/clickhouse';
import { env } from '@offerstream/config';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the bandit-policy service reads (on top of the common service variables). */
export const banditPolicyVars = {
  ...kafkaVars,
  ...clickhouseVars,
  FEATURE_SERVICE_ADDR: env.string({
    doc: 'host:port of the feature service',
    default: '127.0.0.1:50052',
  }),
  SCORING_SERVICE_ADDR: env.string({
    doc: 'host:port of the scoring service',
    default: '127.0.0.1:50053',
  }),
} as const;
