import {
  CampaignCatalog as Catalog,
  type CatalogEntry,
  type RecordPosition,
} from '@offerstream/campaigns';
import { catalogOffers, type CatalogOffer } from '@offerstream/features';

/**
 * The offers of every campaign, as the compacted `offerstream.campaigns.v1` says (the shared
 * catalog fold), seen as feature inputs: discount terms, flash-sale stock, budgets.
 */
export class CampaignCatalog {
  private readonly catalog = new Catalog();
  private readonly inputs = new WeakMap<CatalogEntry, Map<string, CatalogOffer>>();

  get size(): number {
    return this.catalog.size;
  }

  /** Applies one record of the campaigns topic (value null = tombstone). */
  apply(key: string, value: Buffer | null, position: RecordPosition): void {
    this.catalog.apply(key, value, position);
  }

  get(shopId: string, offerId: string): CatalogOffer | undefined {
    const ref = this.catalog.offer(shopId, offerId);
    if (!ref) return undefined;
    let byId = this.inputs.get(ref.entry);
    if (!byId) {
      byId = new Map(catalogOffers(ref.entry.campaign).map((o) => [o.offerId, o]));
      this.inputs.set(ref.entry, byId);
    }
    return byId.get(offerId);
  }
}
