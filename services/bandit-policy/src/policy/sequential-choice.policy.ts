import { ArmList, BaseCampaignPolicy, modelOrLinearValue, policyParam } from './campaign-policy';
import { type CampaignArms, type PosteriorView } from './policy.types';
import { type Sampler } from './sampling';

/**
 * Policies that pick among K options — the remaining arms plus "no offer" (value 0) — with
 * explicit probabilities, position by position without replacement: the same distribution
 * is re-applied to what is left, and the list ends when "no offer" is drawn. Because
 * "no offer" is one of the K options, exploration can also choose to show nothing.
 * Values are the model's (`modelValue`, else the linear posterior's mean), budget-priced.
 *
 * `unscored_fallback` (default 1) says what an arm the model did not score (scoring down,
 * features stale) is worth: 1 = its linear posterior mean; 0 = it is not an option, so a
 * decision without scores shows nothing. The linear mean is the reward with the offer in
 * this context minus the segment's mean reward without one: users who buy anyway make an
 * offer look good to it, so a campaign that trusts only its model sets 0.
 */
export abstract class SequentialChoicePolicy extends BaseCampaignPolicy {
  readonly exact = true;
  readonly deterministic = false;
  /** Budget-priced value of each arm. */
  protected readonly value: Float64Array;
  /** 1 for the arms that are options at all (see `unscored_fallback`). */
  private readonly usable: Uint8Array;
  private readonly usableCount: number;
  /** `value` with arms that are no option at −∞ (below "no offer"), for the greedy list. */
  private readonly greedyValue: Float64Array;
  private readonly remaining: Uint8Array;
  private readonly probs: Float64Array;

  constructor(campaign: CampaignArms, rank: Int32Array, posteriors: PosteriorView) {
    super(campaign, rank);
    const n = this.size;
    this.value = new Float64Array(n);
    this.usable = new Uint8Array(n);
    this.remaining = new Uint8Array(n);
    this.probs = new Float64Array(n);
    const linearFallback = policyParam(campaign, 'unscored_fallback') !== 0;
    let usable = 0;
    for (let i = 0; i < n; i++) {
      const arm = this.arm(i);
      const scored = arm.modelValue !== undefined && Number.isFinite(arm.modelValue);
      if (!scored && !linearFallback) continue;
      this.usable[i] = 1;
      usable++;
      this.value[i] = modelOrLinearValue(campaign, arm, posteriors) - this.budgetCost[i]!;
    }
    this.usableCount = usable;
    this.greedyValue =
      usable === n
        ? this.value
        : Float64Array.from(this.value, (v, i) => (this.usable[i] === 1 ? v : -Infinity));
  }

  /**
   * The probability of each remaining arm into `probs` (0 for the others); returns that of
   * "no offer". `remainingCount` ≥ 1 arms remain.
   */
  protected abstract distribution(
    remaining: Uint8Array,
    remainingCount: number,
    probs: Float64Array,
  ): number;

  /** The best remaining arm (ties by rank), or −1 when none beats "no offer". */
  protected bestRemaining(remaining: Uint8Array): number {
    let best = -1;
    let bestValue = 0;
    for (let i = 0; i < this.size; i++) {
      if (remaining[i] !== 1) continue;
      const v = this.value[i]!;
      if (v > bestValue || (best >= 0 && v === bestValue && this.rank[i]! < this.rank[best]!)) {
        best = i;
        bestValue = v;
      }
    }
    return best;
  }

  greedyList(maxLength: number, out: ArmList): void {
    this.rankPositive(this.greedyValue, maxLength, out);
  }

  drawList(sampler: Sampler, maxLength: number, out: ArmList): void {
    const n = this.size;
    const remaining = this.remaining;
    const probs = this.probs;
    remaining.set(this.usable);
    out.length = 0;
    let count = this.usableCount;
    while (out.length < maxLength && count > 0) {
      const pNone = this.distribution(remaining, count, probs);
      const u = sampler.uniform();
      let acc = pNone;
      let pick = -1;
      if (u >= acc) {
        let last = -1;
        for (let i = 0; i < n; i++) {
          const p = probs[i]!;
          if (remaining[i] !== 1 || !(p > 0)) continue;
          acc += p;
          last = i;
          if (u < acc) {
            pick = i;
            break;
          }
        }
        // Rounding can leave the cumulative sum a hair below 1.
        if (pick < 0) pick = last;
      }
      if (pick < 0) break;
      remaining[pick] = 0;
      count--;
      out.push(pick, this.value[pick]!);
    }
  }

  override enumerateLists(
    maxLength: number,
    maxLists: number,
    visit: (list: ArmList, probability: number) => void,
  ): boolean {
    const n = this.size;
    const remaining = Uint8Array.from(this.usable);
    const probsByDepth = Array.from({ length: maxLength }, () => new Float64Array(n));
    const list = new ArmList(maxLength);
    let visited = 0;
    const emit = (p: number): boolean => {
      visit(list, p);
      return ++visited <= maxLists;
    };
    const walk = (depth: number, count: number, p: number): boolean => {
      if (depth === maxLength || count === 0) return emit(p);
      const probs = probsByDepth[depth]!;
      const pNone = this.distribution(remaining, count, probs);
      if (pNone > 0 && !emit(p * pNone)) return false;
      for (let i = 0; i < n; i++) {
        const q = probs[i]!;
        if (remaining[i] !== 1 || !(q > 0)) continue;
        remaining[i] = 0;
        list.push(i, this.value[i]!);
        const ok = walk(depth + 1, count - 1, p * q);
        list.length--;
        remaining[i] = 1;
        if (!ok) return false;
      }
      return true;
    };
    return walk(0, this.usableCount, 1);
  }
}
