import type { Offer } from '@offerstream/contracts';

/**
 * False when the offer cannot be redeemed on a cart holding exactly `cartItemIds`: a
 * flash-sale price for an item that is not in it, or a discount restricted to items (and to
 * no categories) none of which is in it. Category-scoped offers stay redeemable (an item id
 * does not say its category), and so does spend-X-save-Y below its threshold (reaching the
 * threshold is what it asks for). An empty list means the cart's items are unknown: true.
 */
export function redeemableOnCart(offer: Offer, cartItemIds: readonly string[]): boolean {
  if (cartItemIds.length === 0) return true;
  if (offer.flashSale) return cartItemIds.includes(offer.flashSale.itemId);
  if (offer.applicableItemIds.length > 0 && offer.applicableCategoryIds.length === 0)
    return offer.applicableItemIds.some((id) => cartItemIds.includes(id));
  return true;
}
