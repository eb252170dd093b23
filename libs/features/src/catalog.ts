import { EventType, OfferType, type Campaign, type Event } from '@offerstream/contracts';
import { ids, type EventTypeName, type FeatureEvent } from './feature-event';
import type { CatalogOffer, OfferKind } from './feature-vector';

const KIND: Partial<Record<OfferType, OfferKind>> = {
  [OfferType.OFFER_TYPE_PERCENT_OFF]: 'percent',
  [OfferType.OFFER_TYPE_AMOUNT_OFF]: 'amount',
  [OfferType.OFFER_TYPE_SPEND_X_SAVE_Y]: 'spend_save',
  [OfferType.OFFER_TYPE_FREE_SHIPPING]: 'free_shipping',
  [OfferType.OFFER_TYPE_FLASH_SALE_PRICE]: 'flash',
  [OfferType.OFFER_TYPE_COUPON]: 'coupon',
};

/** The catalog entries (feature inputs) of a campaign's offers; none for deleted/unknown types. */
export function catalogOffers(c: Campaign): CatalogOffer[] {
  const out: CatalogOffer[] = [];
  for (const o of c.offers) {
    const kind = KIND[o.type];
    if (!kind) continue;
    out.push({
      offerId: o.offerId,
      campaignId: c.campaignId,
      kind,
      percentOff: o.percentOff ?? 0,
      amountOffMinor: o.amountOffMinor ?? 0,
      thresholdMinor: o.spendXSaveY?.thresholdMinor ?? o.freeShipping?.thresholdMinor ?? 0,
      saveMinor: o.spendXSaveY?.saveMinor ?? 0,
      salePriceMinor: o.flashSale?.salePriceMinor ?? 0,
      stock: o.flashSale ? o.flashSale.stock : undefined,
      totalBudgetMinor: c.budget?.totalBudgetMinor ?? 0,
      maxDiscountMinor: o.maxDiscountMinor,
      shippingCostMinor: o.freeShipping?.expectedShippingCostMinor ?? 0,
    });
  }
  return out;
}

/** The columns of a validated event that features read. */
export function toFeatureEvent(e: Event): FeatureEvent {
  const name = EventType[e.type];
  return {
    eventId: e.eventId,
    type: (typeof name === 'string'
      ? name.replace('EVENT_TYPE_', '').toLowerCase()
      : 'unknown') as EventTypeName,
    timeMs: e.eventTime?.getTime() ?? 0,
    itemId: ids.get(e.itemId),
    categoryId: ids.get(e.categoryId),
    offerId: ids.get(e.offerId),
    campaignId: ids.get(e.campaignId),
    priceMinor: e.priceMinor,
    quantity: e.quantity,
    discountMinor: e.discountMinor,
  };
}
