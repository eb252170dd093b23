import { Event, EventType } from '@offerstream/contracts';
import { queryRows, sql, ident, type ClickHouseClient } from '@offerstream/clickhouse';
import { toEventMessage } from '@offerstream/events';
import type { Kafka } from '@offerstream/kafka';
import { expectEventually } from '@offerstream/testing';
import { startBuiltService, type ServiceProcess } from '../../../test/support/processes';
import { TcpProxy } from '../../../test/support/tcp-proxy';
import { isolatedIngestEnv, produce, type Db } from './support';
import type { IngestTopics } from '../src/event-bus.repository';

/** Traffic with a known ground truth: every 10th event a purchase of 1,000 minor units. */
function traffic(from: number, n: number): Event[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const purchase = i % 10 === 0;
    return Event.fromPartial({
      eventId: `f-${i}`,
      type: purchase ? EventType.EVENT_TYPE_PURCHASE : EventType.EVENT_TYPE_VIEW,
      shopId: 'shop-faults',
      userId: `u-${i % 97}`,
      itemId: `i-${i % 13}`,
      ...(purchase ? { orderId: `o-${i}`, priceMinor: 1000, currency: 'EUR', quantity: 1 } : {}),
      eventTime: new Date(Date.now() - 30 * 60_000),
    });
  });
}

async function scalar(client: ClickHouseClient, q: ReturnType<typeof sql>): Promise<number> {
  return Number((await queryRows<{ n: string }>(client, q))[0]?.n ?? 0);
}

/**
 * Raw rows (no FINAL: duplicates would show) and the hourly aggregates must all say n.
 * On 18.16 the materialized views become visible a moment after the raw rows, so the
 * aggregates are awaited; a double count would overshoot and never come back to n.
 */
async function expectExactlyOnce(client: ClickHouseClient, n: number): Promise<void> {
  const shop = 'shop-faults';
  expect(
    await scalar(client, sql`SELECT count() AS n FROM ${ident('events')} WHERE shop_id = ${shop}`),
  ).toBe(n);
  expect(
    await scalar(
      client,
      sql`SELECT uniqExact(event_id) AS n FROM ${ident('events')} WHERE shop_id = ${shop}`,
    ),
  ).toBe(n);
  const aggregates = async () => [
    await scalar(
      client,
      sql`SELECT sum(views + purchases) AS n FROM ${ident('user_hourly')} WHERE shop_id = ${shop}`,
    ),
    await scalar(
      client,
      sql`SELECT sum(spend_minor) AS n FROM ${ident('user_hourly')} WHERE shop_id = ${shop}`,
    ),
  ];
  const want = [n, Math.ceil(n / 10) * 1000];
  await expectEventually(async () => expect(await aggregates()).toEqual(want), {
    timeoutMs: 15000,
  });
  // ...and it stays there (nothing was still on its way to be counted twice).
  await new Promise((r) => setTimeout(r, 1000));
  expect(await aggregates()).toEqual(want);
}

describe('ingest under faults (the built service as its own process)', () => {
  let kafka: Kafka;
  let db: Db;
  let topics: IngestTopics;
  let env: Record<string, string>;
  const running: ServiceProcess[] = [];

  beforeEach(async () => {
    const iso = await isolatedIngestEnv();
    ({ kafka, db, topics, env } = iso);
    Object.assign(env, {
      INGEST_MAX_CHUNK: '200',
      INGEST_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'info',
    });
  });
  afterEach(async () => {
    for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await db.drop();
  });

  const count = () =>
    scalar(
      db.client,
      sql`SELECT count() AS n FROM ${ident('events')} WHERE shop_id = ${'shop-faults'}`,
    );
  const start = (extra: Record<string, string> = {}) => {
    const p = startBuiltService('ingest', { ...env, ...extra });
    running.push(p);
    return p;
  };

  it('counts every event exactly once after being killed (SIGKILL) mid-stream, twice, and restarted', async () => {
    const n = 6000;
    const events = traffic(0, n);
    for (let i = 0; i < n; i += 1000)
      await produce(kafka, topics.raw, events.slice(i, i + 1000).map(toEventMessage));

    let seen = 0;
    for (let kill = 0; kill < 2; kill++) {
      const p = start();
      const before = seen;
      await expectEventually(
        async () => {
          seen = await count();
          expect(seen).toBeGreaterThan(before);
        },
        { timeoutMs: 60000, intervalMs: 20 },
      );
      p.child.kill('SIGKILL');
      expect((await p.exited).signal).toBe('SIGKILL');
    }
    expect(seen).toBeLessThan(n); // it really died mid-stream
    const last = start();
    await expectEventually(async () => expect(await count()).toBe(n), { timeoutMs: 90000 });
    await expectExactlyOnce(db.client, n);
    last.child.kill('SIGTERM');
    expect((await last.exited).code).toBe(0);
  });

  it('pauses while ClickHouse is unreachable, loses nothing, and resumes by itself', async () => {
    const target = new URL(process.env.CLICKHOUSE_URL!);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port));
    try {
      const p = start({
        CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`,
        CLICKHOUSE_REQUEST_TIMEOUT_MS: '2000',
      });
      const { httpPort } = await p.serving();
      await produce(kafka, topics.raw, traffic(0, 1000).map(toEventMessage));
      await expectEventually(async () => expect(await count()).toBe(1000), { timeoutMs: 30000 });

      proxy.block();
      await produce(kafka, topics.raw, traffic(1000, 2000).map(toEventMessage));
      // While it is down: readiness says so, nothing new is stored, the process stays up.
      await expectEventually(
        async () => {
          const ready = (await (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).json()) as {
            ready: boolean;
            checks: Record<string, string>;
          };
          expect(ready.ready).toBe(false);
          expect(ready.checks.clickhouse).not.toBe('ok');
        },
        { timeoutMs: 15000 },
      );
      expect(await count()).toBe(1000);
      expect(p.child.exitCode).toBeNull();

      proxy.unblock();
      await expectEventually(async () => expect(await count()).toBe(3000), { timeoutMs: 90000 });
      await expectExactlyOnce(db.client, 3000);
      p.child.kill('SIGTERM');
      expect((await p.exited).code).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
