import { CampaignRecord } from '@offerstream/contracts';
import { catalogOffers, type CatalogOffer } from '@offerstream/features';

const key = (shopId: string, offerId: string) => `${shopId}\u0000${offerId}`;

/**
 * The offers of every campaign, as the compacted `offerstream.campaigns.v1` says (each
 * record is the campaign's full state; a tombstone deletes it). Feature inputs only:
 * discount terms, flash-sale stock, budgets.
 */
export class CampaignCatalog {
  private readonly offers = new Map<string, CatalogOffer>();
  /** campaign key → its offer keys, to replace them on the next record. */
  private readonly byCampaign = new Map<string, string[]>();

  get size(): number {
    return this.offers.size;
  }

  /** Applies one record (value null = tombstone of the campaign key `campaignKey`). */
  apply(value: Buffer | null, campaignKey: string, shopIdOfTombstone = ''): void {
    if (value === null) {
      for (const [ck, keys] of this.byCampaign) {
        if (!ck.endsWith(`\u0000${campaignKey}`)) continue;
        if (shopIdOfTombstone && ck !== key(shopIdOfTombstone, campaignKey)) continue;
        for (const k of keys) this.offers.delete(k);
        this.byCampaign.delete(ck);
      }
      return;
    }
    const rec = CampaignRecord.decode(value);
    const c = rec.campaign;
    if (!c) return;
    const ck = key(c.shopId, c.campaignId);
    for (const k of this.byCampaign.get(ck) ?? []) this.offers.delete(k);
    const keys: string[] = [];
    for (const o of catalogOffers(c)) {
      const k = key(c.shopId, o.offerId);
      this.offers.set(k, o);
      keys.push(k);
    }
    this.byCampaign.set(ck, keys);
  }

  get(shopId: string, offerId: string): CatalogOffer | undefined {
    return this.offers.get(key(shopId, offerId));
  }
}
