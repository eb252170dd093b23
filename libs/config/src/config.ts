import { type z } from 'zod';

/** One environment variable: how it is parsed, what it means, and its default. */
export interface EnvVar<T> {
  readonly schema: z.ZodType<T>;
  /** What the variable controls; rendered into the configuration reference. */
  readonly doc: string;
  /** Raw default used when the variable is unset; absent means required (or `optional`). */
  readonly defaultValue?: string;
  /** Unset is allowed and yields `undefined`. */
  readonly optional?: boolean;
  /** Never echo the value in errors or docs. */
  readonly secret?: boolean;
}

export type EnvSpec = Readonly<Record<string, EnvVar<unknown>>>;

export type ConfigOf<S extends EnvSpec> = {
  readonly [K in keyof S]: S[K] extends EnvVar<infer T>
    ? S[K]['optional'] extends true
      ? T | undefined
      : T
    : never;
};

/** One variable that failed, and the rule it broke. */
export interface ConfigIssue {
  readonly variable: string;
  readonly rule: string;
  /** The raw value, unless the variable is secret. */
  readonly received?: string;
}

/** Thrown at boot when any variable is missing or invalid; lists every one, not just the first. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues
          .map(
            (i) =>
              `  - ${i.variable}: ${i.rule}` +
              (i.received !== undefined ? ` (got ${JSON.stringify(i.received)})` : ''),
          )
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/**
 * Parses the variables named in `spec` from `env` into a typed, frozen object.
 * Fails with a ConfigError naming every bad variable and the rule it broke.
 */
export function loadConfig<S extends EnvSpec>(
  spec: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, v] of Object.entries(spec)) {
    const given = env[name];
    const raw = given === undefined || given === '' ? v.defaultValue : given;
    if (raw === '' && v.defaultValue === '') {
      out[name] = '';
      continue;
    }
    if (raw === undefined) {
      if (v.optional) {
        out[name] = undefined;
        continue;
      }
      issues.push({ variable: name, rule: 'is required and not set' });
      continue;
    }
    const parsed = v.schema.safeParse(raw);
    if (parsed.success) {
      out[name] = parsed.data;
    } else {
      const rule = parsed.error.issues.map((i) => i.message).join('; ');
      issues.push(v.secret ? { variable: name, rule } : { variable: name, rule, received: raw });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(out) as ConfigOf<S>;
}

/** One row of the configuration reference. */
export interface EnvDoc {
  readonly variable: string;
  readonly doc: string;
  readonly defaultValue: string;
  readonly required: boolean;
  readonly secret: boolean;
}

/** The reference rows for a spec, in declaration order (used to generate docs/configuration.md). */
export function describeConfig(spec: EnvSpec): EnvDoc[] {
  return Object.entries(spec).map(([variable, v]) => ({
    variable,
    doc: v.doc,
    defaultValue: v.defaultValue ?? '',
    required: v.defaultValue === undefined && !v.optional,
    secret: v.secret ?? false,
  }));
}
