import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseConfig } from './clickhouse.config';
import { ident, sql, type SqlFragment } from './sql';

export type { ClickHouseClient };

export interface ClickHouseOptions {
  readonly url: string;
  readonly username?: string;
  readonly password?: string | undefined;
  /** Default database for unqualified names; omit to use the server's default. */
  readonly database?: string;
  readonly requestTimeoutMs?: number;
  readonly application?: string;
}

/**
 * Creates a client that works against ClickHouse 18.16 and current releases: it sends no
 * settings that 18.16 lacks (no async_insert, no query parameters).
 */
export function createClickHouse(opts: ClickHouseOptions): ClickHouseClient {
  return createClient({
    url: opts.url,
    username: opts.username ?? 'default',
    password: opts.password ?? '',
    ...(opts.database ? { database: opts.database } : {}),
    request_timeout: opts.requestTimeoutMs ?? 30000,
    application: opts.application ?? 'offerstream',
    // Loopback and in-cluster traffic: gzip would only spend CPU (both directions work on 18.16).
    compression: { request: false, response: false },
    // Servers before 23.11 close idle keep-alive sockets after 3 s. Under CPU pressure the
    // client's idle timers fire late, and a write on a socket the server already closed fails
    // with EPIPE: retire sockets early, and eagerly whenever one is found stale.
    keep_alive: { enabled: true, idle_socket_ttl: 1500, eagerly_destroy_stale_sockets: true },
  });
}

/** Client options from the standard CLICKHOUSE_* variables. */
export function clickhouseOptionsFrom(
  cfg: ClickHouseConfig,
  application?: string,
): ClickHouseOptions {
  return {
    url: cfg.CLICKHOUSE_URL,
    username: cfg.CLICKHOUSE_USER,
    password: cfg.CLICKHOUSE_PASSWORD,
    database: cfg.CLICKHOUSE_DATABASE,
    requestTimeoutMs: cfg.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    ...(application ? { application } : {}),
  };
}

/** The server's version string, e.g. "18.16.1" or "25.8.2.29". */
export async function serverVersion(client: ClickHouseClient): Promise<string> {
  const rows = await queryRows<{ v: string }>(client, sql`SELECT version() AS v`);
  return rows[0]?.v ?? 'unknown';
}

/** Creates a database if it is missing (through a client that has no default database). */
export async function ensureDatabase(opts: ClickHouseOptions, database: string): Promise<void> {
  const { database: _omit, ...rest } = opts;
  const admin = createClickHouse(rest);
  try {
    await execSql(admin, sql`CREATE DATABASE IF NOT EXISTS ${ident(database)}`);
  } finally {
    await admin.close();
  }
}

/**
 * Parses a 64-bit integer that ClickHouse's JSON formats quote as a string ("5"), keeping
 * exactness: a number when it is safe, else a thrown error (use bigint-aware code there).
 */
export function toSafeInt(v: string | number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${String(v)}`);
  return n;
}

/** Runs a statement that returns no rows. Only SqlFragments are accepted: values are bound. */
export async function execSql(client: ClickHouseClient, q: SqlFragment): Promise<void> {
  await client.command({ query: q.text });
}

/** Attempts of a read whose requests keep landing on sockets the server already closed. */
const STALE_SOCKET_ATTEMPTS = 5;

/**
 * Runs a query and returns its rows. 64-bit integers arrive as strings in ClickHouse's JSON
 * formats; type the row accordingly and convert with `toSafeInt`.
 */
export async function queryRows<T>(client: ClickHouseClient, q: SqlFragment): Promise<T[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const rs = await client.query({ query: q.text, format: 'JSONEachRow' });
      return await rs.json<T>();
    } catch (err) {
      // A read is safe to repeat: retry the keep-alive race (the server closed an idle socket
      // just as the request went out on it). Several pooled sockets can be stale at once,
      // and each fails at once, so a few attempts.
      if (attempt >= STALE_SOCKET_ATTEMPTS || !isStaleSocketError(err)) throw err;
    }
  }
}

/** The errors of a request sent on a socket the server had already closed. */
export function isStaleSocketError(err: unknown): boolean {
  if (err instanceof ClickHouseError || !(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || err.message === 'socket hang up';
}

/**
 * ClickHouse error codes that mean "this data cannot be stored" (parse, type and range
 * errors) as opposed to an outage or overload, which are retried instead.
 */
const DATA_ERROR_CODES = new Set([
  '6',
  '26',
  '27',
  '32',
  '33',
  '38',
  '41',
  '53',
  '69',
  '70',
  '72',
  '117',
  '131',
]);

/** True when the server refused the data itself; false for network errors and overload. */
export function isDataError(err: unknown): boolean {
  return err instanceof ClickHouseError && DATA_ERROR_CODES.has(err.code);
}
