import { env, type ConfigOf } from '@offerstream/config';

/** The variables every Kafka user reads. */
export const kafkaVars = {
  KAFKA_BROKERS: env.hostPorts({
    doc: 'Kafka bootstrap servers, comma-separated host:port',
    default: '127.0.0.1:9092',
  }),
  KAFKA_CLIENT_ID: env.string({
    doc: 'Client id reported to the brokers (defaults to the service name)',
    optional: true,
  }),
  KAFKA_SSL: env.bool({ doc: 'Use TLS to the brokers', default: 'false' }),
  KAFKA_SASL_MECHANISM: env.oneOf(['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const, {
    doc: 'SASL mechanism (Strimzi KafkaUser: scram-sha-512)',
    default: 'none',
  }),
  KAFKA_SASL_USERNAME: env.string({ doc: 'SASL user name', optional: true }),
  KAFKA_SASL_PASSWORD: env.string({
    doc: 'SASL password (from a Secret)',
    optional: true,
    secret: true,
  }),
  KAFKA_LOG_LEVEL: env.oneOf(['nothing', 'error', 'warn', 'info', 'debug'] as const, {
    doc: 'Log level of the Kafka client library itself',
    default: 'warn',
  }),
  KAFKA_TOPIC_PREFIX: env.string({
    doc: 'Prefix for every offerstream topic name (e.g. an environment name; empty in most deployments)',
    default: '',
    pattern: /^[A-Za-z0-9._-]{0,100}$/,
    patternRule: 'must be letters, digits, dot, underscore or dash',
  }),
  KAFKA_TOPIC_REPLICATION_FACTOR: env.int({
    doc: 'Replication factor used when offerstream provisions its topics (3 in production)',
    default: '1',
    min: 1,
    max: 10,
  }),
} as const;

export type KafkaConfig = ConfigOf<typeof kafkaVars>;
