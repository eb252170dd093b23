import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where the real Kafka broker and ClickHouse server for tests and the demo are. */
export interface TestEnvironment {
  readonly kafkaBrokers: string;
  readonly clickhouseUrl: string;
  readonly source: 'env' | 'testcontainers' | 'local-stack';
  /** Stops what this resolution started (containers); the local stack is left running. */
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** True when a Docker engine answers (not just a docker CLI on the PATH). */
export async function dockerEngineAnswers(timeoutMs = 3000): Promise<boolean> {
  const host = process.env.DOCKER_HOST;
  if (!host && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    let timer: NodeJS.Timeout | undefined;
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('docker timeout')), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return Boolean(client);
  } catch {
    return false;
  }
}

async function startContainers(): Promise<TestEnvironment> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafka = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: 9092, host: 19092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:19092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const clickhouse = await new GenericContainer('clickhouse/clickhouse-server:25.8')
    .withExposedPorts(8123)
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withWaitStrategy(Wait.forHttp('/ping', 8123))
    .start();
  return {
    kafkaBrokers: '127.0.0.1:19092',
    clickhouseUrl: `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}`,
    source: 'testcontainers',
    stop: async () => {
      await Promise.all([kafka.stop(), clickhouse.stop()]);
    },
  };
}

/**
 * Resolves the test environment in one place:
 * 1. KAFKA_BROKERS and CLICKHOUSE_URL when both are set;
 * 2. else testcontainers (apache/kafka, clickhouse/clickhouse-server 25.x) when a Docker engine answers;
 * 3. else the project's local stack (deploy/local/stack.sh), started if it is not running.
 */
export async function resolveTestEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<TestEnvironment> {
  if (env.KAFKA_BROKERS && env.CLICKHOUSE_URL) {
    return {
      kafkaBrokers: env.KAFKA_BROKERS,
      clickhouseUrl: env.CLICKHOUSE_URL,
      source: 'env',
      stop: () => Promise.resolve(),
    };
  }
  if (env.OFFERSTREAM_USE_TESTCONTAINERS !== 'false' && (await dockerEngineAnswers())) {
    return startContainers();
  }
  const script = resolve(REPO_ROOT, 'deploy', 'local', 'stack.sh');
  const r = spawnSync('bash', [script, 'up'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600000,
  });
  if (r.status !== 0)
    throw new Error(
      `local stack did not start (deploy/local/stack.sh up exited ${String(r.status)})`,
    );
  return {
    kafkaBrokers: `127.0.0.1:${env.KAFKA_PORT ?? '9092'}`,
    clickhouseUrl: `http://127.0.0.1:${env.CLICKHOUSE_HTTP_PORT ?? '8123'}`,
    source: 'local-stack',
    stop: () => Promise.resolve(),
  };
}
