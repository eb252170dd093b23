import { Prng } from './prng.util';
import type { Scenario } from './scenario';
import { HOUR_MS } from './time.util';

/** One item the shop sells. */
export interface Item {
  readonly itemId: string;
  readonly categoryId: string;
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
  /** What a customer pays for shipping below the free-shipping threshold (pass-through cost). */
  readonly shippingFeeMinor: number;
  /** Order subtotal from which shipping is free anyway. */
  readonly freeShippingThresholdMinor: number;
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
  s.catalog.categories.forEach((categoryId, ci) => {
    for (let k = 0; k < s.catalog.itemsPerCategory; k++) {
      const rng = Prng.keyed(s.seed, 'item', ci, k);
      const priceMinor = shopPrice(Math.exp(rng.uniform(Math.log(pLo), Math.log(pHi))));
      const margin = rng.uniform(mLo, mHi);
      items.push({
        itemId: `sku-${ci + 1}${String(k + 1).padStart(3, '0')}`,
        categoryId,
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
    shippingFeeMinor: s.catalog.shippingFeeMinor,
    freeShippingThresholdMinor: s.catalog.freeShippingThresholdMinor,
  };
}
