import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { joinSql, queryRows, sql, type ClickHouseClient } from '@offerstream/clickhouse';
import { EVENT_TYPES } from '@offerstream/features';
import { REPO_ROOT } from '../../../test/support/infra';

/** Rows stored in `events` for a user of shop-f (ingest has taken them in). */
export async function countRows(ch: ClickHouseClient, userId: string): Promise<number> {
  const rows = await queryRows<{ n: string }>(
    ch,
    sql`SELECT count() AS n FROM events WHERE shop_id = 'shop-f' AND user_id = ${userId}`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Whether the hourly aggregates hold every stored event of shop-f. ClickHouse writes an
 * insert into `events` before its materialized views, so raw rows can be counted a moment
 * before their aggregates exist; parity is about a settled store.
 */
export async function aggregatesSettled(ch: ClickHouseClient): Promise<boolean> {
  const [raw] = await queryRows<Record<'user' | 'item' | 'offer', string>>(
    ch,
    sql`SELECT countIf(event_type IN (${joinSql(EVENT_TYPES.map((t) => sql`${t}`))})) AS user,
       countIf(item_id != '' AND event_type IN ('view', 'click', 'add_to_cart', 'purchase')) AS item,
       countIf(offer_id != '' AND event_type IN ('offer_impression', 'offer_click', 'offer_redeem', 'purchase')) AS offer
FROM events WHERE shop_id = 'shop-f'`,
  );
  const [agg] = await queryRows<Record<'user' | 'item' | 'offer', string>>(
    ch,
    sql`SELECT
  (SELECT sum(views + clicks + searches + add_to_carts + remove_from_carts + purchases + refunds
            + offer_impressions + offer_clicks + offer_redeems)
   FROM user_hourly WHERE shop_id = 'shop-f') AS user,
  (SELECT sum(views + clicks + add_to_carts + purchases) FROM item_hourly WHERE shop_id = 'shop-f') AS item,
  (SELECT sum(impressions + clicks + redemptions + purchases) FROM offer_hourly WHERE shop_id = 'shop-f') AS offer`,
  );
  return (['user', 'item', 'offer'] as const).every((k) => Number(agg?.[k]) === Number(raw?.[k]));
}

/** What the trainer's offline computation answers (python -m offerstream_trainer features). */
export interface OfflineFeatures {
  spec_version: string;
  user: number[];
  user_cold_start: boolean;
  candidates: { offer_id: string; values: number[]; cold_start: boolean }[];
  sequence: { event_id: string; item_id: string; type: string; time_ms: number }[];
}

/** Runs the trainer's offline feature computation against ClickHouse at `request.as_of_ms`. */
export function offlineFeatures(database: string, request: object): OfflineFeatures {
  const dir = mkdtempSync(join(tmpdir(), 'parity-'));
  const file = join(dir, 'request.json');
  writeFileSync(file, JSON.stringify(request));
  const python = join(REPO_ROOT, '.local', 'trainer-venv', 'bin', 'python');
  const r = spawnSync(
    python,
    [
      '-m',
      'offerstream_trainer',
      'features',
      '--clickhouse-url',
      process.env.CLICKHOUSE_URL ?? '',
      '--database',
      database,
      '--request',
      file,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0)
    throw new Error(`offline features failed (${r.status}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as OfflineFeatures;
}

/** Float32 online vs float64 offline: equal within a relative 1e-5 (absolute near zero). */
export function expectSameVector(
  names: readonly string[],
  online: number[],
  offline: number[],
): void {
  expect(online).toHaveLength(names.length);
  expect(offline).toHaveLength(names.length);
  const off = names.flatMap((n, i) => {
    const a = online[i]!;
    const b = offline[i]!;
    return Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b))
      ? []
      : [`${n}: online ${a} offline ${b}`];
  });
  expect(off).toEqual([]);
}
