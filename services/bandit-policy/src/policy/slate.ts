import { ArmList, type CampaignPolicy } from './campaign-policy';
import { createCampaignPolicy } from './policies';
import { PolicyErrorCode, PolicyException } from './policy.exception';
import {
  type ChosenSlot,
  type PolicyArm,
  type PropensityMethod,
  type Rng,
  type SlateDecision,
  type SlateRequest,
} from './policy.types';
import { forkRng } from './rng';
import { Sampler } from './sampling';

/** Most joint outcomes (products of campaigns' lists) enumerated for an exact propensity. */
export const EXACT_STATE_CAP = 20_000;

/** Most slots a slate may have. */
export const MAX_SLOTS = 10;

/** The distribution of a slate's outcome given its inputs. */
export interface SlateDistribution {
  /** 'exact': enumerated; 'monte_carlo': estimated from `samples` re-draws. */
  readonly method: 'exact' | 'monte_carlo';
  readonly samples: number;
  /** P(offer in slot k + 1), by offerId, for every arm given (0 included). */
  readonly slotProbability: readonly ReadonlyMap<string, number>[];
  /** P(slot k + 1 left empty). */
  readonly slotEmptyProbability: readonly number[];
  /** P(offer in any slot), by offerId, for every arm given. */
  readonly selectionProbability: ReadonlyMap<string, number>;
  /** P(no slot filled). */
  readonly noOfferProbability: number;
}

function invalid(message: string): PolicyException {
  return new PolicyException(PolicyErrorCode.INVALID_ARGUMENT, message);
}

/**
 * One request, prepared: every campaign's policy with its reusable lists, the arms indexed
 * globally, and buffers for the merged slate. Drawing a slate allocates nothing.
 */
class PreparedSlate {
  readonly policies: CampaignPolicy[] = [];
  /** Global index of each policy's first arm. */
  readonly offset: number[] = [];
  readonly arms: PolicyArm[] = [];
  /** Global tie order: by campaignId, then offerId. */
  readonly rank: Int32Array;
  readonly lists: ArmList[];
  readonly slots: number;
  readonly slotArm: Int32Array;
  readonly slotValue: Float64Array;
  readonly slotCampaign: Int32Array;
  filled = 0;
  private readonly heads: Int32Array;

  constructor(req: SlateRequest) {
    if (!Number.isInteger(req.slots) || req.slots < 1 || req.slots > MAX_SLOTS) {
      throw invalid(`slots must be an integer in 1..${MAX_SLOTS}, got ${req.slots}`);
    }
    if (!Number.isInteger(req.propensitySamples) || req.propensitySamples < 0) {
      throw invalid(`propensitySamples must be a non-negative integer: ${req.propensitySamples}`);
    }
    this.slots = req.slots;
    const seen = new Set<string>();
    const used = req.campaigns.filter((c) => c.arms.length > 0);
    for (const c of used) {
      if (!(c.budgetPrice >= 0 && c.budgetPrice < Infinity)) {
        throw invalid(`campaign ${c.campaignId} has budgetPrice ${c.budgetPrice}`);
      }
      for (const arm of c.arms) {
        if (arm.campaignId !== c.campaignId) {
          throw invalid(`offer ${arm.offerId} is listed under campaign ${c.campaignId}`);
        }
        if (seen.has(arm.offerId)) throw invalid(`offer ${arm.offerId} is given twice`);
        seen.add(arm.offerId);
        this.arms.push(arm);
      }
    }
    const order = this.arms.map((_, g) => g);
    order.sort((a, b) => {
      const x = this.arms[a]!;
      const y = this.arms[b]!;
      return compare(x.campaignId, y.campaignId) || compare(x.offerId, y.offerId);
    });
    this.rank = new Int32Array(this.arms.length);
    order.forEach((g, r) => (this.rank[g] = r));
    let offset = 0;
    for (const c of used) {
      const rank = this.rank.subarray(offset, offset + c.arms.length);
      this.policies.push(createCampaignPolicy(c, req.posteriors, rank));
      this.offset.push(offset);
      offset += c.arms.length;
    }
    this.lists = this.policies.map(() => new ArmList(this.slots));
    this.heads = new Int32Array(this.policies.length);
    this.slotArm = new Int32Array(this.slots);
    this.slotValue = new Float64Array(this.slots);
    this.slotCampaign = new Int32Array(this.slots);
  }

  get exactCapable(): boolean {
    return this.policies.every((p) => p.exact);
  }

