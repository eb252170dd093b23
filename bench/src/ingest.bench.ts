/**
 * bench-ingest: sustained events/s from a producer through the real ingest service to rows
 * queryable in ClickHouse (and records on events.valid.v1), with event-to-queryable latency
 * p50/p99 from probe events and the ingest process's peak resident memory.
 * Broker, ClickHouse, ingest and the producer share this machine's cores.
 * BENCH_SECONDS (default 30) bounds the producing phase.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  clickhouseVars,
  createClickHouse,
  ensureDatabase,
  execSql,
  ident,
  joinSql,
  literal,
  loadMigrations,
  migrate,
  queryRows,
  sql,
} from '@offerstream/clickhouse';
import { env, loadConfig } from '@offerstream/config';
import { Event, EventType } from '@offerstream/contracts';
import { toEventMessage } from '@offerstream/events';
import { createKafka, kafkaVars, provisionTopics, topicSpecs, TOPICS } from '@offerstream/kafka';
import { createLogger } from '@offerstream/logging';
import { CompressionTypes, Partitioners, type Message } from 'kafkajs';
import { percentile, printReport } from './report';

const ROOT = resolve(__dirname, '..', '..');
const vars = {
  ...kafkaVars,
  ...clickhouseVars,
  BENCH_SECONDS: env.int({ doc: 'Producing phase length', default: '30', min: 1, max: 3600 }),
  BENCH_RATE: env.int({
    doc: "Phase 2's steady rate in events/s (0 = the target, 20,000/s)",
    default: '0',
    min: 0,
    max: 10_000_000,
  }),
};

/** The target: 20,000 events/s sustained with p99 event→queryable ≤ 2 s. */
const TARGET_RATE = 20_000;

