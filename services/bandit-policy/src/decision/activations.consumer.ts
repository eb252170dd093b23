import { ActivationStatus, DecisionActivated } from '@offerstream/contracts';
import { endOffsets, TopicTail, type Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import type { LedgerService } from '../ledger/ledger.service';
import type { PacingService } from '../learning/pacing.service';
import type { DeferredDecisions } from './deferred-decisions';
import type { FrequencyCaps } from './frequency-caps';

/**
 * Acts on the verdicts of this replica's deferred decisions (offerstream.activations.v1):
 * activated offers keep their reservation for the attribution window and count for
 * frequency caps; expired ones (or offers the impression did not show) are released.
 */
export class ActivationsConsumer {
  private tail: TopicTail | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly deps: {
      deferred: DeferredDecisions;
      ledger: LedgerService;
      caps: FrequencyCaps;
      pacing: PacingService;
      redeemGraceMs: number;
    },
    private readonly o: { topic: string; groupIdPrefix: string; logger: Logger },
  ) {}

  /** Applies one verdict (exported for tests through the class). */
  apply(a: DecisionActivated): void {
    const slots = this.deps.deferred.take(a.decisionId);
    if (!slots) return;
    const at = a.activatedAt?.getTime() ?? 0;
    for (const s of slots) {
      const shown =
        a.status === ActivationStatus.ACTIVATION_STATUS_ACTIVATED &&
        (a.shownOfferIds.length === 0 || a.shownOfferIds.includes(s.offerId));
      if (shown) {
        this.deps.ledger.ledger.extend(s.reservationId, at + s.windowMs + this.deps.redeemGraceMs);
        this.deps.caps.record(s.shopId, s.userId, s.campaignId, s.day, at);
      } else {
        this.deps.ledger.ledger.release(s.reservationId);
        this.deps.pacing.forget(s.reservationId);
      }
    }
  }

  async start(): Promise<void> {
    const from = await endOffsets(this.kafka, this.o.topic);
    this.tail = new TopicTail(this.kafka, {
      topic: this.o.topic,
      groupIdPrefix: this.o.groupIdPrefix,
      logger: this.o.logger,
      from,
      onRecord: (_k, value) => {
        if (value) this.apply(DecisionActivated.decode(value));
      },
    });
    await this.tail.start();
  }

  async stop(): Promise<void> {
    await this.tail?.stop();
  }
}
