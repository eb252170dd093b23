import type { RecordPosition } from '@offerstream/campaigns';
import { IdempotentProducer, type Kafka } from '@offerstream/kafka';
import type { CampaignLogPort } from './campaign-admin.service';

/** Writes campaign records to offerstream.campaigns.v1 (acks=all) and reports where they landed. */
export class CampaignLogRepository implements CampaignLogPort {
  private readonly producer: IdempotentProducer;
  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = new IdempotentProducer(kafka);
  }

  async write(key: string, value: Buffer): Promise<RecordPosition> {
    await this.producer.connect();
    const [meta] = await this.producer.send(this.topic, [{ key, value }]);
    if (!meta?.baseOffset) throw new Error('the broker did not report where the record landed');
    return { partition: meta.partition, offset: meta.baseOffset };
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
