import { kafkaVars } from '@offerstream/kafka';

/** Variables the scoring service reads (on top of the common service variables). */
export const scoringVars = {
  ...kafkaVars,
} as const;
