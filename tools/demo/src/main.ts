/**
 * `make demo` (until the market simulator lands): boots the four services, checks each the
 * way an operator would (health, reflection, readiness, metrics), pushes a burst of
 * behaviour events — with retried duplicates and broken records mixed in — through Kafka,
 * lets the ingest service validate, de-duplicate, dead-letter and store them, prints what
 * ClickHouse holds, and shuts everything down gracefully.
 */
import { join, resolve } from 'node:path';
import {
  clickhouseOptionsFrom,
  clickhouseVars,
  createClickHouse,
  queryRows,
  serverVersion,
  sql,
  ident,
  type ClickHouseClient,
} from '@offerstream/clickhouse';
import { ConfigError, env, loadConfig } from '@offerstream/config';
import {
  callUnary,
  EventType,
  FeatureServiceService,
  FeatureSource,
  GetFeaturesRequest,
  grpcClient,
  SERVICE_NAMES,
} from '@offerstream/contracts';
import { loadFeatureSpec } from '@offerstream/features';
import { EventsRepository, toEventMessage } from '@offerstream/events';
import { createKafka, IdempotentProducer, kafkaVars, TOPICS } from '@offerstream/kafka';
import { createLogger } from '@offerstream/logging';
import {
  DEMO_SERVICES,
  describeService,
  startServiceProcess,
  stopGracefully,
  waitServing,
  type ServiceProcess,
} from './services';
import { smokeEvents } from './traffic';

const demoVars = {
  ...kafkaVars,
  ...clickhouseVars,
  DEMO_EVENTS: env.int({
    doc: 'Events the smoke scenario produces',
    default: '20000',
    min: 1,
    max: 10_000_000,
  }),
  DEMO_USERS: env.int({
    doc: 'Distinct users in the smoke traffic',
    default: '500',
    min: 1,
    max: 10_000_000,
  }),
  DEMO_SEED: env.int({ doc: 'Seed of the smoke traffic', default: '42', min: 0, max: 2 ** 31 }),
};

const ROOT = resolve(__dirname, '..', '..', '..');
const out = (s = '') => process.stdout.write(`${s}\n`);
const table = (rows: (string | number)[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows)
    out(
      '  ' +
        r
          .map((c, i) =>
            typeof c === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!),
          )
          .join('  '),
    );
};

/** GetFeatures for the shop's most active user and its three most viewed items. */
async function showFeatures(ch: ClickHouseClient, shopId: string, port: number): Promise<void> {
  const top = await queryRows<{ user_id: string; n: string }>(
    ch,
    sql`SELECT user_id, count() AS n FROM ${ident('events')} WHERE shop_id = ${shopId}
        GROUP BY user_id ORDER BY n DESC, user_id LIMIT 1`,
  );
  const items = await queryRows<{ item_id: string }>(
    ch,
    sql`SELECT item_id FROM ${ident('events')} WHERE shop_id = ${shopId} AND item_id != ''
        GROUP BY item_id ORDER BY count() DESC, item_id LIMIT 3`,
  );
  const userId = top[0]?.user_id ?? '';
  out(
    `\n5. GetFeatures for the most active user (${userId}, ${top[0]?.n} events) and the 3 most viewed items`,
  );
  const client = grpcClient(FeatureServiceService, SERVICE_NAMES.features, `127.0.0.1:${port}`);
  try {
    const ask = async () => {
      const t = performance.now();
      const res = await callUnary(
        client.getFeatures.bind(client),
        GetFeaturesRequest.fromPartial({
          shopId,
          userId,
          candidates: items.map((i, k) => ({
            offerId: `demo-offer-${k}`,
            campaignId: 'demo',
            itemId: i.item_id,
          })),
          sequenceLength: 5,
        }),
        { deadlineMs: 2000 },
      );
      return { res, ms: performance.now() - t };
    };
    const cold = await ask();
    const warm = await ask();
    const f = warm.res.features!;
    const spec = loadFeatureSpec(f.featureSpecVersion);
    const u = (name: string) => f.user!.values[spec.userIndex.get(name)!]!;
    const c = (k: number, name: string) => f.candidates[k]!.values[spec.candidateIndex.get(name)!]!;
    out(
      `   spec ${f.featureSpecVersion}: ${f.user!.values.length} user values, ${f.candidates[0]?.values.length ?? 0} per candidate; source ${FeatureSource[f.freshness!.source]}, stale ${f.user!.stale}, cold start ${f.user!.coldStart}`,
    );
    out(
      `   first call (loads the user from ClickHouse) ${cold.ms.toFixed(1)} ms, second (from memory) ${warm.ms.toFixed(1)} ms`,
    );
    table([
      ['feature', 'value'],
      ['views in 24 h (count)', Math.round(Math.expm1(u('u_views_24h')))],
      ['purchases in 30 d (count)', Math.round(Math.expm1(u('u_purchases_30d')))],
      ['spend in 30 d (EUR)', Math.expm1(u('u_spend_30d')).toFixed(2)],
      ['share of spend discounted', u('u_discount_share_30d').toFixed(3)],
      ['churn risk', u('u_churn_risk').toFixed(3)],
      [
        'recent sequence (newest last)',
        f.sequence
          .map(
            (e) =>
              `${EventType[e.type].replace('EVENT_TYPE_', '').toLowerCase()}:${e.itemId || '-'}`,
          )
          .join(' '),
      ],
      ...items.map((i, k) => [
        `item ${i.item_id}: views 24 h / smoothed CTR / user affinity`,
        `${Math.round(Math.expm1(c(k, 'i_views_24h')))} / ${c(k, 'i_ctr').toFixed(3)} / ${c(k, 'x_category_affinity').toFixed(2)}`,
      ]),
    ]);
  } finally {
    client.close();
  }
}

