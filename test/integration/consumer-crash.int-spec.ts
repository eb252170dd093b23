import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execSql, ident, queryRows, sql } from '@offerstream/clickhouse';
import { Event, EventType } from '@offerstream/contracts';
import { toEventMessage } from '@offerstream/events';
import { IdempotentProducer, TOPICS, type Kafka } from '@offerstream/kafka';
import { uniqueName } from '@offerstream/testing';
import { freshDatabase, freshTopics, REPO_ROOT, testKafka } from '../support/infra';

const FIXTURE = join(__dirname, '..', 'fixtures', 'crash-consumer.js');

function runConsumer(
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`consumer process did not finish in time:\n${out}`));
    }, 90000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

describe('a consumer that crashes between its insert and its offset commit', () => {
  let kafka: Kafka;
  let db: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'libs', 'kafka', 'dist', 'index.js'))) {
      throw new Error(
        'this test runs the built libraries: run `make build` (make test does) first',
      );
    }
    kafka = testKafka();
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('gets its messages again (at-least-once) and the idempotent insert leaves no duplicates', async () => {
    const { prefix } = await freshTopics(kafka, 1);
    const topic = prefix + TOPICS.events.name;
    const group = uniqueName('g');
    const n = 50;
    const producer = new IdempotentProducer(kafka);
    await producer.connect();
    await producer.send(
      topic,
      Array.from({ length: n }, (_, i) =>
        toEventMessage(
          Event.fromPartial({
            eventId: `evt-${i}`,
            type: EventType.EVENT_TYPE_VIEW,
            shopId: 'shop-crash',
            userId: `u-${i % 7}`,
            itemId: `i-${i}`,
            eventTime: new Date(Date.UTC(2026, 10, 23, 9, 0, i)),
          }),
        ),
      ),
    );
    await producer.disconnect();
    const env = {
      TEST_DATABASE: db.database,
      TEST_TOPIC: topic,
      TEST_GROUP: group,
      EXPECTED_EVENTS: String(n),
      KAFKA_LOG_LEVEL: 'error',
    };

    const crashed = await runConsumer({ ...env, CRASH_AFTER_INSERT: '1' });
    expect(crashed.signal).toBe('SIGKILL');
    const firstChunk = Number(/inserted (\d+)/.exec(crashed.out)?.[1]);
    expect(firstChunk).toBeGreaterThan(0);

    const admin = kafka.admin();
    await admin.connect();
    const offsetsAfterCrash = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(offsetsAfterCrash[0]?.partitions[0]?.offset).toBe('-1'); // nothing was committed

    const recovered = await runConsumer(env);
    expect(recovered.code).toBe(0);
    expect(recovered.out).toMatch(/committed 50/);
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    await admin.disconnect();
    expect(offsets[0]?.partitions[0]?.offset).toBe(String(n));

    const count = async (final: boolean) =>
      Number(
        (
          await queryRows<{ n: string }>(
            db.client,
            final
              ? sql`SELECT count() AS n FROM ${ident('events')} FINAL`
              : sql`SELECT count() AS n FROM ${ident('events')}`,
          )
        )[0]?.n,
      );
    // Every message was handled again after the crash, the first chunk included...
    const redelivered = [...recovered.out.matchAll(/inserted (\d+)/g)].reduce(
      (a, m) => a + Number(m[1]),
      0,
    );
    expect(redelivered).toBe(n);
    // ...and reads see each event once, before and after the merge.
    expect(await count(true)).toBe(n);
    await execSql(db.client, sql`OPTIMIZE TABLE ${ident('events')} FINAL`);
    expect(await count(false)).toBe(n);
  });
});
