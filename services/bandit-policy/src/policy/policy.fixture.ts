import { type ArmList, type CampaignPolicy } from './campaign-policy';
import { RidgeArmPosterior } from './linear-posterior';
import {
  type BetaParams,
  type CampaignArms,
  type LinearArmPosterior,
  POLICY_CONTEXT_DIM,
  type PolicyArm,
  type PosteriorView,
  type SlateRequest,
} from './policy.types';
import { seededRng } from './rng';

/**
 * Plain fakes for the policy specs (not meant for dist: exclude `src/**\/*.fixture.ts` from
 * the service's tsconfig, as ingest does).
 */

/** A context vector with the given leading entries, zero elsewhere. */
export function context(...leading: number[]): Float64Array {
  const x = new Float64Array(POLICY_CONTEXT_DIM);
  x.set(leading);
  return x;
}

export function makeArm(over: Partial<PolicyArm> & Pick<PolicyArm, 'offerId'>): PolicyArm {
  return {
    campaignId: 'c1',
    ruleOrder: 0,
    x: context(1),
    modelValue: undefined,
    marginMinor: 1000,
    redemptionCostMinor: 200,
    expectedCostMinor: 0,
    ...over,
  };
}

/** A campaign whose arms take its campaignId. */
export function makeCampaign(
  over: Partial<Omit<CampaignArms, 'arms'>> & {
    arms: readonly (Partial<PolicyArm> & Pick<PolicyArm, 'offerId'>)[];
  },
): CampaignArms {
  const campaignId = over.campaignId ?? 'c1';
  return {
    campaignId,
    policy: 'epsilon_greedy',
    params: {},
    objective: 'incremental_profit',
    budgetPrice: 0,
    segment: 'seg',
    ...over,
    arms: over.arms.map((a, i) => makeArm({ ruleOrder: i, ...a, campaignId })),
  };
}

/** Posteriors held in maps; anything not set is the prior (Beta(1, 1), ridge with λ = 1). */
export class FakePosteriors implements PosteriorView {
  readonly offers = new Map<string, BetaParams>();
  readonly baselines = new Map<string, BetaParams>();
  readonly baselineValues = new Map<string, number>();
  readonly linears = new Map<string, LinearArmPosterior>();

  withOffer(offerId: string, alpha: number, beta: number): this {
    this.offers.set(offerId, { alpha, beta });
    return this;
  }

  withBaseline(campaignId: string, alpha: number, beta: number): this {
    this.baselines.set(campaignId, { alpha, beta });
    return this;
  }

  withLinear(offerId: string, posterior: LinearArmPosterior): this {
    this.linears.set(offerId, posterior);
    return this;
  }

  offerConversion(_campaignId: string, offerId: string): BetaParams {
    return this.offers.get(offerId) ?? { alpha: 1, beta: 1 };
  }

  baselineValue(campaignId: string): number {
    return this.baselineValues.get(campaignId) ?? 0;
  }

  withBaselineValue(campaignId: string, value: number): this {
    this.baselineValues.set(campaignId, value);
    return this;
  }

  baselineConversion(campaignId: string): BetaParams {
    return this.baselines.get(campaignId) ?? { alpha: 1, beta: 1 };
  }

  linear(_campaignId: string, offerId: string): LinearArmPosterior {
    let p = this.linears.get(offerId);
    if (!p) {
      p = new RidgeArmPosterior(POLICY_CONTEXT_DIM, 1);
      this.linears.set(offerId, p);
    }
    return p;
  }
}

/**
 * A ridge posterior whose mean is close to `theta` along the first coordinates, after
 * `n` noiseless observations on unit vectors (so xᵀA⁻¹x = 1/(λ + n/dims) there).
 */
export function linearWithMean(theta: readonly number[], n: number): RidgeArmPosterior {
  const d = POLICY_CONTEXT_DIM;
  const xx = new Float64Array(d * d);
  const rx = new Float64Array(d);
  for (let k = 0; k < n; k++) {
    const i = k % theta.length;
    xx[i * d + i] = xx[i * d + i]! + 1;
    rx[i] = rx[i]! + theta[i]!;
  }
  return RidgeArmPosterior.fromSums(d, 1, xx, rx, n);
}

export function makeRequest(
  campaigns: readonly CampaignArms[],
  over: Partial<SlateRequest> = {},
): SlateRequest {
  return {
    campaigns,
    slots: 1,
    posteriors: new FakePosteriors(),
    rng: seededRng(1),
    propensitySamples: 256,
    ...over,
  };
}

/** The arms' tie order within their campaign: by offerId, as the slate ranks them. */
export function offerRank(campaign: CampaignArms): Int32Array {
  const order = campaign.arms.map((_, i) => i);
  order.sort((a, b) => (campaign.arms[a]!.offerId < campaign.arms[b]!.offerId ? -1 : 1));
  const rank = new Int32Array(order.length);
  order.forEach((i, r) => (rank[i] = r));
  return rank;
}

/** Every list a policy can give and its probability, keyed "o1,o2" ("" for no offer). */
export function listDistribution(
  policy: CampaignPolicy,
  maxLength: number,
  maxLists = 100_000,
): Map<string, number> {
  const out = new Map<string, number>();
  const complete = policy.enumerateLists(maxLength, maxLists, (list, p) => {
    const key = Array.from(
      list.arm.subarray(0, list.length),
      (i) => policy.campaign.arms[i]!.offerId,
    ).join(',');
    out.set(key, (out.get(key) ?? 0) + p);
  });
  if (!complete) throw new Error('the policy did not enumerate its lists');
  return out;
}

/** The offerIds of a list. */
export function offerIds(policy: CampaignPolicy, list: ArmList): string[] {
  return Array.from(list.arm.subarray(0, list.length), (i) => policy.campaign.arms[i]!.offerId);
}
