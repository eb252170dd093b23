import { Reward } from '@offerstream/contracts';
import { endOffsets, TopicTail, type Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import type { RewardLearner } from './reward-learner.service';
import type { RewardsRepository } from './rewards.repository';

/**
 * Every replica learns from every reward. At start: note where offerstream.rewards.v1
 * ends, fold the rewards ClickHouse holds (attribution stores a reward before publishing
 * it, so everything before that point is there), then follow the topic from that point.
 * Overlap is harmless: a reward revision is applied once.
 */
export class RewardsConsumer {
  private tail: TopicTail | undefined;
  private loaded = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly repo: RewardsRepository,
    private readonly learner: RewardLearner,
    private readonly o: { topic: string; groupIdPrefix: string; horizonMs: number; logger: Logger },
  ) {}

  get ready(): boolean {
    return this.loaded;
  }

  async start(nowMs: number): Promise<void> {
    const from = await endOffsets(this.kafka, this.o.topic);
    const stored = await this.repo.latestSince(nowMs - this.o.horizonMs);
    for (const r of stored) this.learner.apply({ ...r, redeemed: r.discountCostMinor > 0 });
    this.o.logger.info({ rewards: stored.length }, 'posteriors rebuilt from ClickHouse');
    this.tail = new TopicTail(this.kafka, {
      topic: this.o.topic,
      groupIdPrefix: this.o.groupIdPrefix,
      logger: this.o.logger,
      from,
      onRecord: (_key, value) => {
        if (!value) return;
        const r = Reward.decode(value);
        if (!r.final) return;
        this.learner.apply({
          rewardId: r.rewardId,
          revision: r.revision,
          decisionId: r.decisionId,
          shopId: r.shopId,
          campaignId: r.campaignId,
          offerId: r.offerId,
          segment: r.segment,
          purchased: r.purchased,
          redeemed: r.redeemed,
          value: r.rewardValue,
          x: r.policyFeatures,
          discountCostMinor: r.discountCostMinor,
          servedAtMs:
            (r.windowEnd?.getTime() ?? 0) -
            (r.attributionWindow ? r.attributionWindow.seconds * 1000 : 0),
        });
      },
    });
    await this.tail.start();
    this.loaded = true;
  }

  async stop(): Promise<void> {
    await this.tail?.stop();
  }
}
