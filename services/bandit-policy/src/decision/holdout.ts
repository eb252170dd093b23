import { fnv1a32 } from '@offerstream/features';

/**
 * A stable number in [0, 1) for (shop, user, campaign): a user is in a campaign's holdout
 * when it is below the campaign's holdout_share. Stable across replicas, restarts and
 * versions; independent between campaigns (the campaign id is part of the hash), and
 * growing the share only adds users to the holdout (none leave it).
 */
export function holdoutPoint(shopId: string, userId: string, campaignId: string): number {
  // Two independent 32-bit hashes give 53 bits of resolution.
  const key = `${shopId}\u0000${userId}\u0000${campaignId}`;
  const hi = fnv1a32(key) >>> 11;
  const lo = fnv1a32(`${key}\u0001`);
  return (hi * 2 ** 32 + lo) / 2 ** 53;
}

export function inHoldout(
  shopId: string,
  userId: string,
  campaignId: string,
  share: number,
): boolean {
  return share > 0 && holdoutPoint(shopId, userId, campaignId) < share;
}
