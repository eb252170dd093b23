import { join } from 'node:path';
import {
  createClickHouse,
  ensureDatabase,
  execSql,
  ident,
  loadMigrations,
  migrate,
  sql,
  type ClickHouseClient,
} from '@offerstream/clickhouse';
import { loadConfig } from '@offerstream/config';
import {
  createKafka,
  kafkaVars,
  provisionTopics,
  topicSpecs,
  type Kafka,
  type TopicSpec,
} from '@offerstream/kafka';
import { createLogger, type Logger } from '@offerstream/logging';
import { uniqueName } from '@offerstream/testing';

export const REPO_ROOT = join(__dirname, '..', '..');
export const MIGRATIONS_DIR = join(REPO_ROOT, 'deploy', 'clickhouse', 'migrations');

export const testLogger: Logger = createLogger({
  service: 'test',
  level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent',
});

export function clickhouseUrl(): string {
  const url = process.env.CLICKHOUSE_URL;
  if (!url)
    throw new Error(
      'CLICKHOUSE_URL is not set: run the integration tests through jest (globalSetup)',
    );
  return url;
}

/** A fresh database with every migration applied; dropped by `drop()`. */
export async function freshDatabase(): Promise<{
  client: ClickHouseClient;
  database: string;
  drop(): Promise<void>;
}> {
  const database = uniqueName('t');
  await ensureDatabase({ url: clickhouseUrl() }, database);
  const client = createClickHouse({ url: clickhouseUrl(), database });
  await migrate(client, await loadMigrations(MIGRATIONS_DIR));
  return {
    client,
    database,
    drop: async () => {
      await execSql(client, sql`DROP DATABASE IF EXISTS ${ident(database)}`);
      await client.close();
    },
  };
}

export function testKafka(clientId = 'offerstream-test'): Kafka {
  const cfg = loadConfig(kafkaVars, {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    KAFKA_LOG_LEVEL: 'error',
  });
  return createKafka(cfg, clientId, testLogger);
}

/** The declared topics under a unique prefix, provisioned with few partitions for speed. */
export async function freshTopics(
  kafka: Kafka,
  partitions = 3,
): Promise<{ prefix: string; specs: TopicSpec[] }> {
  const prefix = `${uniqueName('t')}.`;
  const specs = topicSpecs(prefix).map((t) => ({
    ...t,
    partitions: Math.min(t.partitions, partitions),
  }));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await provisionTopics(admin, specs, { replicationFactor: 1 });
  } finally {
    await admin.disconnect();
  }
  return { prefix, specs };
}