  /** Every campaign draws its list, then the lists are merged. */
  draw(sampler: Sampler): void {
    for (let c = 0; c < this.policies.length; c++) {
      this.policies[c]!.drawList(sampler, this.slots, this.lists[c]!);
    }
    this.merge();
  }

  /** The slate the policies' means alone would give. */
  greedy(): void {
    for (let c = 0; c < this.policies.length; c++) {
      this.policies[c]!.greedyList(this.slots, this.lists[c]!);
    }
    this.merge();
  }

  /**
   * Merges the campaigns' lists by value (descending; ties by campaignId, then offerId),
   * each campaign's own order kept, into the first `slots` positions.
   */
  merge(lists: readonly ArmList[] = this.lists): void {
    const heads = this.heads;
    heads.fill(0);
    this.filled = 0;
    while (this.filled < this.slots) {
      let best = -1;
      let bestValue = 0;
      let bestRank = 0;
      for (let c = 0; c < lists.length; c++) {
        const list = lists[c]!;
        const h = heads[c]!;
        if (h >= list.length) continue;
        const v = list.value[h]!;
        const r = this.rank[this.offset[c]! + list.arm[h]!]!;
        if (best < 0 || v > bestValue || (v === bestValue && r < bestRank)) {
          best = c;
          bestValue = v;
          bestRank = r;
        }
      }
      if (best < 0) break;
      const list = lists[best]!;
      const h = heads[best]!;
      this.slotArm[this.filled] = this.offset[best]! + list.arm[h]!;
      this.slotValue[this.filled] = bestValue;
      this.slotCampaign[this.filled] = best;
      heads[best] = h + 1;
      this.filled++;
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Probability mass by outcome, filled by enumeration or by counting re-draws. */
class Tally {
  /** [slot × arm]. */
  readonly slotArm: Float64Array;
  readonly slotEmpty: Float64Array;
  readonly selected: Float64Array;
  empty = 0;

  constructor(
    private readonly slots: number,
    private readonly armCount: number,
  ) {
    this.slotArm = new Float64Array(slots * armCount);
    this.slotEmpty = new Float64Array(slots);
    this.selected = new Float64Array(armCount);
  }

  add(slate: PreparedSlate, weight: number): void {
    for (let k = 0; k < slate.filled; k++) {
      const g = slate.slotArm[k]!;
      const cell = k * this.armCount + g;
      this.slotArm[cell] = this.slotArm[cell]! + weight;
      this.selected[g] = this.selected[g]! + weight;
    }
    for (let k = slate.filled; k < this.slots; k++) {
      this.slotEmpty[k] = this.slotEmpty[k]! + weight;
    }
    if (slate.filled === 0) this.empty += weight;
  }
}

interface Estimate {
  readonly method: 'exact' | 'monte_carlo';
  readonly samples: number;
  readonly tally: Tally;
}

/**
 * Enumerates the joint distribution of the campaigns' lists when every policy is exact and
 * there are at most EXACT_STATE_CAP joint outcomes; returns undefined otherwise.
 */
function enumerate(slate: PreparedSlate): Tally | undefined {
  if (!slate.exactCapable) return undefined;
  const outcomes: { list: ArmList; p: number }[][] = [];
  let states = 1;
  for (const policy of slate.policies) {
    const mine: { list: ArmList; p: number }[] = [];
    const complete = policy.enumerateLists(slate.slots, EXACT_STATE_CAP, (list, p) => {
      const copy = new ArmList(slate.slots);
      copy.copyFrom(list);
      mine.push({ list: copy, p });
    });
    states *= mine.length;
    if (!complete || states > EXACT_STATE_CAP) return undefined;
    outcomes.push(mine);
  }
  const tally = new Tally(slate.slots, slate.arms.length);
  const choice = new Int32Array(outcomes.length);
  const lists = outcomes.map((mine) => mine[0]!.list);
  for (let s = 0; s < states; s++) {
    let p = 1;
    for (let c = 0; c < outcomes.length; c++) {
      const o = outcomes[c]![choice[c]!]!;
      lists[c] = o.list;
      p *= o.p;
    }
    slate.merge(lists);
    tally.add(slate, p);
    // Next combination, odometer-style.
    for (let c = 0; c < choice.length; c++) {
      if (++choice[c]! < outcomes[c]!.length) break;
      choice[c] = 0;
    }
  }
  return tally;
}

function estimate(slate: PreparedSlate, rng: Rng, maxSamples: number): Estimate {
  const exact = enumerate(slate);
  if (exact) return { method: 'exact', samples: 0, tally: exact };
  if (maxSamples < 1) {
    throw invalid('a Monte-Carlo propensity is needed but propensitySamples is 0');
  }
  const tally = new Tally(slate.slots, slate.arms.length);
  const child = new Sampler(forkRng(rng));
  const w = 1 / maxSamples;
  for (let s = 0; s < maxSamples; s++) {
    slate.draw(child);
    tally.add(slate, w);
  }
  return { method: 'monte_carlo', samples: maxSamples, tally };
}

/**
 * The distribution of the slate `decideSlate` would return for `req` (without deciding):
 * exact when every campaign's policy allows it and the outcomes are few enough, else a
 * Monte-Carlo estimate from `req.propensitySamples` re-draws on a stream forked from `req.rng`.
 */
export function slateDistribution(req: SlateRequest): SlateDistribution {
  const slate = new PreparedSlate(req);
  const { method, samples, tally } = estimate(slate, req.rng, req.propensitySamples);
  const n = slate.arms.length;
  const slotProbability: Map<string, number>[] = [];
  for (let k = 0; k < slate.slots; k++) {
    slotProbability.push(new Map(slate.arms.map((a, g) => [a.offerId, tally.slotArm[k * n + g]!])));
  }
  return {
    method,
    samples,
    slotProbability,
    slotEmptyProbability: Array.from(tally.slotEmpty),
    selectionProbability: new Map(slate.arms.map((a, g) => [a.offerId, tally.selected[g]!])),
    noOfferProbability: tally.empty,
  };
}

/**
 * Chooses the offers for a slate and the propensity of each choice.
 *
 * Each campaign's policy draws its own ordered list (see the policies); the lists are
 * merged by value, each campaign's order kept, and the first `slots` taken. The decision
 * draws from `req.rng`; propensities are P(this offer in this slot | inputs):
 * - exact (enumerated) when every policy is ε-greedy, SquareCB, LinUCB or fixed rule and
 *   the joint outcomes number at most EXACT_STATE_CAP; 'deterministic' (propensity 1) where
 *   a LinUCB or fixed-rule campaign's offer was certain to take that slot;
 * - otherwise Monte Carlo: the whole decision is re-run `propensitySamples` times on a
 *   stream forked from `req.rng`, and outcomes are counted. A chosen slot's propensity (and
 *   an empty answer's) is at least 1/(samples + 1): the outcome did happen, so 0 — which
 *   would make an inverse-propensity weight infinite — is certainly wrong.
 */
export function decideSlate(req: SlateRequest): SlateDecision {
  const slate = new PreparedSlate(req);
  slate.draw(new Sampler(req.rng));
  const filled = slate.filled;
  const chosenArm = Array.from(slate.slotArm.subarray(0, filled));
  const chosenValue = Array.from(slate.slotValue.subarray(0, filled));
  const chosenCampaign = Array.from(slate.slotCampaign.subarray(0, filled));
  // Thompson policies' details describe their last draw: read them before any re-draw.
  const details = chosenArm.map((g, k) => {
    const c = chosenCampaign[k]!;
    return slate.policies[c]!.details(g - slate.offset[c]!);
  });
  slate.greedy();
  const greedyArm = Array.from(slate.slotArm.subarray(0, slate.filled));

  const { method, samples, tally } = estimate(slate, req.rng, req.propensitySamples);
  const n = slate.arms.length;
  const floor = method === 'monte_carlo' ? 1 / (samples + 1) : Number.MIN_VALUE;
  const selected = Float64Array.from(tally.selected);
  const slots: ChosenSlot[] = chosenArm.map((g, k) => {
    const policy = slate.policies[chosenCampaign[k]!]!;
    let propensity = Math.min(1, Math.max(floor, tally.slotArm[k * n + g]!));
    let slotMethod: PropensityMethod = method;
    if (method === 'exact' && policy.deterministic && propensity >= 1 - 1e-12) {
      slotMethod = 'deterministic';
      propensity = 1;
    }
    selected[g] = Math.min(1, Math.max(selected[g]!, propensity));
    return {
      rank: k + 1,
      arm: slate.arms[g]!,
      propensity,
      method: slotMethod,
      samples,
      explored: greedyArm[k] !== g,
      value: chosenValue[k]!,
      details: details[k]!,
    };
  });
  const noOfferPropensity = filled === 0 ? Math.min(1, Math.max(floor, tally.empty)) : tally.empty;
  return {
    slots,
    noOfferPropensity,
    selectionProbability: new Map(slate.arms.map((a, g) => [a.offerId, selected[g]!])),
  };
}
