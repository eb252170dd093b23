import { Event, EventType, SERVICE_NAMES, DeadLetter } from '@offerstream/contracts';
import { IdempotentProducer, type Kafka, type Message } from '@offerstream/kafka';
import { startService, type RunningService } from '@offerstream/service-kit';
import { uniqueName } from '@offerstream/testing';
import { freshDatabase, freshTopics, testKafka } from '../../../test/support/infra';
import { ingestVars } from '../src/ingest.config';
import { IngestModule } from '../src/ingest.module';
import { ingestTopics, type IngestTopics } from '../src/event-bus.repository';

export type Db = Awaited<ReturnType<typeof freshDatabase>>;

/** A fresh database, fresh topics and a consumer group nobody else uses. */
export async function isolatedIngestEnv(): Promise<{
  kafka: Kafka;
  db: Db;
  topics: IngestTopics;
  env: Record<string, string>;
}> {
  const kafka = testKafka();
  const db = await freshDatabase();
  const { prefix } = await freshTopics(kafka, 3);
  const env = {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '',
    KAFKA_LOG_LEVEL: 'error',
    KAFKA_TOPIC_PREFIX: prefix,
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? '',
    CLICKHOUSE_DATABASE: db.database,
    INGEST_CONSUMER_GROUP: uniqueName('ingest'),
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    HTTP_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  };
  return { kafka, db, topics: ingestTopics(prefix), env };
}

/** The ingest service in this process, as it runs in production. */
export function startIngest(
  env: Record<string, string>,
): Promise<RunningService<typeof ingestVars>> {
  return startService(
    { name: 'ingest', module: IngestModule, grpcServices: [SERVICE_NAMES.ingest], env: ingestVars },
    env,
  );
}

export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const p = new IdempotentProducer(kafka);
  await p.connect();
  try {
    await p.send(topic, messages);
  } finally {
    await p.disconnect();
  }
}

/** Reads a whole topic from the beginning until `until` says enough (or the timeout). */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  until: (n: number) => boolean,
  timeoutMs = 30000,
): Promise<Buffer[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  const values: Buffer[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value) values.push(message.value);
      if (until(values.length)) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return values;
}

export const deadLetters = (values: Buffer[]) => values.map((v) => DeadLetter.decode(v));

export function view(id: string, over: Partial<Event> = {}): Event {
  return Event.fromPartial({
    eventId: id,
    type: EventType.EVENT_TYPE_VIEW,
    shopId: 'shop-it',
    userId: 'u-1',
    itemId: 'i-1',
    eventTime: new Date(Date.now() - 60_000),
    ...over,
  });
}
