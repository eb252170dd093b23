export {
  clickhouseOptionsFrom,
  createClickHouse,
  ensureDatabase,
  execSql,
  isDataError,
  queryRows,
  serverVersion,
  toSafeInt,
} from './client';
export type { ClickHouseClient, ClickHouseOptions } from './client';
export { clickhouseVars } from './clickhouse.config';
export type { ClickHouseConfig } from './clickhouse.config';
export {
  appliedMigrations,
  loadMigrations,
  migrate,
  MigrationError,
  migrationsTableDdl,
  MIGRATIONS_TABLE,
  splitStatements,
} from './migrations';
export type { AppliedMigration, MigrateResult, Migration } from './migrations';
export {
  insertTabSeparated,
  insertTabSeparatedLines,
  tabSeparated,
  tabSeparatedLine,
  TsvEncodeError,
} from './tsv';
export type { TsvValue } from './tsv';
export { ident, joinSql, literal, sql, SqlBindError, SqlFragment, unsafeRawSql } from './sql';
export type { SqlValue } from './sql';
