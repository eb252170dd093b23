import { clickhouseVars } from '@offerstream/clickhouse';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the bandit-policy service reads (on top of the common service variables). */
export const banditPolicyVars = {
  ...kafkaVars,
  ...clickhouseVars,
} as const;
