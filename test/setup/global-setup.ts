import { resolveTestEnvironment } from '@offerstream/testing';

/**
 * Runs once before the integration tests: finds (or starts) the real Kafka broker and
 * ClickHouse server and hands their addresses to the test workers through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const env = await resolveTestEnvironment();
  process.env.KAFKA_BROKERS = env.kafkaBrokers;
  process.env.CLICKHOUSE_URL = env.clickhouseUrl;
  process.stdout.write(
    `\nintegration environment: ${env.source} (kafka ${env.kafkaBrokers}, clickhouse ${env.clickhouseUrl})\n`,
  );
  (globalThis as { __offerstreamEnv?: typeof env }).__offerstreamEnv = env;
}
