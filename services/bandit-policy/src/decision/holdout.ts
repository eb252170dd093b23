import { fnv1a32 } from '@offerstream/features';

/**
 * A stable number in [0, 1) for (shop, user, campaign): a user is in a campaign's holdout
 * when it is below the campaign's holdout_share. Stable across replicas, restarts and
 * versions; independent between campaigns (the campaign id is part of the hash), and
 * growing the share only adds users to the holdout (none leave it).
 */
export function holdoutPoint(shopId: string, userId: string, campaignId: string): number {
  // Two 32-bit hashes give 53 bits of resolution. FNV-1a alone mixes its last bytes poorly
  // into the high bits (campaigns "c" and "d" would hold out the same users), so each goes
  // through murmur3's finaliser. Part of the contract: changing it reshuffles every holdout.
  const key = `${shopId}\u0000${userId}\u0000${campaignId}`;
  const hi = fmix32(fnv1a32(key)) >>> 11;
  const lo = fmix32(fnv1a32(`${key}\u0001`));
  return (hi * 2 ** 32 + lo) / 2 ** 53;
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function inHoldout(
  shopId: string,
  userId: string,
  campaignId: string,
  share: number,
): boolean {
  return share > 0 && holdoutPoint(shopId, userId, campaignId) < share;
}
