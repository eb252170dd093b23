import type { PosteriorView, PolicyKind, CampaignArms, PolicyArm } from '../policy/policy.types';
import { POLICY_CONTEXT_DIM } from '../policy/policy.types';
import { seededRng } from '../policy/rng';
import { slateDistribution } from '../policy/slate';
import type { LoggedContext } from './ope-logs.repository';
import { NO_OFFER, type LoggedDecision } from './ope.types';

/** A policy to evaluate: an algorithm with parameters, or a fixed reference. */
export type TargetPolicy =
  | {
      readonly kind: PolicyKind;
      readonly params: Readonly<Record<string, number>>;
      readonly label: string;
    }
  | { readonly kind: 'none'; readonly label: string }
  | { readonly kind: 'logging'; readonly label: string };

const KINDS: readonly PolicyKind[] = [
  'thompson_beta',
  'linear_thompson',
  'lin_ucb',
  'epsilon_greedy',
  'square_cb',
  'fixed_rule',
];

/** Parses "epsilon_greedy:epsilon=0.1,foo=2", "none" (never show an offer) or "logging". */
export function parsePolicy(spec: string): TargetPolicy {
  const [name = '', rest = ''] = spec.split(':', 2);
  if (name === 'none' || name === 'logging') return { kind: name, label: spec };
  if (!(KINDS as readonly string[]).includes(name))
    throw new Error(
      `unknown policy ${JSON.stringify(name)} (one of ${[...KINDS, 'none', 'logging'].join(', ')})`,
    );
  const params: Record<string, number> = {};
  for (const kv of rest.split(',').filter((x) => x !== '')) {
    const [k = '', v = ''] = kv.split('=', 2);
    const n = Number(v);
    if (!/^[a-z_]+$/.test(k) || !Number.isFinite(n))
      throw new Error(`bad policy parameter ${JSON.stringify(kv)} in ${spec}`);
    params[k] = n;
  }
  return { kind: name as PolicyKind, params, label: spec };
}

const OBJECTIVES = new Set(['incremental_profit', 'conversions', 'revenue']);

/**
 * The logs as the estimators see them, with `target`'s probability of each action in each
 * logged context (slot 1: the first offer shown, or none). The target's choice is replayed
 * from what the decision logged about every candidate (policy context, model value, margin,
 * cost, budget price) against `posteriors` (learned before the evaluation window).
 */
export function toLoggedDecisions(
  contexts: readonly LoggedContext[],
  target: TargetPolicy,
  posteriorsOf: (shopId: string) => PosteriorView,
  samples = 400,
): LoggedDecision[] {
  const out: LoggedDecision[] = [];
  contexts.forEach((ctx, i) => {
    const shown = ctx.candidates.find((c) => c.rank === 1);
    const actions = [NO_OFFER, ...ctx.candidates.map((c) => c.offerId)];
    const loggedAction = shown?.offerId ?? NO_OFFER;
    const loggingPropensity = shown ? shown.propensity : ctx.noOfferPropensity;
    if (!(loggingPropensity > 0)) return;
    const probs = new Map<string, number>();
    if (target.kind === 'none') {
      for (const a of actions) probs.set(a, a === NO_OFFER ? 1 : 0);
    } else if (target.kind === 'logging') {
      let sum = 0;
      for (const c of ctx.candidates) {
        probs.set(c.offerId, c.selectionProbability);
        sum += c.selectionProbability;
      }
      probs.set(NO_OFFER, Math.max(0, 1 - sum));
    } else {
      const byCampaign = new Map<string, PolicyArm[]>();
      for (const c of ctx.candidates) {
        const arm: PolicyArm = {
          offerId: c.offerId,
          campaignId: c.campaignId,
          ruleOrder: 0,
          x:
            c.x.length === POLICY_CONTEXT_DIM
              ? Float64Array.from(c.x)
              : new Float64Array(POLICY_CONTEXT_DIM),
          modelValue: c.scored ? c.expectedValueMinor : undefined,
          marginMinor: c.marginMinor,
          redemptionCostMinor: c.redemptionCostMinor,
          expectedCostMinor: c.expectedCostMinor,
        };
        const l = byCampaign.get(c.campaignId) ?? [];
        l.push(arm);
        byCampaign.set(c.campaignId, l);
      }
      const campaigns: CampaignArms[] = [...byCampaign.entries()].map(([campaignId, arms]) => {
        const first = ctx.candidates.find((c) => c.campaignId === campaignId)!;
        return {
          campaignId,
          policy: target.kind,
          params: target.params,
          objective: (OBJECTIVES.has(first.objective)
            ? first.objective
            : 'incremental_profit') as CampaignArms['objective'],
          budgetPrice: first.budgetPrice,
          segment: first.segment,
          arms,
        };
      });
      const dist = slateDistribution({
        campaigns,
        slots: 1,
        posteriors: posteriorsOf(ctx.shopId),
        rng: seededRng(BigInt(i) + 1n),
        propensitySamples: samples,
      });
      const slot = dist.slotProbability[0];
      for (const c of ctx.candidates) probs.set(c.offerId, slot?.get(c.offerId) ?? 0);
      probs.set(NO_OFFER, dist.slotEmptyProbability[0] ?? 0);
    }
    // Normalise away Monte-Carlo / rounding residue so probabilities sum to exactly 1.
    const total = [...probs.values()].reduce((a, b) => a + b, 0);
    if (total > 0) for (const [k, v] of probs) probs.set(k, v / total);
    const features = new Map<string, Float64Array>();
    for (const c of ctx.candidates)
      features.set(
        c.offerId,
        Float64Array.from(c.x.length ? c.x : new Array(POLICY_CONTEXT_DIM).fill(0)),
      );
    features.set(NO_OFFER, new Float64Array(POLICY_CONTEXT_DIM));
    out.push({
      actions,
      loggedAction,
      loggingPropensity: Math.min(1, loggingPropensity),
      reward: ctx.reward ?? 0,
      targetProbabilities: probs,
      features,
    });
  });
  return out;
}
