/**
 * `make demo` (until the market simulator lands): boots the four services, checks each the
 * way an operator would (health, reflection, readiness, metrics), pushes a burst of
 * behaviour events through Kafka into ClickHouse with the commit-after-insert consumer,
 * prints what it saw, and shuts everything down gracefully.
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
} from '@offerstream/clickhouse';
import { ConfigError, env, loadConfig } from '@offerstream/config';
import { decodeEvent, EventsRepository, toEventMessage, toEventRow } from '@offerstream/events';
import {
  createKafka,
  DurableConsumer,
  IdempotentProducer,
  kafkaVars,
  TOPICS,
} from '@offerstream/kafka';
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

    // 2. Events in
    out(
      `\n2. producing ${cfg.DEMO_EVENTS} protobuf events for ${cfg.DEMO_USERS} users to ${TOPICS.events.name} (keyed by user id, acks=all, idempotent)`,
    );
    const kafka = createKafka(cfg, 'offerstream-demo', logger);
    const producer = new IdempotentProducer(kafka);
    await producer.connect();
    const produceStart = Date.now();
    let batch: ReturnType<typeof toEventMessage>[] = [];
    let produced = 0;
    for (const e of smokeEvents({
      shopId,
      users: cfg.DEMO_USERS,
      events: cfg.DEMO_EVENTS,
      seed: cfg.DEMO_SEED,
      now: new Date(),
    })) {
      batch.push(toEventMessage(e));
      if (batch.length === 1000) {
        await producer.send(TOPICS.events.name, batch);
        produced += batch.length;
        batch = [];
        if (produced % 5000 === 0) out(`   produced ${produced}/${cfg.DEMO_EVENTS}`);
      }
    }
    await producer.send(TOPICS.events.name, batch);
    produced += batch.length;
    await producer.disconnect();
    const produceMs = Date.now() - produceStart;
    out(
      `   produced ${produced} in ${produceMs} ms (${Math.round((produced / produceMs) * 1000)} events/s)`,
    );

    // 3. Events through: consume in a group, insert into ClickHouse, commit after the insert
    out(
      `\n3. consuming them in a group and inserting into ClickHouse (offsets committed only after each insert)`,
    );
    const repo = new EventsRepository(ch);
    let seen = 0;
    let mine = 0;
    const consumeStart = Date.now();
    let done!: () => void;
    const allIn = new Promise<void>((r) => (done = r));
    const consumer = new DurableConsumer(kafka, {
      groupId: `offerstream-demo-${runId}`,
      topics: [TOPICS.events.name],
      logger,
      handler: async (messages) => {
        const events = messages.map((m) => decodeEvent(m.value));
        await repo.insert(events.map((e) => toEventRow(e, new Date())));
        seen += events.length;
        mine += events.filter((e) => e.shopId === shopId).length;
        if (mine >= produced) done();
      },
    });
    const progress = setInterval(
      () =>
        out(
          `   consumed ${mine}/${produced} of this run (${seen} incl. earlier runs' events on the topic)`,
        ),
      2000,
    );
    await consumer.start();
    await Promise.race([
      allIn,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('events did not all arrive within 120 s')), 120000),
      ),
    ]).finally(() => clearInterval(progress));
    await consumer.stop();
    const consumeMs = Date.now() - consumeStart;
    out(
      `   inserted ${mine} events of this run in ${consumeMs} ms (${Math.round((mine / consumeMs) * 1000)} events/s)`,
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
    const stored = Object.values(byType).reduce((a, b) => a + b, 0);
    out(
      `  distinct users ${t?.users}, orders ${t?.orders}, revenue ${(Number(t?.revenue) / 100).toFixed(2)} EUR`,
    );
    out(
      `  produced ${produced}, stored ${stored} distinct events: ${stored === produced ? 'none lost, none doubled' : 'MISMATCH'}`,
    );
    if (stored !== produced) return 1;
  } finally {
    // 5. Graceful shutdown
    out('\n5. stopping the services (SIGTERM)');
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
