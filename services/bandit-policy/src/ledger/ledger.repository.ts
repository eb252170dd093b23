import { LedgerEntry } from '@offerstream/contracts';
import { IdempotentProducer, type Kafka } from '@offerstream/kafka';
import type { LedgerPort } from './ledger.service';

/** Appends lease requests/returns to offerstream.ledger.v1 (acks=all). */
export class LedgerRepository implements LedgerPort {
  private readonly producer: IdempotentProducer;
  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = new IdempotentProducer(kafka);
  }

  async append(key: string, entry: LedgerEntry): Promise<void> {
    await this.producer.connect();
    await this.producer.send(this.topic, [
      { key, value: Buffer.from(LedgerEntry.encode(entry).finish()) },
    ]);
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
