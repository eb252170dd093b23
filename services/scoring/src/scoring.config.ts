import { env, type ConfigOf } from '@offerstream/config';
import { CURRENT_SPEC_VERSION } from '@offerstream/features';
import { kafkaVars } from '@offerstream/kafka';

/** Variables the scoring service reads (on top of the common service variables). */
export const scoringVars = {
  ...kafkaVars,
  MODEL_STORE_URI: env.string({
    doc: 'Model store: a directory holding <model>/<version>/model.onnx + model.json (relative announcement URIs resolve against it)',
    default: '.local/models',
  }),
  SCORING_MODEL_NAME: env.string({
    doc: 'Model served when a request names none (its PRODUCTION version, from offerstream.models.v1)',
    default: 'offer-uplift',
  }),
  SCORING_FEATURE_SPEC_VERSION: env.string({
    doc: 'Feature spec the feature service serves; models trained on another are refused',
    default: CURRENT_SPEC_VERSION,
  }),
  SCORING_EXECUTION_PROVIDER: env.string({
    doc: 'onnxruntime execution providers in order of preference, comma-separated (cuda, cpu); the first that loads runs',
    default: 'cuda,cpu',
    pattern: /^(cuda|cpu)(,(cuda|cpu))*$/,
    patternRule: 'must be a comma-separated list of cuda, cpu',
  }),
  SCORING_INTRA_OP_THREADS: env.int({
    doc: 'onnxruntime intra-op threads per session (0 = one per core)',
    default: '0',
    min: 0,
    max: 256,
  }),
  SCORING_INTER_OP_THREADS: env.int({
    doc: 'onnxruntime inter-op threads per session',
    default: '1',
    min: 1,
    max: 64,
  }),
  SCORING_SPIN_WAIT: env.bool({
    doc: 'Let onnxruntime worker threads spin while waiting for work (lower latency on dedicated cores; burns CPU that other work on shared cores needs)',
    default: 'false',
  }),
  SCORING_GRAPH_OPTIMIZATION: env.oneOf(['disabled', 'basic', 'extended', 'all'] as const, {
    doc: 'onnxruntime graph optimisation level',
    default: 'all',
  }),
  SCORING_MAX_BATCH_ROWS: env.int({
    doc: 'Candidate rows one model run takes at most (micro-batching)',
    default: '2048',
    min: 1,
    max: 1_000_000,
  }),
  SCORING_MAX_QUEUE_DELAY_US: env.int({
    doc: 'Longest a request waits for others to join its batch, in microseconds',
    default: '500',
    min: 0,
    max: 1_000_000,
  }),
  SCORING_MAX_QUEUE_ROWS: env.int({
    doc: 'Rows allowed to wait for a batch; beyond it calls get RESOURCE_EXHAUSTED',
    default: '20000',
    min: 1,
    max: 10_000_000,
  }),
  SCORING_CONCURRENT_RUNS: env.int({
    doc: 'Model runs at the same time (each uses the intra-op threads)',
    default: '1',
    min: 1,
    max: 64,
  }),
  SCORING_MAX_CANDIDATES: env.int({
    doc: 'Most candidates in one Score call (more: INVALID_ARGUMENT naming the limit)',
    default: '1000',
    min: 1,
    max: 100_000,
  }),
  SCORING_NON_FINITE: env.oneOf(['reject', 'default'] as const, {
    doc: 'What a NaN or infinite feature value gets: reject (INVALID_ARGUMENT naming it) or default (the spec default)',
    default: 'reject',
  }),
  SCORING_SHADOW_SAMPLE: env.number({
    doc: 'Share of calls also scored by shadow models in the background (divergence metrics)',
    default: '0.05',
    min: 0,
    max: 1,
  }),
  SCORING_ROLLBACK_ERRORS: env.int({
    doc: 'Failed runs of a newly swapped-in model (within its first minute) that roll back to the last good one',
    default: '3',
    min: 1,
    max: 1000,
  }),
} as const;

export type ScoringConfig = ConfigOf<typeof scoringVars>;
