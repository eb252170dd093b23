import { SECTIONS, type Catalog, type Item, type Section } from './catalog';
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
  /** Interest in the shop's sections, relative to the regular assortment (= 1). */
  readonly sectionWeights: Readonly<Record<Exclude<Section, 'regular'>, number>>;
  /** Share of the items looked at that are the user's own items (re-buys, watch list, shortlist). */
  readonly revisitShare: number;
  /** Chance of coming back to an item just looked at (a long, focused look). */
  readonly focus: number;
  /** Chance that a removal from the cart takes out the most expensive line (checking the total). */
  readonly priceCheck: number;
  /** Time spent per page, relative to the average user. */
  readonly dwell: number;
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
  // Buy anyway, at full price: everyday goods (staples), often the very items they bought
  // before (replenishment), found by searching for them; an offer only costs money.
  sure_thing: {
    visitsPerDay: 0.9,
    viewsPerSession: 4,
    searchChance: 0.55,
    dealSearchShare: 0.05,
    cartChance: 0.65,
    extraCartItems: 0.4,
    removeChance: 0.05,
    offerClickChance: 0.08,
    sectionWeights: { outlet: 0.1, premium: 0.2, staples: 1.5 },
    revisitShare: 0.35,
    focus: 0.1,
    priceCheck: 0.3,
    dwell: 0.7,
    pBuy: [0.5, 0.7],
    uplift: [0, 0],
    threshold: [0, 0],
    annoyance: [0, 0],
  },
  // Deal hunters: the outlet (the deep-clearance racks if they need a deep discount), a watch
  // list of marked-down items, "… sale" searches; fill carts, take the priciest line out again
  // and abandon them unless the discount is deep enough.
  persuadable: {
    visitsPerDay: 1.4,
    viewsPerSession: 6,
    searchChance: 0.55,
    dealSearchShare: 0.5,
    cartChance: 0.75,
    extraCartItems: 1,
    removeChance: 0.35,
    offerClickChance: 0.35,
    sectionWeights: { outlet: 1.5, premium: 0.1, staples: 0.2 },
    revisitShare: 0.3,
    focus: 0.15,
    priceCheck: 0.85,
    dwell: 1,
    pBuy: [0.02, 0.07],
    uplift: [0.35, 0.55],
    threshold: [0.05, 0.25],
    annoyance: [0, 0],
  },
  // Regular full-price buyers of premium lines, with long, focused looks at a shortlist, whom a
  // promotion puts off (it cheapens the brand, reminds them to compare).
  sleeping_dog: {
    visitsPerDay: 0.8,
    viewsPerSession: 6,
    searchChance: 0.45,
    dealSearchShare: 0.03,
    cartChance: 0.6,
    extraCartItems: 0.4,
    removeChance: 0.08,
    offerClickChance: 0.03,
    sectionWeights: { outlet: 0.05, premium: 1.5, staples: 0.2 },
    revisitShare: 0.25,
    focus: 0.5,
    priceCheck: 0.3,
    dwell: 2,
    pBuy: [0.35, 0.55],
    uplift: [0, 0],
    threshold: [0, 0],
    annoyance: [0.35, 0.6],
  },
  // Rare, short visits, anywhere in the shop; almost never buy, whatever they are offered.
  lost_cause: {
    visitsPerDay: 0.3,
    viewsPerSession: 2,
    searchChance: 0.2,
    dealSearchShare: 0.2,
    cartChance: 0.25,
    extraCartItems: 0.2,
    removeChance: 0.2,
    offerClickChance: 0.06,
    sectionWeights: { outlet: 0.4, premium: 0.4, staples: 0.2 },
    revisitShare: 0.05,
    focus: 0.05,
    priceCheck: 0.3,
    dwell: 0.5,
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
  /** Interest per section, aligned with SECTIONS (only sections the catalog has count). */
  readonly sectionWeights: readonly number[];
  /** The user's own items, which they come back to (see TypeProfile.revisitShare). */
  readonly ownItemIds: readonly string[];
  readonly revisitShare: number;
  readonly focus: number;
  readonly priceCheck: number;
  readonly dwell: number;
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

/** Spread of users' section interest around their taste's mean (log-normal sigma). */
export const SECTION_JITTER = 0.6;

/**
 * Share of users whose section interest is that of a random type rather than their own:
 * taste and response to offers go together only loosely (a bargain-hunting sure thing, a
 * persuadable who never visits the outlet), so the types overlap in what they browse.
 */
export const TASTE_MISMATCH = 0.15;

/**
 * An item picked as a user browses: a section by their interest (among the sections the
 * catalog has), a category of it by their taste, an item of it by popularity. `available`
 * filters items (stock, launch); undefined when nothing is left to pick.
 */
export function pickItem(
  catalog: Catalog,
  sectionWeights: readonly number[],
  categoryWeights: readonly number[],
  rng: Prng,
  available?: (it: Item) => boolean,
): Item | undefined {
  const categoryId = pickCategory(catalog, sectionWeights, categoryWeights, rng);
  return pickInCategory(catalog, categoryId, rng, available);
}

/** A category picked by section interest, then taste (see {@link pickItem}). */
export function pickCategory(
  catalog: Catalog,
  sectionWeights: readonly number[],
  categoryWeights: readonly number[],
  rng: Prng,
  only?: Section,
): string {
  const present = SECTIONS.map((sec, i) =>
    catalog.sectionCategories[sec].length > 0 && (only === undefined || only === sec)
      ? (sectionWeights[i] ?? 0)
      : 0,
  );
  const section = SECTIONS[rng.weighted(present)]!;
  const cats = catalog.sectionCategories[section];
  return catalog.categories[cats[rng.weighted(cats.map((c) => categoryWeights[c] ?? 0))]!]!;
}

/** An item of a category by popularity, among those `available` lets through. */
export function pickInCategory(
  catalog: Catalog,
  categoryId: string,
  rng: Prng,
  available?: (it: Item) => boolean,
): Item | undefined {
  const all = catalog.byCategory.get(categoryId) ?? [];
  const pool = available ? all.filter(available) : all;
  if (pool.length === 0) return undefined;
  return pool[rng.weighted(pool.map((x) => x.popularity))];
}

/**
 * How strongly a deal hunter's outlet browsing follows the discount they need (log-scale
 * weight per unit of the standardised markdown): price anchoring — whoever holds out for a
 * deep discount browses the deep-clearance racks, whoever bites at 10 % the mild markdowns.
 */
export const MARKDOWN_ANCHORING = 1.5;

/**
 * Where a user's needed discount lies in their type's range, in [0, 1]; 0.5 (no lean) for
 * types without a threshold.
 */
function anchorOf(type: UserType, threshold: number): number {
  const [lo, hi] = TYPE_PROFILES[type].threshold;
  return hi > lo ? (threshold - lo) / (hi - lo) : 0.5;
}

/**
 * The user's category taste with outlet categories reweighted by their markdown:
 * exp(MARKDOWN_ANCHORING × (2·anchor − 1) × z), z the category's markdown scaled to [−1, 1]
 * among the outlet categories (0 when they all have the same).
 */
function anchorOutletTaste(catalog: Catalog, weights: readonly number[], anchor: number): number[] {
  const outlet = catalog.sectionCategories.outlet;
  const m = outlet.map((c) => catalog.markdowns[c] ?? 0);
  const lo = Math.min(...m);
  const hi = Math.max(...m);
  return weights.map((w, c) => {
    const k = outlet.indexOf(c);
    if (k < 0 || hi <= lo) return w;
    const z = (2 * ((m[k] ?? lo) - lo)) / (hi - lo) - 1;
    return w * Math.exp(MARKDOWN_ANCHORING * (2 * anchor - 1) * z);
  });
}

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
    const base = {
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
      device:
        deviceDraw < s.traffic.mobileShare
          ? 'mobile'
          : deviceDraw < s.traffic.mobileShare + s.traffic.tabletShare
            ? 'tablet'
            : 'desktop',
      channel: rng.chance(s.traffic.appShare) ? ('app' as const) : ('web' as const),
      atRisk,
      hazardPerDay,
      predictedChurnRisk: 1 - Math.exp(-30 * hazardPerDay * rng.lognormal(0.35)),
      churnAt: rng.exponential(1),
    } as const;
    // Where the user browses, drawn after the rest (the older parameters keep their streams).
    const taste = rng.chance(TASTE_MISMATCH) ? TYPE_PROFILES[rng.pick(USER_TYPES)] : p;
    const sectionWeights = SECTIONS.map((sec) =>
      sec === 'regular' ? 1 : taste.sectionWeights[sec] * rng.lognormal(SECTION_JITTER),
    );
    const anchored = anchorOutletTaste(catalog, categoryWeights, anchorOf(type, base.threshold));
    const ownItemIds: string[] = [];
    const owned = 2 + rng.int(4);
    for (let k = 0; k < owned; k++) {
      const it = pickItem(catalog, sectionWeights, anchored, rng);
      if (it && !ownItemIds.includes(it.itemId)) ownItemIds.push(it.itemId);
    }
    return {
      ...base,
      categoryWeights: anchored,
      sectionWeights,
      ownItemIds,
      revisitShare: jitter(p.revisitShare, 0.35, 0.9),
      focus: jitter(p.focus, 0.35, 0.9),
      priceCheck: jitter(p.priceCheck, 0.2, 1),
      dwell: jitter(p.dwell, 0.3),
    };
  });
  return { users, byId: new Map(users.map((u) => [u.userId, u])) };
}
