import { DecisionActivated, Reward } from '@offerstream/contracts';
import { IdempotentProducer, type Kafka } from '@offerstream/kafka';
import type { AttributionPublisher } from './attribution.job';

/** Publishes rewards and activations (key user_id, acks=all). */
export class AttributionPublisherRepository implements AttributionPublisher {
  private readonly producer: IdempotentProducer;
  constructor(
    kafka: Kafka,
    private readonly topics: { rewards: string; activations: string },
  ) {
    this.producer = new IdempotentProducer(kafka);
  }

  async rewards(rewards: readonly Reward[]): Promise<void> {
    if (rewards.length === 0) return;
    await this.producer.connect();
    await this.producer.send(
      this.topics.rewards,
      rewards.map((r) => ({ key: r.userId, value: Buffer.from(Reward.encode(r).finish()) })),
    );
  }

  async activations(activations: readonly DecisionActivated[]): Promise<void> {
    if (activations.length === 0) return;
    await this.producer.connect();
    await this.producer.send(
      this.topics.activations,
      activations.map((a) => ({
        key: a.userId,
        value: Buffer.from(DecisionActivated.encode(a).finish()),
      })),
    );
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
