/**
 * Budget pacing's plan shape from the decision log: each shop's decisions per UTC hour of
 * the day, read from the real ClickHouse, and the shares the pacer's plans follow.
 */
import { freshDatabase } from '../../../test/support/infra';
import { trafficShares } from '../src/learning/traffic-profile';
import { TrafficProfileRepository } from '../src/learning/traffic-profile.repository';

jest.setTimeout(120_000);

const HOUR = 3_600_000;
let db: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

it('counts each shop’s decisions by UTC hour of the day, a re-delivered decision once, within the window', async () => {
  // Two days back from the last full hour: shop "evening" has 24 decisions at 19:xx UTC and
  // five at every other hour; shop "flat" one an hour; a decision written twice (a Kafka
  // re-delivery before the table's merge) and one older than the window.
  const now = Math.floor(Date.now() / HOUR) * HOUR;
  const from = now - 2 * 24 * HOUR;
  const decisions: Record<string, unknown>[] = [];
  const add = (id: string, shopId: string, atMs: number) =>
    decisions.push({
      decision_id: id,
      shop_id: shopId,
      user_id: `u-${id}`,
      served_at: Math.floor(atMs / 1000),
      served_at_ms: atMs,
    });
  for (let t = from; t < now; t += HOUR) {
    const hour = new Date(t).getUTCHours();
    for (let i = 0; i < (hour === 19 ? 24 : 5); i++) add(`e-${t}-${i}`, 'evening', t + i * 1000);
    add(`f-${t}`, 'flat', t + 1234);
  }
  add(`f-${from}`, 'flat', from + 1234);
  add('old', 'flat', from - 10 * HOUR);
  await db.client.insert({ table: 'decisions', values: decisions, format: 'JSONEachRow' });

  const rows = await new TrafficProfileRepository(db.client).hourly(from);
  const of = (shop: string) => rows.filter((r) => r.shopId === shop);
  expect(of('evening')).toHaveLength(24);
  expect(of('evening').find((r) => r.hour === 19)?.decisions).toBe(48);
  expect(of('evening').find((r) => r.hour === 3)?.decisions).toBe(10);
  expect(of('flat').map((r) => r.decisions)).toEqual(new Array(24).fill(2));
  expect(Math.min(...of('flat').map((r) => r.firstMs))).toBe(from + 1234);

  // Both reach back two days with ≥ 240 decisions (evening: 2 × (24 + 23 × 5) = 278;
  // flat: 48, too few); the evening shop's plan puts a sixth of its traffic at 19:00.
  const shares = trafficShares(rows, now);
  expect([...shares.keys()]).toEqual(['evening']);
  const evening = shares.get('evening')!;
  expect(evening[19]).toBeCloseTo(0.9 * (48 / 278) + 0.1 / 24, 9);
  expect(evening[3]).toBeCloseTo(0.9 * (10 / 278) + 0.1 / 24, 9);
});
