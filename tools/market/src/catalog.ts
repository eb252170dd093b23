import { Prng } from './prng.util';
import type { Scenario } from './scenario';
import { HOUR_MS } from './time.util';

/**
 * The part of the shop a category belongs to: marked-down goods (`outlet`), premium lines
 * (`premium`), everyday goods people buy again (`staples`), or the rest (`regular`).
 */
export type Section = 'regular' | 'outlet' | 'premium' | 'staples';

/** Every section, in a fixed order (the order of users' section weights). */
export const SECTIONS: readonly Section[] = ['regular', 'outlet', 'premium', 'staples'];

/**
 * How generated items of a section are priced, relative to the scenario's price range and
 * margin rates: outlet goods are marked down (by their category's markdown) and earn a thin
 * margin, premium lines cost more and earn more, staples are cheap everyday goods.
 */
const SECTION_PRICING: Readonly<
  Record<Section, { price: readonly [number, number]; margin: readonly [number, number] | null }>
> = {
  regular: { price: [1, 1], margin: null },
  outlet: { price: [1, 1], margin: [0.2, 0.4] },
  premium: { price: [1.3, 2], margin: [0.45, 0.65] },
  staples: { price: [0.3, 0.6], margin: null },
};

/** Markdown of an outlet category's goods when the scenario does not set one. */
export const DEFAULT_MARKDOWN: readonly [number, number] = [0.2, 0.5];

/** One item the shop sells. */
export interface Item {
  readonly itemId: string;
  readonly categoryId: string;
  /** The section of its category. */
  readonly section: Section;
  /** Regular unit price, minor units. */
  readonly priceMinor: number;
  /** Unit cost of goods, minor units (margin = price − cost). */
  readonly unitCostMinor: number;
  /** Units in stock at the start; undefined = never runs out. */
  readonly stock: number | undefined;
  /** Relative chance of being looked at within its category. */
  readonly popularity: number;
  /** Offset from the run's start at which the item goes on sale (0 = from the start). */
  readonly launchOffsetMs: number;
}

/** The shop's assortment and shipping terms. */
export interface Catalog {
  readonly currency: string;
  readonly categories: readonly string[];
  readonly items: readonly Item[];
  readonly byId: ReadonlyMap<string, Item>;
  readonly byCategory: ReadonlyMap<string, readonly Item[]>;
  /** Section of each category (aligned with `categories`). */
  readonly sections: readonly Section[];
  /** Mean markdown of each category's goods (aligned with `categories`; 0 outside the outlet). */
  readonly markdowns: readonly number[];
  /** Indices into `categories` of each section's categories. */
  readonly sectionCategories: Readonly<Record<Section, readonly number[]>>;
  /** What a customer pays for shipping below the free-shipping threshold (pass-through cost). */
  readonly shippingFeeMinor: number;
  /** Order subtotal from which shipping is free anyway. */
  readonly freeShippingThresholdMinor: number;
}

function indicesOf(sections: readonly Section[], section: Section): number[] {
  return sections.flatMap((x, i) => (x === section ? [i] : []));
}

/** Prices end in 90 (e.g. 24.90) as shop prices do. */
function shopPrice(minor: number): number {
  return Math.max(90, Math.round(minor / 100) * 100 - 10);
}

/**
 * The scenario's catalog: `itemsPerCategory` generated items per category (log-uniform
 * prices, uniform margin rates, a skewed popularity) plus the explicitly listed items
 * (flash-sale items, new products). Deterministic for the scenario's seed.
 */
export function buildCatalog(s: Scenario): Catalog {
  const items: Item[] = [];
  const [pLo, pHi] = s.catalog.priceMinor;
  const [mLo, mHi] = s.catalog.marginRate;
  const sectionOfCategory = new Map<string, Section>();
  for (const section of SECTIONS)
    if (section !== 'regular')
      for (const c of s.catalog.sections?.[section] ?? []) sectionOfCategory.set(c, section);
  const sections = s.catalog.categories.map((c) => sectionOfCategory.get(c) ?? 'regular');
  const markdownRanges = s.catalog.categories.map((c, ci) =>
    sections[ci] === 'outlet' ? (s.catalog.markdowns?.[c] ?? DEFAULT_MARKDOWN) : ([0, 0] as const),
  );
  s.catalog.categories.forEach((categoryId, ci) => {
    const section = sections[ci]!;
    const pricing = SECTION_PRICING[section];
    const markdown = markdownRanges[ci]!;
    for (let k = 0; k < s.catalog.itemsPerCategory; k++) {
      const rng = Prng.keyed(s.seed, 'item', ci, k);
      const listMinor = Math.exp(rng.uniform(Math.log(pLo), Math.log(pHi)));
      const factor = rng.uniform(...pricing.price) * (1 - rng.uniform(...markdown));
      const priceMinor = shopPrice(listMinor * factor);
      const margin = pricing.margin ? rng.uniform(...pricing.margin) : rng.uniform(mLo, mHi);
      items.push({
        itemId: `sku-${ci + 1}${String(k + 1).padStart(3, '0')}`,
        categoryId,
        section,
        priceMinor,
        unitCostMinor: Math.round(priceMinor * (1 - margin)),
        stock: undefined,
        popularity: rng.lognormal(0.8),
        launchOffsetMs: 0,
      });
    }
  });
  for (const it of s.catalog.items ?? []) {
    items.push({
      itemId: it.itemId,
      categoryId: it.categoryId,
      section: sectionOfCategory.get(it.categoryId) ?? 'regular',
      priceMinor: it.priceMinor,
      unitCostMinor: it.unitCostMinor,
      stock: it.stock,
      popularity: it.popularity ?? 1,
      launchOffsetMs: (it.launchHours ?? 0) * HOUR_MS,
    });
  }
  const byCategory = new Map<string, Item[]>();
  for (const c of s.catalog.categories) byCategory.set(c, []);
  for (const it of items) byCategory.get(it.categoryId)?.push(it);
  return {
    currency: s.currency,
    categories: s.catalog.categories,
    items,
    byId: new Map(items.map((i) => [i.itemId, i])),
    byCategory,
    sections,
    markdowns: markdownRanges.map(([lo, hi]) => (lo + hi) / 2),
    sectionCategories: {
      regular: indicesOf(sections, 'regular'),
      outlet: indicesOf(sections, 'outlet'),
      premium: indicesOf(sections, 'premium'),
      staples: indicesOf(sections, 'staples'),
    },
    shippingFeeMinor: s.catalog.shippingFeeMinor,
    freeShippingThresholdMinor: s.catalog.freeShippingThresholdMinor,
  };
}
