import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '@offerstream/logging';

/**
 * Follows a compacted topic (campaigns, model announcements) from its beginning: every
 * start re-reads the whole topic, since the latest record per key *is* the state. Offsets
 * are never committed, so the group never skips history. `caughtUp()` resolves once the
 * records that existed at start have been handed over.
 */
export class CompactedTopicFollower {
  private readonly consumer: Consumer;
  private caughtUpResolve!: () => void;
  private readonly caught: Promise<void>;
  private readonly remaining = new Map<number, bigint>();

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: {
      topic: string;
      groupId: string;
      logger: Logger;
      /** Told about every record in log order, with where it sits in the topic. */
      onRecord: (
        key: string,
        value: Buffer | null,
        position: { partition: number; offset: string },
      ) => void;
    },
  ) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
    this.caught = new Promise((r) => (this.caughtUpResolve = r));
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const p of await admin.fetchTopicOffsets(this.opts.topic)) {
        const high = BigInt(p.high);
        if (high > BigInt(p.low)) this.remaining.set(p.partition, high - 1n);
      }
    } finally {
      await admin.disconnect();
    }
    if (this.remaining.size === 0) this.caughtUpResolve();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.opts.topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      // eslint-disable-next-line @typescript-eslint/require-await -- the handler is synchronous
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString() ?? '';
        try {
          this.opts.onRecord(key, message.value, { partition, offset: message.offset });
        } catch (err) {
          this.opts.logger.error(
            { err, key, offset: message.offset },
            'unreadable record; skipped',
          );
        }
        const last = this.remaining.get(partition);
        if (last !== undefined && BigInt(message.offset) >= last) {
          this.remaining.delete(partition);
          if (this.remaining.size === 0) this.caughtUpResolve();
        }
      },
    });
  }

  /** Resolves once the topic as it was at start has been read (or after `timeoutMs`: false). */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    try {
      return await Promise.race([this.caught.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
