import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from '@offerstream/logging';

/** Offsets by partition. */
export type PartitionOffsets = ReadonlyMap<number, string>;

/** The next offset of every partition of a topic (where a reader starting "now" begins). */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads a whole topic in this process only — every replica gets every record — from
 * given offsets on, never committing (state is rebuilt elsewhere at start, e.g. from
 * ClickHouse up to `endOffsets` taken before). The group id is unique per start, so
 * replicas never share partitions.
 */
export class TopicTail {
  private readonly consumer: Consumer;
  private started = false;

  constructor(
    kafka: Kafka,
    private readonly opts: {
      topic: string;
      groupIdPrefix: string;
      logger: Logger;
      /** Where to begin, per partition; partitions not listed begin at their end. */
      from: PartitionOffsets;
      onRecord: (key: string, value: Buffer | null, partition: number, offset: string) => void;
    },
  ) {
    this.consumer = kafka.consumer({
      groupId: `${opts.groupIdPrefix}.${process.pid}.${Date.now().toString(36)}`,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
  }

  async start(): Promise<void> {
    const { consumer, opts } = this;
    await consumer.connect();
    await consumer.subscribe({ topics: [opts.topic], fromBeginning: false });
    const joined = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    await consumer.run({
      autoCommit: false,
      // eslint-disable-next-line @typescript-eslint/require-await -- handlers are synchronous
      eachMessage: async ({ partition, message }) => {
        try {
          opts.onRecord(message.key?.toString() ?? '', message.value, partition, message.offset);
        } catch (err) {
          opts.logger.error(
            { err, topic: opts.topic, partition, offset: message.offset },
            'record not applied; skipped',
          );
        }
      },
    });
    await joined;
    for (const [partition, offset] of opts.from)
      consumer.seek({ topic: opts.topic, partition, offset });
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.consumer.disconnect();
  }
}
