/**
 * The one place where values enter SQL text.
 *
 * ClickHouse 18.16 (what Debian ships, and what the local stack runs) has no server-side
 * query parameters, so values are rendered as literals. Every value goes through
 * `literal()`; identifiers go through `ident()`; SQL text is composed with the `sql`
 * tag, which refuses anything else. Never build SQL by string concatenation.
 */

/** A value that `literal()` can render. */
export type SqlValue = string | number | bigint | boolean | null | Date | readonly SqlValue[];

/** A piece of SQL that is safe by construction. */
export class SqlFragment {
  /** @internal use `sql`, `ident`, `literal` or `unsafeRawSql`. */
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A value that cannot be rendered safely (NaN, a lone surrogate, sub-second Date, ...). */
export class SqlBindError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlBindError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function quoteString(s: string): string {
  if (LONE_SURROGATE.test(s)) {
    // It has no UTF-8 form: encoding would silently replace it with U+FFFD.
    throw new SqlBindError('string contains a lone UTF-16 surrogate and cannot be stored as UTF-8');
  }
  let out = "'";
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + "'";
}

const MIN_NORMAL = 2.2250738585072014e-308;

function renderNumber(n: number): string {
  if (!Number.isFinite(n)) throw new SqlBindError(`cannot bind non-finite number ${n}`);
  if (Object.is(n, -0) || n === 0) return '0';
  if (Math.abs(n) < MIN_NORMAL) {
    // Older servers (18.16) reject subnormal literals; n / MIN_NORMAL is an exact normal
    // double, and multiplying back is exact, so the value arrives unchanged.
    return `(${String(n / MIN_NORMAL)} * ${String(MIN_NORMAL)})`;
  }
  const s = String(n);
  // A negative literal is parenthesised so `x - -1` and `-1` inside expressions stay unambiguous.
  return n < 0 ? `(${s})` : s;
}

/** Renders one value as a ClickHouse literal. */
export function literal(value: SqlValue): SqlFragment {
  return new SqlFragment(render(value));
}

function render(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (value === undefined) throw new SqlBindError('cannot bind undefined (use null for NULL)');
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'number') return renderNumber(value);
  if (typeof value === 'bigint') return value < 0n ? `(${value.toString()})` : value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new SqlBindError('cannot bind an invalid Date');
    if (ms % 1000 !== 0) {
      // DateTime has second precision on every server we support; refusing beats truncating.
      throw new SqlBindError('Date has sub-second precision; bind epoch milliseconds as a number');
    }
    return `toDateTime(${ms / 1000})`;
  }
  if (Array.isArray(value)) return `[${value.map((v) => render(v as SqlValue)).join(', ')}]`;
  throw new SqlBindError(`cannot bind a value of type ${typeof value}`);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Renders a database, table or column name. Only plain identifiers are accepted (they are
 * still back-quoted), so a name can never carry SQL.
 */
export function ident(name: string): SqlFragment {
  if (!IDENT.test(name)) {
    throw new SqlBindError(
      `invalid identifier ${JSON.stringify(name)}: use [A-Za-z_][A-Za-z0-9_]*`,
    );
  }
  return new SqlFragment('`' + name + '`');
}

/**
 * Tagged template: `sql\`SELECT * FROM ${ident(t)} WHERE id = ${id}\``. Interpolated
 * SqlFragments are inlined; every other interpolation is rendered by `literal()`.
 */
export function sql(
  strings: TemplateStringsArray,
  ...values: (SqlValue | SqlFragment)[]
): SqlFragment {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += v instanceof SqlFragment ? v.text : render(v);
    out += strings[i + 1] ?? '';
  });
  return new SqlFragment(out);
}

/** Joins fragments with a separator, e.g. a column list. */
export function joinSql(parts: readonly SqlFragment[], separator = ', '): SqlFragment {
  return new SqlFragment(parts.map((p) => p.text).join(separator));
}

/**
 * SQL text from a trusted source (a migration file in the repo). Never pass user data here.
 */
export function unsafeRawSql(text: string): SqlFragment {
  return new SqlFragment(text);
}
