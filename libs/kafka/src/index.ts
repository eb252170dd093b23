export { createKafka } from './client';
export { CompactedTopicFollower } from './compacted-topic';
export { Coalescer } from './coalescer';
export type { CoalescerClock, CoalescerOptions } from './coalescer';
export { backoffMs, chunk, DEFAULT_RETRY, DurableConsumer, makeBatchRunner } from './consumer';
export type {
  BatchContext,
  BatchHandler,
  BatchRunnerDeps,
  DurableConsumerOptions,
  RetryPolicy,
} from './consumer';
export { kafkaVars } from './kafka.config';
export type { KafkaConfig } from './kafka.config';
export { IdempotentProducer } from './producer';
export { provisionTopics } from './provision';
export type { ProvisionResult } from './provision';
export { TOPICS, topicConfig, topicSpecs } from './topics';
export type { TopicRole, TopicSpec } from './topics';
export type { Kafka, KafkaMessage, Message } from 'kafkajs';
export { endOffsets, TopicTail } from './topic-tail';
export type { PartitionOffsets } from './topic-tail';