async function main(): Promise<number> {
  // kafkajs logs retried, harmless coordinator errors on a fresh broker; quiet unless asked.
  const cfg = loadConfig(demoVars, { KAFKA_LOG_LEVEL: 'nothing', ...process.env });
  const logger = createLogger({ service: 'demo', level: 'warn' });
  const runId = new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
  const shopId = `demo-${runId}`;
  const logDir = join(ROOT, '.local', 'demo', runId);
  const started = Date.now();

  out('offerstream demo — smoke scenario');
  const ch = createClickHouse(clickhouseOptionsFrom(cfg, 'offerstream-demo'));
  out(
    `  stack: Kafka at ${cfg.KAFKA_BROKERS.join(',')}, ClickHouse ${await serverVersion(ch)} at ${cfg.CLICKHOUSE_URL} (database ${cfg.CLICKHOUSE_DATABASE})`,
  );

  // 1. Services
  out('\n1. starting the services');
  const childEnv = {
    LOG_LEVEL: 'info',
    KAFKA_BROKERS: cfg.KAFKA_BROKERS.join(','),
    CLICKHOUSE_URL: cfg.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: cfg.CLICKHOUSE_DATABASE,
  };
  const procs: ServiceProcess[] = DEMO_SERVICES.map((s) =>
    startServiceProcess(ROOT, logDir, s, childEnv),
  );
  try {
    const bootMs = await Promise.all(procs.map((p) => waitServing(p)));
    const rows: (string | number)[][] = [
      ['service', 'grpc', 'http', 'boot ms', 'ready', 'gRPC services (reflection)'],
    ];
    for (const [i, p] of procs.entries()) {
      const d = await describeService(p);
      rows.push([
        p.name,
        p.grpcPort,
        p.httpPort,
        bootMs[i]!,
        d.ready ? 'yes' : 'NO',
        d.services.join(', '),
      ]);
    }
    table(rows);

    // 2. Events in: good traffic, plus what real producers also send — retries and garbage.
    out(
      `\n2. producing ${cfg.DEMO_EVENTS} protobuf events for ${cfg.DEMO_USERS} users to ${TOPICS.events.name} (keyed by user id, acks=all),`,
    );
    out('   plus 200 retried duplicates and 50 broken records');
    const kafka = createKafka(cfg, 'offerstream-demo', logger);
    const producer = new IdempotentProducer(kafka);
    await producer.connect();
    const produceStart = Date.now();
    let batch: ReturnType<typeof toEventMessage>[] = [];
    let produced = 0;
    const retried: ReturnType<typeof toEventMessage>[] = [];
    for (const e of smokeEvents({
      shopId,
      users: cfg.DEMO_USERS,
      events: cfg.DEMO_EVENTS,
      seed: cfg.DEMO_SEED,
      now: new Date(),
    })) {
      const m = toEventMessage(e);
      batch.push(m);
      if (retried.length < 200 && produced % 97 === 0) retried.push(m);
      if (batch.length === 1000) {
        await producer.send(TOPICS.events.name, batch);
        produced += batch.length;
        batch = [];
        if (produced % 5000 === 0) out(`   produced ${produced}/${cfg.DEMO_EVENTS}`);
      }
    }
    await producer.send(TOPICS.events.name, batch);
    produced += batch.length;
    const broken = Array.from({ length: 50 }, (_, i) => ({
      key: `bad-${i}`,
      value: Buffer.from(`not an event ${i}`),
    }));
    await producer.send(TOPICS.events.name, [...retried, ...broken]);
    await producer.disconnect();
    const produceMs = Date.now() - produceStart;
    out(`   produced ${produced + retried.length + broken.length} records in ${produceMs} ms`);

    // 3. The ingest service validates, de-duplicates, dead-letters and stores them.
    out(
      '\n3. the ingest service validates, de-duplicates, dead-letters and stores them (ClickHouse + events.valid.v1)',
    );
    const repo = new EventsRepository(ch);
    const ingestMetrics = `http://127.0.0.1:${DEMO_SERVICES[0].httpPort}/metrics`;
    const storeStart = Date.now();
    let stored = 0;
    while (stored < produced) {
      if (Date.now() - storeStart > 180_000)
        throw new Error(`only ${stored}/${produced} events stored after 180 s`);
      await new Promise((r) => setTimeout(r, 1000));
      stored = Object.values(await repo.countByType(shopId)).reduce((a, b) => a + b, 0);
      out(`   stored ${stored}/${produced}`);
    }
    const storeMs = Date.now() - storeStart;
    const metrics = await (await fetch(ingestMetrics)).text();
    const metric = (name: string) =>
      metrics
        .split('\n')
        .filter((l) => l.startsWith(name))
        .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    out(
      `   all ${produced} stored ${storeMs} ms after the last produce; ingest counted ${metric('offerstream_ingest_events_duplicate_total')} duplicates dropped and ${metric('offerstream_ingest_events_rejected_total')} records dead-lettered`,
    );

    // 4. What ClickHouse holds now
    out(`\n4. what ClickHouse saw for shop ${shopId}`);
    const byType = await repo.countByType(shopId);
    const totals = await queryRows<{ users: string; revenue: string; orders: string }>(
      ch,
      sql`SELECT uniqExact(user_id) AS users, sumIf(price_minor * quantity - discount_minor, event_type = 'purchase') AS revenue,
                 uniqExactIf(order_id, event_type = 'purchase') AS orders
          FROM ${ident('events')} FINAL WHERE shop_id = ${shopId}`,
    );
    table([['event type', 'events'], ...Object.entries(byType).map(([t, n]) => [t, n])]);
    const t = totals[0];
    const distinct = Object.values(byType).reduce((a, b) => a + b, 0);
    out(
      `  distinct users ${t?.users}, orders ${t?.orders}, revenue ${(Number(t?.revenue) / 100).toFixed(2)} EUR`,
    );
    // Raw rows, not FINAL: a duplicate that got through would show here.
    const raw = Number(
      (
        await queryRows<{ n: string }>(
          ch,
          sql`SELECT count() AS n FROM ${ident('events')} WHERE shop_id = ${shopId}`,
        )
      )[0]?.n,
    );
    const ok = distinct === produced && raw === produced;
    out(
      `  produced ${produced} distinct events (+ ${retried.length} retries), ${raw} rows stored: ${ok ? 'none lost, none doubled' : 'MISMATCH'}`,
    );
    if (!ok) return 1;

    // 5. What the feature service makes of the most active user (one GetFeatures call).
    await showFeatures(ch, shopId, DEMO_SERVICES[1].grpcPort);
  } finally {
    // 6. Graceful shutdown
    out('\n6. stopping the services (SIGTERM)');
    const stops = await Promise.all(procs.map((p) => stopGracefully(p)));
    table([
      ['service', 'exit code', 'shutdown ms'],
      ...procs.map((p, i) => [p.name, String(stops[i]!.code), stops[i]!.ms]),
    ]);
    await ch.close();
    out(`\n  service logs: ${logDir}`);
  }
  out(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `demo failed: ${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
