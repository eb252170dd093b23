import { env } from '@offerstream/config';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the scoring service reads (on top of the common service variables). */
export const scoringVars = {
  ...kafkaVars,
  MODEL_STORE_URI: env.string({
    doc: 'Model store: a directory path or s3://bucket/prefix',
    default: '.local/models',
  }),
  SCORING_EXECUTION_PROVIDER: env.oneOf(['cpu', 'cuda'] as const, {
    doc: 'onnxruntime execution provider',
    default: 'cpu',
  }),
} as const;
