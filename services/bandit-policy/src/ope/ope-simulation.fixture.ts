/**
 * A known contextual bandit for OPE tests (not for production code): a few customer
 * types, promotions with known mean rewards, logs drawn from a known randomised policy,
 * so every policy's true value is computable exactly.
 */
import { NO_OFFER, type LoggedDecision, type OpeRng } from './ope.types';

// Builtins looked up once: global lookups are slow inside jest's vm context, and these run
// millions of times per test file.
const { imul, sqrt, log, cos, PI } = Math;

/** Mulberry32: a tiny, fast, seedable generator, good enough for simulations. */
export function seededRng(seed: number): OpeRng {
  let s = seed >>> 0;
  return {
    next() {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = imul(t ^ (t >>> 15), t | 1);
      t ^= t + imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export interface BanditContext {
  readonly name: string;
  readonly probability: number;
  /** True mean reward of each action in this context. */
  readonly meanReward: ReadonlyMap<string, number>;
}

export interface Bandit {
  readonly actions: readonly string[];
  readonly contexts: readonly BanditContext[];
  /** Standard deviation of the Gaussian noise around each mean. */
  readonly noiseSd: number;
}

/** A stochastic policy: context name → action → probability. */
export type PolicyTable = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** A logged decision that remembers its context, so it can be re-viewed under another policy. */
export interface SimulatedDecision extends LoggedDecision {
  readonly context: string;
}

const ACTIONS = [NO_OFFER, 'pct10', 'free_ship', 'bogo'] as const;

function means(values: readonly number[]): ReadonlyMap<string, number> {
  return new Map(ACTIONS.map((a, i) => [a, values[i] ?? 0]));
}

/** Incremental profit per decision (minor units) of no offer, 10% off, free shipping, 2-for-1. */
export const PROMO_BANDIT: Bandit = {
  actions: ACTIONS,
  contexts: [
    { name: 'new', probability: 0.5, meanReward: means([40, 70, 55, 30]) },
    { name: 'returning', probability: 0.3, meanReward: means([120, 100, 130, 90]) },
    { name: 'lapsed', probability: 0.2, meanReward: means([10, 60, 30, 80]) },
  ],
  noiseSd: 60,
};

/** ε-greedy: the favourite action with probability 1 − ε + ε/K, each other action ε/K. */
export function epsilonGreedy(
  bandit: Bandit,
  favourite: Readonly<Record<string, string>>,
  epsilon: number,
): PolicyTable {
  const k = bandit.actions.length;
  return new Map(
    bandit.contexts.map((c) => [
      c.name,
      new Map(
        bandit.actions.map((a) => [a, (a === favourite[c.name] ? 1 - epsilon : 0) + epsilon / k]),
      ),
    ]),
  );
}

/** The production policy that logged the data: explores 30% of the time. */
export const LOGGING_POLICY = epsilonGreedy(
  PROMO_BANDIT,
  { new: 'pct10', returning: NO_OFFER, lapsed: 'free_ship' },
  0.3,
);

/** A candidate that mostly plays the truly best action of each context. */
export const BETTER_POLICY = epsilonGreedy(
  PROMO_BANDIT,
  { new: 'pct10', returning: 'free_ship', lapsed: 'bogo' },
  0.1,
);

/** The exact value of a policy: Σₓ p(x) Σₐ π(a|x) mean(x, a). */
export function trueValue(bandit: Bandit, policy: PolicyTable): number {
  let v = 0;
  for (const c of bandit.contexts) {
    for (const [a, p] of policy.get(c.name) ?? new Map<string, number>()) {
      v += c.probability * p * (c.meanReward.get(a) ?? 0);
    }
  }
  return v;
}

export interface SimulationOptions {
  readonly bandit?: Bandit;
  readonly logging?: PolicyTable;
  readonly target?: PolicyTable;
  /** Attach a one-hot context vector (shared by all actions) as features. */
  readonly features?: boolean;
  /** Attach the true mean rewards as the reward model. */
  readonly oracleRewardModel?: boolean;
}

/** n decisions logged by `logging`, each viewed under `target`. */
export function simulateLogs(
  n: number,
  rng: OpeRng,
  options: SimulationOptions = {},
): SimulatedDecision[] {
  const bandit = options.bandit ?? PROMO_BANDIT;
  const logging = options.logging ?? LOGGING_POLICY;
  const target = options.target ?? BETTER_POLICY;
  const perContext = bandit.contexts.map((c, ci) => {
    const oneHot = Float64Array.from(bandit.contexts, (_, j) => (j === ci ? 1 : 0));
    return {
      context: c,
      logging: lookup(logging, c.name),
      target: lookup(target, c.name),
      features: new Map(bandit.actions.map((a) => [a, oneHot])),
    };
  });
  const out: SimulatedDecision[] = [];
  for (let i = 0; i < n; i++) {
    const ctx = pick(
      perContext,
      perContext.map((p) => p.context.probability),
      rng,
    );
    const probs = bandit.actions.map((a) => ctx.logging.get(a) ?? 0);
    const action = pick(bandit.actions, probs, rng);
    const reward = (ctx.context.meanReward.get(action) ?? 0) + bandit.noiseSd * gaussian(rng);
    out.push({
      context: ctx.context.name,
      actions: bandit.actions,
      loggedAction: action,
      loggingPropensity: ctx.logging.get(action) ?? 0,
      reward,
      targetProbabilities: ctx.target,
      ...(options.features ? { features: ctx.features } : {}),
      ...(options.oracleRewardModel ? { rewardModel: ctx.context.meanReward } : {}),
    });
  }
  return out;
}

/** The same logs viewed under another target policy. */
export function retarget<D extends SimulatedDecision>(
  decisions: readonly D[],
  target: PolicyTable,
): D[] {
  return decisions.map((d) => ({ ...d, targetProbabilities: lookup(target, d.context) }));
}

function lookup(policy: PolicyTable, context: string): ReadonlyMap<string, number> {
  const p = policy.get(context);
  if (p === undefined) throw new Error(`policy has no row for context ${context}`);
  return p;
}

function pick<T>(items: readonly T[], probs: readonly number[], rng: OpeRng): T {
  let u = rng.next();
  for (let i = 0; i < items.length - 1; i++) {
    u -= probs[i] ?? 0;
    if (u < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

function gaussian(rng: OpeRng): number {
  const u = 1 - rng.next();
  return sqrt(-2 * log(u)) * cos(2 * PI * rng.next());
}
