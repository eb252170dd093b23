import {
  CompressionTypes,
  Partitioners,
  type Kafka,
  type Message,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';

/**
 * A producer that writes each message once per send (idempotent: the broker drops
 * retried duplicates) and answers only after every in-sync replica has it (acks=all).
 * Keys are partitioned with murmur2, the same as Java clients, so a user's events land on
 * the same partition whoever produced them.
 */
export class IdempotentProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: Kafka, opts: { transactionalId?: string } = {}) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      // Idempotence needs unbounded retries (bounded ones may break exactly-once);
      // callers bound a send with their own deadline.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 10000 },
      ...(opts.transactionalId ? { transactionalId: opts.transactionalId } : {}),
    });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  /** Resolves once the broker acknowledged every message with acks=all. */
  async send(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    if (messages.length === 0) return [];
    return this.producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None });
  }

  /** Sends to several topics in one request (e.g. valid + dead-letter for one input batch). */
  async sendBatch(
    topicMessages: { topic: string; messages: Message[] }[],
  ): Promise<RecordMetadata[]> {
    const nonEmpty = topicMessages.filter((t) => t.messages.length > 0);
    if (nonEmpty.length === 0) return [];
    return this.producer.sendBatch({ topicMessages: nonEmpty, acks: -1 });
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }
}
