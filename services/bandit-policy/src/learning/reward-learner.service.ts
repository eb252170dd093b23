import { campaignKey, type CampaignCatalog } from '@offerstream/campaigns';
import { budgetDay, type LedgerService } from '../ledger/ledger.service';
import type { PacingService } from './pacing.service';
import type { PosteriorStore } from './posterior-store.service';

/** A final reward revision, however it arrived (Kafka or ClickHouse at start). */
export interface RewardFact {
  readonly rewardId: string;
  readonly revision: number;
  readonly decisionId: string;
  readonly shopId: string;
  readonly campaignId: string;
  readonly offerId: string;
  readonly segment: string;
  readonly purchased: boolean;
  readonly redeemed: boolean;
  readonly value: number;
  readonly x: ArrayLike<number>;
  readonly discountCostMinor: number;
  readonly servedAtMs: number;
}

/**
 * Applies each reward revision once: posteriors learn it, the reservation it closes is
 * settled (spend taken, the rest back to the lease) or, when its redemption period already
 * closed it, charged what that close missed; pacing counts the spend.
 */
export class RewardLearner {
  constructor(
    private readonly posteriors: PosteriorStore,
    private readonly ledger: LedgerService,
    private readonly pacing: PacingService,
    private readonly catalog: CampaignCatalog,
  ) {}

  apply(r: RewardFact): boolean {
    const first = r.revision <= 1;
    const learned = this.posteriors.learn({
      rewardId: r.rewardId,
      shopId: r.shopId,
      revision: r.revision,
      campaignId: r.campaignId,
      offerId: r.offerId,
      segment: r.segment,
      purchased: r.purchased,
      value: r.value,
      x: r.x,
    });
    if (!learned || !first || r.offerId === '') return learned;
    const key = campaignKey(r.shopId, r.campaignId);
    const reservationId = `${r.decisionId}/${r.offerId}`;
    const c = this.catalog.get(r.shopId, r.campaignId)?.campaign;
    if (!this.ledger.ledger.settle(reservationId, r.discountCostMinor, r.redeemed ? 1 : 0))
      this.ledger.ledger.chargeLate(reservationId, r.discountCostMinor);
    this.ledger.ledger.recordSettled(key, r.discountCostMinor);
    this.pacing.onReward(
      reservationId,
      key,
      c ? budgetDay(c, r.servedAtMs) : '',
      r.discountCostMinor,
    );
    return true;
  }
}
