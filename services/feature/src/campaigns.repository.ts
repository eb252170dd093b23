import { TOPICS, type Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import type { CampaignCatalog } from './campaign-catalog.service';

/**
 * Reads the compacted `offerstream.campaigns.v1` from the beginning into the catalog on
 * every start and follows it. It never commits offsets (its group holds none), so each
 * start replays the compacted topic: the catalog is rebuilt, not restored.
 */
export class CampaignsRepository {
  private readonly consumer;

  constructor(
    kafka: Kafka,
    private readonly prefix: string,
    groupId: string,
    private readonly catalog: CampaignCatalog,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId,
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [this.prefix + TOPICS.campaigns.name],
      fromBeginning: true,
    });
    await this.consumer.run({
      autoCommit: false,
      // eslint-disable-next-line @typescript-eslint/require-await -- kafkajs wants a promise; the work is synchronous
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        try {
          this.catalog.apply(message.value, key);
        } catch (err) {
          this.logger.error(
            { err, key, offset: message.offset },
            'unreadable campaign record; skipped',
          );
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
