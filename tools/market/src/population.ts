import type { Catalog } from './catalog';
import { Prng } from './prng.util';
import { USER_TYPES, type Scenario, type UserType } from './scenario';

/**
 * How a user type behaves (means; each user jitters around them) and how it responds to
 * offers. The behaviour half is what makes types *observable* through events; the
 * response half is the ground truth that only the oracle and the tests may read.
 */
export interface TypeProfile {
  /** Sessions per day (scaled by the scenario's traffic.sessionsPerUserPerDay). */
  readonly visitsPerDay: number;
  /** Items looked at per session. */
  readonly viewsPerSession: number;
  /** Chance that a session starts with a search. */
  readonly searchChance: number;
  /** Share of searches that hunt for deals ("sale", "discount", "coupon"). */
  readonly dealSearchShare: number;
  /** Chance that a session puts something into the cart (reaches the cart page, where offers are decided). */
  readonly cartChance: number;
  /** Mean number of further items put into the cart. */
  readonly extraCartItems: number;
  /** Chance of taking an item out of the cart again. */
  readonly removeChance: number;
  /** Chance of clicking a shown offer. */
  readonly offerClickChance: number;
  /** Purchase probability at the cart page without an offer: per-user uniform in [lo, hi]. */
  readonly pBuy: readonly [number, number];
  /** Persuadables: extra purchase probability once the discount is deep enough. */
  readonly uplift: readonly [number, number];
  /** Persuadables: the discount depth (saving / cart value) they need. */
  readonly threshold: readonly [number, number];
  /** Sleeping dogs: relative drop of the purchase probability when any offer is shown. */
  readonly annoyance: readonly [number, number];
}

/** The type profiles the market uses (ground truth; see the README for the reasoning). */
export const TYPE_PROFILES: Readonly<Record<UserType, TypeProfile>> = {
  // Buy anyway, at full price, in short purposeful sessions; an offer only costs money.
  sure_thing: {
    visitsPerDay: 0.9,
    viewsPerSession: 3,
    searchChance: 0.3,
    dealSearchShare: 0.05,
    cartChance: 0.65,
    extraCartItems: 0.4,
    removeChance: 0.05,
    offerClickChance: 0.08,
    pBuy: [0.5, 0.7],
    uplift: [0, 0],
    threshold: [0, 0],
    annoyance: [0, 0],
  },
  // Browse a lot, search for deals, fill carts and abandon them unless the discount is deep enough.
  persuadable: {
    visitsPerDay: 1.4,
    viewsPerSession: 7,
    searchChance: 0.6,
    dealSearchShare: 0.5,
    cartChance: 0.75,
    extraCartItems: 1,
    removeChance: 0.35,
    offerClickChance: 0.35,
    pBuy: [0.02, 0.07],
    uplift: [0.35, 0.55],
    threshold: [0.05, 0.25],
    annoyance: [0, 0],
  },
  // Regular full-price buyers whom a promotion puts off (it cheapens the brand, reminds them to compare).
  sleeping_dog: {
    visitsPerDay: 0.8,
    viewsPerSession: 3.5,
    searchChance: 0.3,
    dealSearchShare: 0.03,
    cartChance: 0.6,
    extraCartItems: 0.4,
    removeChance: 0.08,
    offerClickChance: 0.03,
    pBuy: [0.35, 0.55],
    uplift: [0, 0],
    threshold: [0, 0],
    annoyance: [0.35, 0.6],
  },
  // Rare, short visits; almost never buy, whatever they are offered.
  lost_cause: {
    visitsPerDay: 0.3,
    viewsPerSession: 2,
    searchChance: 0.2,
    dealSearchShare: 0.2,
    cartChance: 0.25,
    extraCartItems: 0.2,
    removeChance: 0.2,
    offerClickChance: 0.06,
    pBuy: [0.01, 0.04],
    uplift: [0, 0],
    threshold: [0, 0],
    annoyance: [0, 0],
  },
};

/** Width of the persuadables' response ramp around their threshold (depth units). */
export const THRESHOLD_RAMP = 0.02;

/** How one user responds to offers at the cart page: the ground-truth parameters. */
export interface UserResponse {
  readonly type: UserType;
  readonly pBuyBase: number;
  readonly uplift: number;
  readonly threshold: number;
  readonly annoyance: number;
}

