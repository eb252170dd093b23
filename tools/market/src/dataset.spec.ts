import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_WINDOW_MS, exportDataset, type DatasetRow, type DatasetTable } from './dataset';
import { loadScenario, withOverrides } from './scenario';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'deploy', 'clickhouse', 'migrations');

/** Column names of every CREATE TABLE in a migration file, in order. */
function tableColumns(file: string): Map<string, string[]> {
  const sql = readFileSync(join(MIGRATIONS, file), 'utf8').replace(/--[^\n]*/g, '');
  const tables = new Map<string, string[]>();
  for (const m of sql.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)\s*\(([\s\S]*?)\)\s*ENGINE/g)) {
    const columns = m[2]!
      .split('\n')
      .map((l) => /^\s*(\w+)\s+\S/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined);
    tables.set(m[1]!, columns);
  }
  return tables;
}

const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describe('the dataset export', () => {
  const endMs = Date.UTC(2026, 0, 15, 9, 30);
  const rows: DatasetRow[] = [];
  const summary = exportDataset(
    { scenario: withOverrides(loadScenario('double-11'), { users: 400, seed: 7 }), endMs },
    (r) => rows.push(r),
  );
  const of = (t: DatasetTable) => rows.filter((r) => r.table === t).map((r) => r.row);
  const columns = new Map([
    ...tableColumns('0001_events.sql'),
    ...tableColumns('0004_decisions_rewards.sql'),
  ]);

  it('writes rows of every table', () => {
    for (const t of [
      'catalog',
      'events',
      'decisions',
      'decision_candidates',
      'rewards',
      'truth',
    ] as const) {
      expect(of(t).length).toBeGreaterThan(0);
      expect(summary[t]).toBe(of(t).length);
    }
  });

  it('writes exactly the columns of the ClickHouse tables', () => {
    for (const t of ['events', 'decisions', 'decision_candidates', 'rewards'] as const) {
      const expected = [...(columns.get(t) ?? [])].sort();
      expect(expected.length).toBeGreaterThan(10);
      const shapes = new Set(of(t).map((row) => JSON.stringify(Object.keys(row).sort())));
      expect([...shapes].map((k) => JSON.parse(k) as string[])).toEqual([expected]);
    }
  });

  it('keeps every simulated time inside the three days before the end', () => {
    const from = endMs - DATASET_WINDOW_MS;
    const outside: string[] = [];
    let checked = 0;
    for (const { table, row } of rows) {
      for (const [k, v] of Object.entries(row)) {
        let ms: number | undefined;
        if (k.endsWith('_ms') && typeof v === 'number' && v !== 0) ms = v;
        else if (typeof v === 'string' && DATETIME.test(v))
          ms = Date.parse(`${v.replace(' ', 'T')}Z`) + 999;
        if (ms === undefined) continue;
        checked++;
        if (ms < from || ms > endMs + 999) outside.push(`${table}.${k} = ${String(v)}`);
      }
    }
    expect(checked).toBeGreaterThan(rows.length);
    expect(outside).toEqual([]);
  });

  it('writes DateTime columns as UTC text and enums by their lower-case names', () => {
    const [e] = of('events');
    expect(e!.event_time).toMatch(DATETIME);
    expect(new Set(of('events').map((r) => r.event_type))).toEqual(
      new Set([
        'view',
        'click',
        'search',
        'add_to_cart',
        'remove_from_cart',
        'purchase',
        'refund',
        'offer_impression',
        'offer_click',
        'offer_redeem',
      ]),
    );
    const chosen = of('decision_candidates').filter((r) => r.rank === 1);
    expect(
      chosen.every((r) => r.policy === 'epsilon_greedy' && r.propensity_method === 'exact'),
    ).toBe(true);
    expect(of('decisions').every((r) => r.page_type === 'cart' && r.kafka_partition === 0)).toBe(
      true,
    );
    expect(of('decisions').every((r) => (r.user_features as unknown[]).length === 0)).toBe(true);
  });

  it('logs uniform propensities over the eligible offers and "no offer"', () => {
    const byDecision = new Map<unknown, Record<string, unknown>[]>();
    for (const c of of('decision_candidates'))
      byDecision.set(c.decision_id, [...(byDecision.get(c.decision_id) ?? []), c]);
    for (const d of of('decisions')) {
      if (d.holdout === 1) continue;
      const offers = byDecision.get(d.decision_id)!.filter((c) => c.offer_id !== '');
      expect(d.no_offer_propensity).toBeCloseTo(1 / (offers.length + 1));
      for (const c of offers) expect(c.selection_probability).toBeCloseTo(1 / (offers.length + 1));
    }
  });

  it('rewards every shown offer (rank 1) and every holdout decision (rank 0)', () => {
    const rewards = new Map(of('rewards').map((r) => [r.reward_id, r]));
    for (const c of of('decision_candidates')) {
      if (c.rank === 1)
        expect(rewards.get(`${String(c.decision_id)}:1`)).toMatchObject({
          offer_id: c.offer_id,
          revision: 1,
          final: 1,
        });
      if (c.holdout === 1)
        expect(rewards.get(`${String(c.decision_id)}:0:${String(c.campaign_id)}`)).toMatchObject({
          rank: 0,
          holdout: 1,
          propensity: 1,
        });
    }
    for (const r of of('rewards')) {
      expect(r.reward_value).toBe(r.incremental_profit_minor);
      expect(r.incremental_profit_minor).toBe(
        Number(r.margin_minor) - Number(r.discount_cost_minor),
      );
      expect(r.reward_definition).toBe('incremental_profit');
    }
    const holdouts = of('rewards').filter((r) => r.holdout === 1);
    expect(holdouts.length).toBeGreaterThan(0);
  });

  it('ships the campaign catalog as the trainer’s --catalog reads it: one entry per offer', () => {
    const catalog = of('catalog');
    expect(catalog.map((c) => c.offerId)).toEqual([
      'off-d11-10pct',
      'off-d11-20pct',
      'off-d11-5eur',
      'off-d11-spend60-save12',
      'off-d11-free-shipping',
    ]);
    expect(catalog[0]).toEqual({
      offerId: 'off-d11-10pct',
      campaignId: 'cmp-double-11',
      kind: 'percent',
      percentOff: 10,
      amountOffMinor: 0,
      thresholdMinor: 0,
      saveMinor: 0,
      salePriceMinor: 0,
      stock: undefined,
      totalBudgetMinor: 750000,
      maxDiscountMinor: 2000,
      shippingCostMinor: 0,
    });
    expect(catalog[3]).toMatchObject({ kind: 'spend_save', thresholdMinor: 6000, saveMinor: 1200 });
    expect(catalog[4]).toMatchObject({ kind: 'free_shipping', shippingCostMinor: 450 });
  });

  it('writes one truth row per user with the latent type and ground-truth purchase probabilities', () => {
    const truth = of('truth');
    expect(truth).toHaveLength(400);
    expect(new Set(truth.map((t) => t.user_type))).toEqual(
      new Set(['sure_thing', 'persuadable', 'sleeping_dog', 'lost_cause']),
    );
    for (const t of truth) {
      expect(Object.keys(t).sort()).toEqual([
        'p_buy_no_offer',
        'p_buy_with_offer',
        'shop_id',
        'user_id',
        'user_type',
      ]);
      expect(Object.keys(t.p_buy_with_offer as object)).toContain('off-d11-20pct');
    }
  });
});
