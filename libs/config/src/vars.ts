import { z } from 'zod';
import type { EnvVar } from './config';

type Opts = { doc: string; default?: string; optional?: boolean; secret?: boolean };

function envVar<T>(schema: z.ZodType<T>, o: Opts): EnvVar<T> {
  return {
    schema,
    doc: o.doc,
    ...(o.default !== undefined ? { defaultValue: o.default } : {}),
    ...(o.optional ? { optional: true } : {}),
    ...(o.secret ? { secret: true } : {}),
  };
}

const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** Builders for the kinds of variables offerstream reads. */
export const env = {
  string: (o: Opts & { pattern?: RegExp; patternRule?: string }) =>
    envVar(
      o.pattern
        ? z.string().regex(o.pattern, o.patternRule ?? `must match ${String(o.pattern)}`)
        : z.string().min(1, 'must not be empty'),
      o,
    ),
  int: (o: Opts & { min: number; max: number }) => envVar(intString(o.min, o.max), o),
  /** A decimal number in [min, max], e.g. a share of traffic. */
  number: (o: Opts & { min: number; max: number }) =>
    envVar(
      z
        .string()
        .regex(/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'must be a number')
        .transform(Number)
        .pipe(
          z.number().min(o.min, `must be at least ${o.min}`).max(o.max, `must be at most ${o.max}`),
        ),
      o,
    ),
  port: (o: Opts) => envVar(intString(0, 65535), o),
  bool: (o: Opts) =>
    envVar(
      z
        .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
        .transform((s) => s === 'true' || s === '1'),
      o,
    ),
  oneOf: <const V extends readonly [string, ...string[]]>(values: V, o: Opts) =>
    envVar(z.enum(values, { message: `must be one of ${values.join(', ')}` }), o),
  url: (o: Opts & { protocols: readonly string[] }) =>
    envVar(
      z.string().refine(
        (s) => {
          try {
            return o.protocols.includes(new URL(s).protocol.replace(/:$/, ''));
          } catch {
            return false;
          }
        },
        { message: `must be a URL with scheme ${o.protocols.join(' or ')}` },
      ),
      o,
    ),
  /** Comma-separated `host:port` list, e.g. Kafka bootstrap servers. */
  hostPorts: (o: Opts) =>
    envVar(
      z
        .string()
        .transform((s) =>
          s
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x.length > 0),
        )
        .pipe(
          z
            .array(
              z
                .string()
                .regex(
                  /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/,
                  'must be a comma-separated list of host:port',
                ),
            )
            .min(1, 'must name at least one host:port'),
        ),
      o,
    ),
} as const;
