import {
  SERVICE_NAMES,
  type Campaign,
  CampaignRecord,
  CampaignChangeType,
  Event,
  type EventType,
} from '@offerstream/contracts';
import {
  callUnary,
  FeatureServiceService,
  grpcClient,
  type GetFeaturesRequest,
  type GetFeaturesResponse,
} from '@offerstream/contracts';
import { campaignKey } from '@offerstream/campaigns';
import { toEventMessage } from '@offerstream/events';
import { TOPICS, type Kafka } from '@offerstream/kafka';
import { startService, type RunningService } from '@offerstream/service-kit';
import { uniqueName } from '@offerstream/testing';
import { freshDatabase, freshTopics, testKafka } from '../../../test/support/infra';
import { produce, startIngest } from '../../ingest/test/support';
import { featureVars } from '../src/feature.config';
import { featureStatusMapper } from '../src/feature.exception';
import { FeatureModule } from '../src/feature.module';

export type Db = Awaited<ReturnType<typeof freshDatabase>>;

/** Fresh database and topics; env for an ingest and a feature service over them. */
export async function isolatedFeatureEnv(): Promise<{
  kafka: Kafka;
  db: Db;
  prefix: string;
  ingestEnv: Record<string, string>;
  featureEnv: Record<string, string>;
}> {
  const kafka = testKafka();
  const db = await freshDatabase();
  const { prefix } = await freshTopics(kafka, 3);
  const common = {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '',
    KAFKA_LOG_LEVEL: 'error',
    KAFKA_TOPIC_PREFIX: prefix,
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? '',
    CLICKHOUSE_DATABASE: db.database,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    HTTP_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  };
  return {
    kafka,
    db,
    prefix,
    ingestEnv: {
      ...common,
      INGEST_CONSUMER_GROUP: uniqueName('ingest'),
      INGEST_BATCH_LINGER_MS: '5',
    },
    featureEnv: { ...common, FEATURE_CONSUMER_GROUP: uniqueName('feature') },
  };
}

export function startFeature(
  env: Record<string, string>,
): Promise<RunningService<typeof featureVars>> {
  return startService(
    {
      name: 'feature',
      module: FeatureModule,
      grpcServices: [SERVICE_NAMES.features],
      env: featureVars,
      errorMappers: [featureStatusMapper],
    },
    env,
  );
}

export { startIngest };

/** A gRPC client of a running feature service. */
export function featureClient(port: number) {
  const client = grpcClient(FeatureServiceService, SERVICE_NAMES.features, `127.0.0.1:${port}`);
  return {
    get: (req: Partial<GetFeaturesRequest>, deadlineMs = 10_000): Promise<GetFeaturesResponse> =>
      callUnary(
        client.getFeatures.bind(client),
        { shopId: '', userId: '', sessionId: '', candidates: [], featureSpecVersion: '', ...req },
        { deadlineMs },
      ),
    close: () => client.close(),
  };
}

/** Produces raw events to events.v1 (ingest validates and stores them). */
export function produceEvents(kafka: Kafka, prefix: string, events: Event[]): Promise<void> {
  return produce(kafka, prefix + TOPICS.events.name, events.map(toEventMessage));
}

/** Valid events straight onto events.valid.v1, as ingest forwards them (no ingest running). */
export function produceValidEvents(kafka: Kafka, prefix: string, events: Event[]): Promise<void> {
  return produce(kafka, prefix + TOPICS.eventsValid.name, events.map(toEventMessage));
}

/**
 * Writes records straight onto events.valid.v1, past ingest's validation: what only a bug or
 * a foreign producer would put there.
 */
export function produceValidRecords(
  kafka: Kafka,
  prefix: string,
  records: { key: string; value: Buffer }[],
): Promise<void> {
  return produce(kafka, prefix + TOPICS.eventsValid.name, records);
}

/** Publishes a campaign's full state on the compacted campaigns topic. */
export function publishCampaign(kafka: Kafka, prefix: string, c: Campaign): Promise<void> {
  const rec = CampaignRecord.fromPartial({
    campaign: c,
    changeType: CampaignChangeType.CAMPAIGN_CHANGE_TYPE_CREATED,
    changedBy: 'test',
    changedAt: new Date(),
  });
  return produce(kafka, prefix + TOPICS.campaigns.name, [
    {
      key: campaignKey(c.shopId, c.campaignId),
      value: Buffer.from(CampaignRecord.encode(rec).finish()),
    },
  ]);
}

let seq = 0;
/** An event of `type` by `userId`, `minutesAgo` before now. */
export function event(
  type: EventType,
  userId: string,
  minutesAgo: number,
  over: Partial<Event> = {},
): Event {
  return Event.fromPartial({
    eventId: `ev-${process.pid}-${seq++}`,
    type,
    shopId: 'shop-f',
    userId,
    itemId: 'sku-1',
    categoryId: 'shoes',
    eventTime: new Date(Date.now() - minutesAgo * 60_000),
    ...over,
  });
}