/** A simulated user: latent type, behaviour and churn parameters. */
export interface SimUser extends UserResponse {
  readonly index: number;
  readonly userId: string;
  readonly visitsPerDay: number;
  readonly viewsPerSession: number;
  readonly searchChance: number;
  readonly dealSearchShare: number;
  readonly cartChance: number;
  readonly extraCartItems: number;
  readonly removeChance: number;
  readonly offerClickChance: number;
  /** Hour of day (UTC) of peak activity, and how strongly activity concentrates there. */
  readonly peakHour: number;
  readonly hourConcentration: number;
  /** Taste: relative interest per category, aligned with Catalog.categories. */
  readonly categoryWeights: readonly number[];
  readonly device: 'desktop' | 'mobile' | 'tablet';
  readonly channel: 'web' | 'app';
  /** Churn: at-risk users have a much higher hazard. */
  readonly atRisk: boolean;
  /** Initial churn hazard per day (retention can lower it during a run). */
  readonly hazardPerDay: number;
  /**
   * The churn risk a predictor would report, in [0, 1] (30-day churn probability with
   * noise): what campaign eligibility by churn risk sees in-process.
   */
  readonly predictedChurnRisk: number;
  /** Exp(1) draw: the user churns once the accumulated hazard reaches it. */
  readonly churnAt: number;
}

/** The users of a run. */
export interface Population {
  readonly users: readonly SimUser[];
  readonly byId: ReadonlyMap<string, SimUser>;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** User id of the i-th user. */
export function userIdOf(index: number): string {
  return `u-${String(index + 1).padStart(6, '0')}`;
}

// Peak hours: evenings dominate, lunch breaks and early risers follow.
const PEAKS: readonly { hour: number; weight: number }[] = [
  { hour: 20.5, weight: 0.55 },
  { hour: 12.5, weight: 0.25 },
  { hour: 8, weight: 0.2 },
];

/**
 * The scenario's users. Types are assigned in exact proportions (shuffled), so a mix of
 * 30 % means 30 % of users; every other parameter comes from the user's own random
 * stream, so user i is the same person whatever the user count.
 */
export function buildPopulation(s: Scenario, catalog: Catalog): Population {
  const n = s.users.count;
  const types: UserType[] = [];
  for (const t of USER_TYPES) {
    const k = Math.round(s.users.typeMix[t] * n);
    for (let i = 0; i < k && types.length < n; i++) types.push(t);
  }
  while (types.length < n) types.push('lost_cause');
  Prng.keyed(s.seed, 'types').shuffle(types);

  const churn = s.users.churn;
  const users = types.map((type, index): SimUser => {
    const rng = Prng.keyed(s.seed, 'user', index);
    const p = TYPE_PROFILES[type];
    const jitter = (mean: number, sigma: number, max = Infinity) =>
      clamp(mean * rng.lognormal(sigma), 0, max);
    const within = ([lo, hi]: readonly [number, number]) => rng.uniform(lo, hi);
    const favourite = rng.int(catalog.categories.length);
    const second = rng.int(catalog.categories.length);
    const categoryWeights = catalog.categories.map(
      (_, i) => (i === favourite ? 6 : i === second ? 3 : 0.5) * rng.lognormal(0.3),
    );
    const peak = PEAKS[rng.weighted(PEAKS.map((x) => x.weight))]!;
    const atRisk = rng.chance(churn.atRiskShare);
    const hazardPerDay =
      (atRisk ? churn.atRiskHazardPerDay : churn.baseHazardPerDay) * rng.lognormal(0.25);
    const deviceDraw = rng.next();
    return {
      index,
      userId: userIdOf(index),
      type,
      visitsPerDay: jitter(p.visitsPerDay * s.traffic.sessionsPerUserPerDay, 0.35),
      viewsPerSession: jitter(p.viewsPerSession, 0.3),
      searchChance: jitter(p.searchChance, 0.25, 0.95),
      dealSearchShare: jitter(p.dealSearchShare, 0.25, 0.95),
      cartChance: jitter(p.cartChance, 0.2, 0.95),
      extraCartItems: jitter(p.extraCartItems, 0.3),
      removeChance: jitter(p.removeChance, 0.3, 0.95),
      offerClickChance: jitter(p.offerClickChance, 0.3, 0.95),
      pBuyBase: within(p.pBuy),
      uplift: within(p.uplift),
      threshold: within(p.threshold),
      annoyance: within(p.annoyance),
      peakHour: (peak.hour + rng.normal() * 1.5 + 24) % 24,
      hourConcentration: rng.uniform(0.8, 2.2),
      categoryWeights,
      device:
        deviceDraw < s.traffic.mobileShare
          ? 'mobile'
          : deviceDraw < s.traffic.mobileShare + s.traffic.tabletShare
            ? 'tablet'
            : 'desktop',
      channel: rng.chance(s.traffic.appShare) ? 'app' : 'web',
      atRisk,
      hazardPerDay,
      predictedChurnRisk: 1 - Math.exp(-30 * hazardPerDay * rng.lognormal(0.35)),
      churnAt: rng.exponential(1),
    };
  });
  return { users, byId: new Map(users.map((u) => [u.userId, u])) };
}
