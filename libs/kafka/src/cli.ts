#!/usr/bin/env node
/**
 * `provision` creates or updates offerstream's declared topics (see topics.ts).
 * Usage: node libs/kafka/dist/cli.js provision|list
 */
import { ConfigError, loadConfig } from '@offerstream/config';
import { createLogger } from '@offerstream/logging';
import { createKafka } from './client';
import { kafkaVars } from './kafka.config';
import { provisionTopics } from './provision';
import { topicSpecs } from './topics';

async function main(cmd: string | undefined): Promise<number> {
  const cfg = loadConfig(kafkaVars);
  const logger = createLogger({ service: 'kafka-admin' });
  const admin = createKafka(cfg, 'offerstream-admin', logger).admin();
  await admin.connect();
  try {
    if (cmd === 'provision') {
      await provisionTopics(admin, topicSpecs(cfg.KAFKA_TOPIC_PREFIX), {
        replicationFactor: cfg.KAFKA_TOPIC_REPLICATION_FACTOR,
        logger,
      });
      return 0;
    }
    if (cmd === 'list') {
      for (const t of topicSpecs())
        process.stdout.write(`${t.name}\t${t.partitions}\t${t.cleanupPolicy}\t${t.description}\n`);
      return 0;
    }
    process.stderr.write('usage: provision|list\n');
    return 64;
  } finally {
    await admin.disconnect();
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