/** One probe user per partition or so (events are keyed by user id). */
const PROBE_USERS = Array.from({ length: 24 }, (_, i) => `probe-${i}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const cfg = loadConfig(vars, { KAFKA_LOG_LEVEL: 'nothing', ...process.env });
  const logger = createLogger({ service: 'bench-ingest', level: 'warn' });
  const run = `bench_${Date.now().toString(36)}`;
  const prefix = `${run}.`;
  const database = run;

  // Isolated topics (declared partitions) and database.
  const kafka = createKafka(cfg, 'bench-ingest', logger);
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(admin, topicSpecs(prefix), { replicationFactor: 1 });
  await ensureDatabase({ url: cfg.CLICKHOUSE_URL }, database);
  const ch = createClickHouse({ url: cfg.CLICKHOUSE_URL, database });
  await migrate(ch, await loadMigrations(join(ROOT, 'deploy', 'clickhouse', 'migrations')));

  // BENCH_PROFILE=1 writes a V8 CPU profile of the ingest process to .local/prof/.
  const profile =
    process.env.BENCH_PROFILE === '1'
      ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, '.local', 'prof')}`]
      : [];
  const startIngest = () => {
    const child = spawn(
      process.execPath,
      [...profile, join(ROOT, 'services', 'ingest', 'dist', 'main.js')],
      {
        env: {
          ...process.env,
          KAFKA_TOPIC_PREFIX: prefix,
          CLICKHOUSE_DATABASE: database,
          INGEST_CONSUMER_GROUP: `${run}.ingest`,
          GRPC_PORT: '0',
          HTTP_PORT: '0',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    return child;
  };

  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const topic = prefix + TOPICS.events.name;
  let seq = 0;
  const event = (id: string, probe: boolean): Event =>
    Event.fromPartial({
      eventId: id,
      type: seq % 20 === 0 ? EventType.EVENT_TYPE_ADD_TO_CART : EventType.EVENT_TYPE_VIEW,
      shopId: 'bench',
      // Probes have users of their own, so finding them reads the probe users' primary-key
      // range, not the whole table (a full scan every 25 ms would load ClickHouse itself).
      userId: probe ? PROBE_USERS[seq % PROBE_USERS.length]! : `u-${seq % 5000}`,
      itemId: `i-${seq % 2000}`,
      quantity: seq % 20 === 0 ? 1 : 0,
      ...(probe ? { attributes: { probe: '1' } } : {}),
      eventTime: new Date(),
    });
  const countStored = async () =>
    Number(
      (
        await queryRows<{ n: string }>(
          ch,
          sql`SELECT count() AS n FROM ${ident('events')} WHERE shop_id = 'bench'`,
        )
      )[0]?.n,
    );

  /** Sends batches of 2,000 with up to 8 sends in flight (never one await per message). */
  async function produceFor(
    ms: number,
    rate: number,
    onBatch?: (batch: Message[]) => void,
  ): Promise<number> {
    const t0 = Date.now();
    const inflight = new Set<Promise<unknown>>();
    let sent = 0;
    let n = 0;
    let lastProgress = t0;
    while (Date.now() - t0 < ms) {
      const batch: Message[] = [];
      for (let i = 0; i < 2000; i++, seq++, n++)
        batch.push(toEventMessage(event(`${run}-${seq}`, false)));
      onBatch?.(batch);
      const p = producer
        .send({ topic, messages: batch, acks: -1, compression: CompressionTypes.None })
        .then(() => (sent += batch.length));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      if (inflight.size >= 8) await Promise.race(inflight);
      if (rate > 0) {
        const ahead = (n / rate) * 1000 - (Date.now() - t0);
        if (ahead > 0) await sleep(ahead);
      }
      if (Date.now() - lastProgress > 5000) {
        lastProgress = Date.now();
        process.stdout.write(`  ${Math.round((Date.now() - t0) / 1000)} s: produced ${sent}\n`);
      }
    }
    await Promise.all(inflight);
    return sent;
  }

  // Phase 1, capacity: a backlog is produced first (ingest not running), then ingest drains
  // it; the producer does not compete for the cores while ingest is timed.
  process.stdout.write(
    `bench-ingest: phase 1 (capacity) — producing a ${cfg.BENCH_SECONDS} s backlog into ${topic} (12 partitions) …\n`,
  );
  const backlog = await produceFor(cfg.BENCH_SECONDS * 1000, 0);
  const ingest = startIngest();
  // Never leave the service behind, whatever ends this process.
  process.once('exit', () => ingest.kill('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  let peak = 0;
  const rssTimer = setInterval(() => (peak = Math.max(peak, peakRssMb(ingest.pid!))), 500);
  let firstRowAt = 0;
  let stored = 0;
  const drainStart = Date.now();
  for (;;) {
    stored = await countStored();
    if (stored > 0 && firstRowAt === 0) firstRowAt = Date.now();
    if (stored >= backlog || Date.now() - drainStart > 600_000) break;
    await sleep(100);
  }
  const drainedAt = Date.now();
  const eventsPerS = (stored - 0) / ((drainedAt - firstRowAt) / 1000);
  process.stdout.write(
    `  drained ${stored} events in ${((drainedAt - firstRowAt) / 1000).toFixed(1)} s after the first row\n`,
  );

  // Phase 2, latency: a steady stream at the target rate (20,000/s unless BENCH_RATE says
  // otherwise), with a probe event every 100 ms timed to queryability. Below that capacity
  // the backlog grows and p99 shows it.
  const rate = cfg.BENCH_RATE > 0 ? cfg.BENCH_RATE : TARGET_RATE;
  process.stdout.write(
    `bench-ingest: phase 2 (latency) — ${rate} events/s for ${cfg.BENCH_SECONDS} s with probes …\n`,
  );
  const probes = new Map<string, number>();
  const latencies: number[] = [];
  let polling = true;
  const probeUsers = joinSql(PROBE_USERS.map(literal));
  const poller = (async () => {
    while (polling || probes.size > 0) {
      const ids = [...probes.keys()];
      if (ids.length > 0) {
        const rows = await queryRows<{ event_id: string }>(
          ch,
          sql`SELECT event_id FROM ${ident('events')} WHERE shop_id = 'bench' AND user_id IN (${probeUsers}) AND has(${ids}, event_id)`,
        ).catch(() => []);
        const now = Date.now();
        for (const r of rows) {
          const sentAt = probes.get(r.event_id);
          if (sentAt !== undefined) {
            latencies.push(now - sentAt);
            probes.delete(r.event_id);
          }
        }
      }
      await sleep(25);
    }
  })();
  let lastProbe = 0;
  const streamed = await produceFor(cfg.BENCH_SECONDS * 1000, rate, (batch) => {
    if (Date.now() - lastProbe < 100) return;
    const id = `${run}-probe-${seq++}`;
    batch.push(toEventMessage(event(id, true)));
    probes.set(id, Date.now());
    lastProbe = Date.now();
  });
  const produced = backlog + streamed;
  const steady = Math.round(streamed / cfg.BENCH_SECONDS);
  const waitStart = Date.now();
  for (;;) {
    stored = await countStored();
    if (stored >= produced || Date.now() - waitStart > 300_000) break;
    await sleep(200);
  }
  polling = false;
  await Promise.race([poller, sleep(10000)]);
  probes.clear();
  clearInterval(rssTimer);
  peak = Math.max(peak, peakRssMb(ingest.pid!));
  const offsets = await admin.fetchTopicOffsets(prefix + TOPICS.eventsValid.name);
  const onValid = offsets.reduce((a, o) => a + Number(o.high), 0);

  ingest.kill('SIGTERM');
  await new Promise((r) => ingest.once('exit', r));
  await producer.disconnect();
  await admin
    .deleteTopics({ topics: topicSpecs(prefix).map((t) => t.name) })
    .catch(() => undefined);
  await admin.disconnect();
  await execSql(ch, sql`DROP DATABASE IF EXISTS ${ident(database)}`);
  await ch.close();

  const sorted = latencies.sort((x, y) => x - y);
  printReport(
    'bench-ingest — producer → Kafka → ingest → ClickHouse (+ events.valid.v1), one 2-core machine',
    [
      ['figure', 'value'],
      ['backlog drained (phase 1)', backlog],
      ['ingest capacity, events/s (first row → last row queryable)', Math.round(eventsPerS)],
      ['steady stream (phase 2): asked / produced, events/s', `${rate} / ${steady}`],
      ['latency probes', sorted.length],
      ['event → queryable p50 ms (phase 2)', Math.round(percentile(sorted, 50))],
      ['event → queryable p99 ms (phase 2)', Math.round(percentile(sorted, 99))],
      [
        'events produced / rows in ClickHouse / on events.valid.v1',
        `${produced} / ${stored} / ${onValid}`,
      ],
      ['ingest peak RSS MB', Math.round(peak)],
    ],
    {
      events_per_s: Math.round(eventsPerS),
      p99_ms: Math.round(percentile(sorted, 99)),
      rss_mb: Math.round(peak),
      steady_events_per_s: steady,
    },
  );
  if (stored !== produced || onValid !== produced) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench-ingest failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
