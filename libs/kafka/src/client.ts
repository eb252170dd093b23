import { Kafka, logLevel, type KafkaConfig as KafkaJsConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '@offerstream/logging';
import type { KafkaConfig } from './kafka.config';

const LEVELS = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
} as const;

/** Creates a kafkajs client whose own logs go to the service logger. */
export function createKafka(cfg: KafkaConfig, clientId: string, logger: Logger): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const sasl: KafkaJsConfig['sasl'] =
    cfg.KAFKA_SASL_MECHANISM === 'none'
      ? undefined
      : ({
          mechanism: cfg.KAFKA_SASL_MECHANISM,
          username: cfg.KAFKA_SASL_USERNAME ?? '',
          password: cfg.KAFKA_SASL_PASSWORD ?? '',
        } as KafkaJsConfig['sasl']);
  return new Kafka({
    clientId: cfg.KAFKA_CLIENT_ID ?? clientId,
    brokers: [...cfg.KAFKA_BROKERS],
    ssl: cfg.KAFKA_SSL,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10000 },
    logLevel: LEVELS[cfg.KAFKA_LOG_LEVEL],
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        if (level === logLevel.ERROR) kafkaLogger.error(extra, message);
        else if (level === logLevel.WARN) kafkaLogger.warn(extra, message);
        else if (level === logLevel.INFO) kafkaLogger.info(extra, message);
        else kafkaLogger.debug(extra, message);
      },
  });
}
