import { PolicyErrorCode, PolicyException } from './policy.exception';
import {
  type CampaignArms,
  type PolicyArm,
  type PolicyKind,
  type PosteriorView,
} from './policy.types';
import { Sampler } from './sampling';

/**
 * Default hyper-parameters by policy (PolicyType in campaigns.proto). `lambda` (ridge) is
 * used where linear posteriors are built from rewards, not at decision time.
 */
export const POLICY_DEFAULTS: Readonly<Record<PolicyKind, Readonly<Record<string, number>>>> =
  Object.freeze({
    thompson_beta: Object.freeze({ prior_alpha: 1, prior_beta: 1, prior_strength: 10 }),
    linear_thompson: Object.freeze({ v: 1, lambda: 1 }),
    lin_ucb: Object.freeze({ alpha: 1, lambda: 1 }),
    epsilon_greedy: Object.freeze({ epsilon: 0.05, unscored_fallback: 1, uplift_lcb: 0.04 }),
    square_cb: Object.freeze({ gamma: 100, unscored_fallback: 1, uplift_lcb: 0.04 }),
    fixed_rule: Object.freeze({}),
  });

/** A parameter as configured (when finite), else the policy's default; undefined when it has none. */
function paramOf(
  policy: PolicyKind,
  params: Readonly<Record<string, number>>,
  name: string,
): number | undefined {
  const given = params[name];
  if (given !== undefined && Number.isFinite(given)) return given;
  return POLICY_DEFAULTS[policy][name];
}

/** A hyper-parameter of the campaign, or its documented default when absent or not finite. */
export function policyParam(campaign: CampaignArms, name: string): number {
  const value = paramOf(campaign.policy, campaign.params, name);
  if (value === undefined) {
    throw new PolicyException(
      PolicyErrorCode.INVALID_ARGUMENT,
      `${campaign.policy} has no parameter ${name} (campaign ${campaign.campaignId})`,
    );
  }
  return value;
}

/**
 * A hyper-parameter of a campaign's policy read from its configuration (`params`, else the
 * default), or `absent` when the policy has no such parameter.
 */
export function configuredParam(
  policy: PolicyKind,
  params: Readonly<Record<string, number>>,
  name: string,
  absent: number,
): number {
  return paramOf(policy, params, name) ?? absent;
}

/**
 * One campaign's ordered offers for one decision: local arm indices (into
 * `CampaignArms.arms`) with the values that rank them against other campaigns.
 * Preallocated and reused, so that Monte-Carlo re-draws do not allocate.
 */
export class ArmList {
  readonly arm: Int32Array;
  readonly value: Float64Array;
  length = 0;

  constructor(readonly capacity: number) {
    this.arm = new Int32Array(capacity);
    this.value = new Float64Array(capacity);
  }

  push(arm: number, value: number): void {
    this.arm[this.length] = arm;
    this.value[this.length] = value;
    this.length++;
  }

  copyFrom(other: ArmList): void {
    this.arm.set(other.arm.subarray(0, other.length));
    this.value.set(other.value.subarray(0, other.length));
    this.length = other.length;
  }
}

/**
 * A campaign's policy prepared for one decision (its posteriors read and its values priced
 * once). Lists never hold "no offer": a list ends where "no offer" wins the next position.
 */
export interface CampaignPolicy {
  readonly campaign: CampaignArms;
  /** The distribution of lists is known in closed form (`enumerateLists` works). */
  readonly exact: boolean;
  /** Every draw gives the same list. */
  readonly deterministic: boolean;
  /** The list the policy's means alone would give: the reference for `explored`. */
  greedyList(maxLength: number, out: ArmList): void;
  /** One random list of at most `maxLength` arms. */
  drawList(sampler: Sampler, maxLength: number, out: ArmList): void;
  /**
   * Calls `visit` for every list of positive probability (the list is reused: copy it).
   * Returns false, having stopped, when there are more than `maxLists` or the policy is not
   * exact.
   */
  enumerateLists(
    maxLength: number,
    maxLists: number,
    visit: (list: ArmList, probability: number) => void,
  ): boolean;
  /** Numbers for the decision log about local arm `arm`, as of the last `drawList`. */
  details(arm: number): Record<string, number>;
}

