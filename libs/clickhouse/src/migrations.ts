import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@offerstream/logging';
import { execSql, queryRows } from './client';
import { ident, sql, unsafeRawSql, type SqlFragment } from './sql';

/** One numbered migration file: `0001_events.sql`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly statements: readonly string[];
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
export const MIGRATIONS_TABLE = 'schema_migrations';

/**
 * Splits a migration file into statements at `;` outside quotes and comments.
 * Exported for tests.
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  let quote: string | null = null;
  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (quote) {
      cur += ch;
      if (ch === '\\' && next !== undefined) {
        cur += next;
        i += 2;
        continue;
      }
      if (ch === quote) quote = null;
      i++;
      continue;
    }
    if (ch === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    if (ch === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
    i++;
  }
  if (quote) throw new MigrationError('unterminated quote in migration');
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Reads `NNNN_name.sql` files from a directory, ordered, refusing gaps and duplicates. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const f of files) {
    const m = FILE.exec(f);
    if (!m) throw new MigrationError(`migration file ${f} must be named NNNN_snake_case.sql`);
    const text = await readFile(join(dir, f), 'utf8');
    migrations.push({
      version: Number(m[1]),
      name: m[2]!,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(
        `migrations must be numbered 0001, 0002, ... without gaps; found ${m.version} at position ${i + 1}`,
      );
    }
  });
  return migrations;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

/** DDL of the table that records applied migrations (exported for compatibility checks). */
export function migrationsTableDdl(): SqlFragment {
  return sql`CREATE TABLE IF NOT EXISTS ${ident(MIGRATIONS_TABLE)} (
      version UInt32,
      name String,
      checksum String,
      applied_at DateTime,
      duration_ms UInt32
    ) ENGINE = MergeTree ORDER BY version`;
}

async function ensureTable(client: ClickHouseClient): Promise<void> {
  await execSql(client, migrationsTableDdl());
}

export async function appliedMigrations(client: ClickHouseClient): Promise<AppliedMigration[]> {
  await ensureTable(client);
  const rows = await queryRows<{ version: number | string; name: string; checksum: string }>(
    client,
    sql`SELECT version, name, checksum FROM ${ident(MIGRATIONS_TABLE)} ORDER BY version`,
  );
  return rows.map((r) => ({ version: Number(r.version), name: r.name, checksum: r.checksum }));
}

export interface MigrateResult {
  readonly applied: readonly number[];
  readonly alreadyApplied: readonly number[];
}

/**
 * Applies pending migrations in order, recording each in `schema_migrations`. Refuses to
 * run when an applied migration's file changed (its checksum differs): schema changes are
 * new numbered files, never edits.
 *
 * ClickHouse has no transactional DDL: a migration that fails half-way leaves its earlier
 * statements applied and is not recorded, so statements are written idempotently
 * (`IF NOT EXISTS`) and the run can simply be repeated after the fix.
 * Run migrations from one place at a time (the `migrate` command or a Kubernetes Job).
 */
export async function migrate(
  client: ClickHouseClient,
  migrations: readonly Migration[],
  logger?: Logger,
): Promise<MigrateResult> {
  const applied = await appliedMigrations(client);
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  for (const a of applied) {
    const m = migrations.find((x) => x.version === a.version);
    if (!m)
      throw new MigrationError(
        `database has migration ${a.version} (${a.name}) that is not in the code`,
      );
    if (m.checksum !== a.checksum) {
      throw new MigrationError(
        `migration ${String(a.version).padStart(4, '0')}_${a.name} was edited after it was applied (checksum differs); add a new migration instead`,
      );
    }
  }
  const done: number[] = [];
  for (const m of migrations) {
    if (byVersion.has(m.version)) continue;
    const started = Date.now();
    logger?.info({ version: m.version, name: m.name }, 'applying migration');
    for (const stmt of m.statements) {
      await execSql(client, unsafeRawSql(stmt));
    }
    const durationMs = Date.now() - started;
    await execSql(
      client,
      sql`INSERT INTO ${ident(MIGRATIONS_TABLE)} (version, name, checksum, applied_at, duration_ms) VALUES (${m.version}, ${m.name}, ${m.checksum}, now(), ${durationMs})`,
    );
    done.push(m.version);
  }
  return { applied: done, alreadyApplied: applied.map((a) => a.version) };
}
