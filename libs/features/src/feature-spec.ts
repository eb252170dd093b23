import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const featureDef = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/),
  definition: z.string().min(1),
  default: z.number().finite(),
});

const specSchema = z.strictObject({
  version: z.string().regex(/^fs-[0-9]+$/),
  description: z.string(),
  params: z.strictObject({
    lookback_hours: z.number().int().positive(),
    decay_half_life_hours: z.number().positive(),
    user_cold_start_max_events: z.number().int().nonnegative(),
    candidate_cold_start_max_events: z.number().int().nonnegative(),
    recency_cap_hours: z.number().positive(),
  }),
  sequence: z.strictObject({
    max_length: z.number().int().positive().max(200),
    default_length: z.number().int().nonnegative(),
    event_types: z.array(z.string()).min(1),
    order: z.string(),
  }),
  user: z.array(featureDef).min(1),
  candidate: z.array(featureDef).min(1),
});

export type FeatureDef = z.infer<typeof featureDef>;

/**
 * A versioned feature spec: names, order, defaults and windows of every value the feature
 * service serves and the trainer computes. The file (spec/fs-N.json) is the one definition
 * both read; a vector is meaningless without its version.
 */
export interface FeatureSpec extends z.infer<typeof specSchema> {
  /** Position of each user feature by name. */
  readonly userIndex: ReadonlyMap<string, number>;
  /** Position of each candidate feature by name. */
  readonly candidateIndex: ReadonlyMap<string, number>;
}

/** The spec file is unreadable, invalid, or names features no code computes. */
export class FeatureSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureSpecError';
  }
}

/** Where the spec files live (shipped with the package; the trainer reads the same files). */
export const SPEC_DIR = join(__dirname, '..', 'spec');

/** The spec version the service serves by default. */
export const CURRENT_SPEC_VERSION = 'fs-2';

function indexOf(defs: readonly FeatureDef[], what: string): Map<string, number> {
  const m = new Map<string, number>();
  defs.forEach((d, i) => {
    if (m.has(d.name)) throw new FeatureSpecError(`${what} feature ${d.name} is listed twice`);
    m.set(d.name, i);
  });
  return m;
}

/** Validates a parsed spec document. */
export function parseFeatureSpec(doc: unknown): FeatureSpec {
  const r = specSchema.safeParse(doc);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new FeatureSpecError(`invalid feature spec: ${issues.join('; ')}`);
  }
  const s = r.data;
  if (s.sequence.default_length > s.sequence.max_length)
    throw new FeatureSpecError('sequence.default_length exceeds sequence.max_length');
  return Object.freeze({
    ...s,
    userIndex: indexOf(s.user, 'user'),
    candidateIndex: indexOf(s.candidate, 'candidate'),
  });
}

/** Loads spec `version` (e.g. "fs-1") from `dir`. */
export function loadFeatureSpec(version = CURRENT_SPEC_VERSION, dir = SPEC_DIR): FeatureSpec {
  if (!/^fs-[0-9]+$/.test(version))
    throw new FeatureSpecError(`feature spec version ${JSON.stringify(version)} is malformed`);
  let text: string;
  try {
    text = readFileSync(join(dir, `${version}.json`), 'utf8');
  } catch {
    throw new FeatureSpecError(`feature spec ${version} is not known here`);
  }
  const spec = parseFeatureSpec(JSON.parse(text) as unknown);
  if (spec.version !== version)
    throw new FeatureSpecError(`file ${version}.json declares version ${spec.version}`);
  return spec;
}
