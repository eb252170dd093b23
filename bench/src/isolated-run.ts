/** A bench run's own topics and database on the shared local stack, removed at the end. */
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
import {
  createKafka,
  provisionTopics,
  topicSpecs,
  type Kafka,
  type KafkaConfig,
} from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import { ROOT, type ServiceProcess } from './service-process';

export interface IsolatedRun {
  readonly prefix: string;
  readonly database: string;
  readonly kafka: Kafka;
  readonly ch: ClickHouseClient;
  /** Env every service of the run shares. */
  readonly env: Record<string, string>;
  readonly services: ServiceProcess[];
  /** Stops the services, deletes the topics, groups and database (idempotent). */
  cleanup(): Promise<void>;
}

/** Creates `<name>_<time>.` topics (as declared) and a database with every migration. */
export async function isolatedRun(
  name: string,
  cfg: KafkaConfig & { CLICKHOUSE_URL: string },
  logger: Logger,
): Promise<IsolatedRun> {
  const run = `${name}_${Date.now().toString(36)}`;
  const prefix = `${run}.`;
  const kafka = createKafka(cfg, name, logger);
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(admin, topicSpecs(prefix), { replicationFactor: 1 });
  await ensureDatabase({ url: cfg.CLICKHOUSE_URL }, run);
  const ch = createClickHouse({ url: cfg.CLICKHOUSE_URL, database: run });
  await migrate(ch, await loadMigrations(join(ROOT, 'deploy', 'clickhouse', 'migrations')));
  const services: ServiceProcess[] = [];
  let cleaned = false;
  return {
    prefix,
    database: run,
    kafka,
    ch,
    services,
    env: {
      KAFKA_BROKERS: cfg.KAFKA_BROKERS.join(','),
      KAFKA_LOG_LEVEL: 'nothing',
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_URL: cfg.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: run,
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
      await admin
        .deleteTopics({ topics: topicSpecs(prefix).map((t) => t.name) })
        .catch(() => undefined);
      const groups = await admin.listGroups().catch(() => ({ groups: [] }));
      const ours = groups.groups.map((g) => g.groupId).filter((g) => g.startsWith(run));
      if (ours.length > 0) await admin.deleteGroups(ours).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await execSql(ch, sql`DROP DATABASE IF EXISTS ${ident(run)}`).catch(() => undefined);
      await ch.close().catch(() => undefined);
    },
  };
}
