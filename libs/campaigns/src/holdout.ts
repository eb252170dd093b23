import { fnv1a32 } from '@offerstream/features';

/**
 * A stable number in [0, 1) for a user in a campaign: the user is in the campaign's holdout
 * when it is below the campaign's holdout_share. Without a holdout group it hashes (shop,
 * user, campaign); with one, (group, user), so campaigns of one group hold out the same user
 * ids in whatever shop. Stable across replicas, restarts and versions; independent between
 * campaigns and between groups; growing the share only adds users to the holdout (none
 * leave it).
 */
export function holdoutPoint(
  shopId: string,
  userId: string,
  campaignId: string,
  holdoutGroup = '',
): number {
  // Two 32-bit hashes give 53 bits of resolution. FNV-1a alone mixes its last bytes poorly
  // into the high bits (campaigns "c" and "d" would hold out the same users), so each goes
  // through murmur3's finaliser. Part of the contract: changing it reshuffles every holdout.
  // A group's key starts with \u0002, which no id contains, so it never equals a campaign's.
  const key =
    holdoutGroup === ''
      ? `${shopId}\u0000${userId}\u0000${campaignId}`
      : `\u0002${holdoutGroup}\u0000${userId}`;
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

/** What decides a campaign's holdout (the Campaign message's fields). */
export interface HoldoutTerms {
  readonly campaignId: string;
  readonly holdoutShare: number;
  readonly holdoutGroup: string;
}

/** True when the user is in the campaign's holdout (never shown its offers, still logged). */
export function inHoldout(shopId: string, userId: string, c: HoldoutTerms): boolean {
  return (
    c.holdoutShare > 0 &&
    holdoutPoint(shopId, userId, c.campaignId, c.holdoutGroup) < c.holdoutShare
  );
}
