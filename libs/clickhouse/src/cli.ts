#!/usr/bin/env node
/**
 * `migrate` applies the numbered migrations to CLICKHOUSE_DATABASE; `status` lists them.
 * Usage: node libs/clickhouse/dist/cli.js migrate|status [--dir deploy/clickhouse/migrations]
 */
import { resolve } from 'node:path';
import { ConfigError, env, loadConfig } from '@offerstream/config';
import { createLogger } from '@offerstream/logging';
import { clickhouseOptionsFrom, createClickHouse, ensureDatabase, serverVersion } from './client';
import { clickhouseVars } from './clickhouse.config';
import { appliedMigrations, loadMigrations, migrate } from './migrations';

const cliVars = {
  ...clickhouseVars,
  MIGRATIONS_DIR: env.string({
    doc: 'Directory of numbered ClickHouse migrations',
    default: 'deploy/clickhouse/migrations',
  }),
};

async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  const dirFlag = argv.indexOf('--dir');
  const cfg = loadConfig(cliVars);
  const dir = resolve(dirFlag >= 0 && argv[dirFlag + 1] ? argv[dirFlag + 1]! : cfg.MIGRATIONS_DIR);
  const logger = createLogger({ service: 'migrate' });
  const opts = clickhouseOptionsFrom(cfg, 'offerstream-migrate');
  await ensureDatabase(opts, cfg.CLICKHOUSE_DATABASE);
  const client = createClickHouse(opts);
  try {
    const migrations = await loadMigrations(dir);
    if (cmd === 'migrate') {
      const version = await serverVersion(client);
      const r = await migrate(client, migrations, logger);
      logger.info(
        {
          server: version,
          database: cfg.CLICKHOUSE_DATABASE,
          applied: r.applied,
          alreadyApplied: r.alreadyApplied.length,
        },
        r.applied.length ? `applied ${r.applied.length} migration(s)` : 'schema is up to date',
      );
      return 0;
    }
    if (cmd === 'status') {
      const applied = new Set((await appliedMigrations(client)).map((a) => a.version));
      for (const m of migrations) {
        process.stdout.write(
          `${applied.has(m.version) ? 'applied' : 'pending'}  ${String(m.version).padStart(4, '0')}_${m.name}\n`,
        );
      }
      return 0;
    }
    process.stderr.write('usage: migrate|status [--dir DIR]\n');
    return 64;
  } finally {
    await client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