/** Handed to deterministic policies' drawList, which must not draw. */
const NO_RANDOMNESS = new Sampler({
  next(): number {
    throw new Error('a deterministic policy drew a random number');
  },
});

/** What every policy shares: budget pricing, tie order, ranking by value. */
export abstract class BaseCampaignPolicy implements CampaignPolicy {
  abstract readonly exact: boolean;
  abstract readonly deterministic: boolean;
  protected readonly size: number;
  /** λ × expected cost of each arm: what budget pacing takes off its value. */
  protected readonly budgetCost: Float64Array;
  private readonly taken: Uint8Array;

  /**
   * @param rank tie order of the arms (lower wins): their order by offerId, so that
   *   decisions do not depend on the order arms arrive in
   */
  constructor(
    readonly campaign: CampaignArms,
    protected readonly rank: Int32Array,
  ) {
    this.size = campaign.arms.length;
    this.budgetCost = new Float64Array(this.size);
    this.taken = new Uint8Array(this.size);
    for (let i = 0; i < this.size; i++) {
      this.budgetCost[i] = campaign.budgetPrice * this.arm(i).expectedCostMinor;
    }
  }

  abstract greedyList(maxLength: number, out: ArmList): void;
  abstract drawList(sampler: Sampler, maxLength: number, out: ArmList): void;
  abstract details(arm: number): Record<string, number>;

  /** Deterministic policies have one list; the others override this or are not exact. */
  enumerateLists(
    maxLength: number,
    maxLists: number,
    visit: (list: ArmList, probability: number) => void,
  ): boolean {
    if (!this.deterministic || maxLists < 1) return false;
    const list = new ArmList(maxLength);
    this.drawList(NO_RANDOMNESS, maxLength, list);
    visit(list, 1);
    return true;
  }

  protected arm(i: number): PolicyArm {
    return this.campaign.arms[i]!;
  }

  /** The budget-pacing numbers every policy logs. */
  protected budgetDetails(i: number): Record<string, number> {
    return { budget_price: this.campaign.budgetPrice, budget_cost: this.budgetCost[i]! };
  }

  /**
   * The arms that beat "no offer" (value > 0; NaN never does) by descending value, ties by
   * rank, at most `maxLength` of them, into `out`.
   */
  protected rankPositive(values: Float64Array, maxLength: number, out: ArmList): void {
    out.length = 0;
    const n = this.size;
    const limit = maxLength < n ? maxLength : n;
    const taken = this.taken;
    const rank = this.rank;
    while (out.length < limit) {
      let best = -1;
      let bestValue = 0;
      for (let i = 0; i < n; i++) {
        if (taken[i] === 1) continue;
        const v = values[i]!;
        if (v > bestValue || (best >= 0 && v === bestValue && rank[i]! < rank[best]!)) {
          best = i;
          bestValue = v;
        }
      }
      if (best < 0) break;
      taken[best] = 1;
      out.push(best, bestValue);
    }
    for (let k = 0; k < out.length; k++) taken[out.arm[k]!] = 0;
  }
}

/**
 * The value a model puts on arm `arm` (`modelValue`, already incremental), or when no model
 * scored it (cold start, scoring down) the linear posterior's mean xᵀθ̂ — the reward with
 * the offer — minus the mean reward of showing nothing. Not budget-priced.
 */
export function modelOrLinearValue(
  campaign: CampaignArms,
  arm: PolicyArm,
  posteriors: PosteriorView,
): number {
  if (arm.modelValue !== undefined && Number.isFinite(arm.modelValue)) return arm.modelValue;
  return (
    dot(posteriors.linear(campaign.campaignId, arm.offerId).mean(), arm.x) -
    posteriors.baselineValue(campaign.campaignId, campaign.segment)
  );
}

/** aᵀb, refusing vectors of different lengths (a posterior of another dimension). */
export function dot(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) {
    throw new PolicyException(
      PolicyErrorCode.INVALID_ARGUMENT,
      `vector lengths differ: ${a.length} vs ${b.length}`,
    );
  }
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
