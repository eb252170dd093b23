import type { CandidateScore } from '@offerstream/contracts';
import { POLICY_CONTEXT_DIM } from '../policy/policy.types';
import type { FeatureReader, OfferEconomics } from './offer-economics';

/** Version of the policy context layout below (logged with decisions as part of policy_version). */
export const POLICY_CONTEXT_VERSION = 'pc-1';

/**
 * The linear policies' context vector of one candidate (pc-1), small on purpose so that
 * posterior draws stay O(d²) per arm:
 *  0 bias 1 · 1 P(click) · 2 uplift · 3 P(purchase | offer) (model; 0 without one) ·
 *  4 discount depth · 5 RFM value / 10 · 6 churn risk · 7 discount share (price sensitivity) ·
 *  8 log1p(purchases 30 d) / 5 · 9 log1p(cart value) / 10 · 10 category affinity ·
 *  11 redemption cost / basket (the offer's depth on this basket).
 * All terms are roughly in [0, 1] so one ridge λ fits them all.
 */
export function policyContext(
  reader: FeatureReader,
  user: ArrayLike<number> | undefined,
  cand: ArrayLike<number> | undefined,
  score: CandidateScore | undefined,
  e: OfferEconomics,
): Float64Array {
  const x = new Float64Array(POLICY_CONTEXT_DIM);
  x[0] = 1;
  x[1] = score?.pClick ?? 0;
  x[2] = score?.uplift ?? 0;
  x[3] = score ? score.pPurchaseGivenOffer || score.pPurchase : 0;
  x[4] = reader.cand(cand, 'depth');
  x[5] = reader.user(user, 'rfm') / 10;
  x[6] = reader.user(user, 'churn');
  x[7] = reader.user(user, 'discountShare');
  x[8] = reader.user(user, 'purchases') / 5;
  x[9] = reader.user(user, 'cart') / 10;
  x[10] = reader.cand(cand, 'affinity');
  x[11] = e.basketMinor > 0 ? Math.min(1, e.redemptionCostMinor / e.basketMinor) : 0;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) x[i] = 0;
  return x;
}
