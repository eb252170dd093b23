import {
  callUnary,
  Campaign,
  CampaignServiceService,
  CampaignStatus,
  grpcClient,
  OfferServiceService,
  OfferType,
  ScoreResponse,
  ScoringServiceService,
  SERVICE_NAMES,
  type GetOffersRequest,
  type ScoreRequest,
  type GetOffersResponse,
  type Offer,
} from '@offerstream/contracts';
import {
  Metadata,
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import type { Kafka } from '@offerstream/kafka';
import { startService, type RunningService } from '@offerstream/service-kit';
import { uniqueName } from '@offerstream/testing';
import { freshDatabase, freshTopics, testKafka } from '../../../test/support/infra';
import { startFeature } from '../../feature/test/support';
import { startIngest } from '../../ingest/test/support';
import { banditPolicyVars } from '../src/bandit-policy.config';
import { BanditPolicyModule } from '../src/bandit-policy.module';
import { banditStatusMapper } from '../src/bandit.exception';

export type Db = Awaited<ReturnType<typeof freshDatabase>>;
export type Bandit = RunningService<typeof banditPolicyVars>;

export { startFeature, startIngest };

/** Fresh topics and database, and the env every service of one test shares. */
export async function isolatedBanditEnv(): Promise<{
  kafka: Kafka;
  db: Db;
  prefix: string;
  common: Record<string, string>;
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
    SHUTDOWN_DRAIN_DELAY_MS: '0',
  };
  return { kafka, db, prefix, common };
}

/** A bandit-policy replica in this process. */
export function startBandit(env: Record<string, string>): Promise<Bandit> {
  return startService(
    {
      name: 'bandit-policy',
      module: BanditPolicyModule,
      grpcServices: [SERVICE_NAMES.offers, SERVICE_NAMES.campaigns],
      env: banditPolicyVars,
      errorMappers: [banditStatusMapper],
    },
    { BANDIT_INSTANCE_ID: uniqueName('bp'), BANDIT_CONSUMER_GROUP: uniqueName('bp'), ...env },
  );
}

/** Waits until a service reports ready on /readyz. */
export async function waitReady(svc: { httpPort: number }, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${svc.httpPort}/readyz`).catch(() => undefined);
    if (res?.ok) return;
    if (Date.now() > until)
      throw new Error(`not ready after ${timeoutMs} ms: ${res ? await res.text() : 'no answer'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Rewards a replica has learned from offerstream.rewards.v1 (its metric). */
export function learnedRewards(svc: { httpPort: number }): Promise<number> {
  return metricValue(svc, 'offerstream_bandit_rewards_learned');
}

/** A metric of a replica (its first sample), NaN when absent. */
export async function metricValue(svc: { httpPort: number }, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${svc.httpPort}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return Number(m?.[1] ?? NaN);
}

/**
 * A scorer at the network edge that counts its calls and values every candidate alike: what
 * matters here is whether bandit-policy asks it at all.
 */
export async function countingScorer(): Promise<{
  port: number;
  calls: () => number;
  stop: () => void;
}> {
  let calls = 0;
  const server = new Server();
  server.addService(ScoringServiceService, {
    score: (
      call: ServerUnaryCall<ScoreRequest, ScoreResponse>,
      cb: sendUnaryData<ScoreResponse>,
    ) => {
      calls++;
      cb(
        null,
        ScoreResponse.fromPartial({
          modelName: 'offer-uplift',
          modelVersion: 'v-test',
          scores: (call.request.features?.candidates ?? []).map((c) => ({
            offerId: c.offerId,
            campaignId: c.campaignId,
            pClick: 0.2,
            pPurchase: 0.6,
            pPurchaseGivenOffer: 0.6,
            pPurchaseNoOffer: 0.1,
            uplift: 0.5,
          })),
        }),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { port, calls: () => calls, stop: () => server.forceShutdown() };
}

/** gRPC clients of a bandit-policy replica. */
export function banditClients(port: number) {
  const offers = grpcClient(OfferServiceService, SERVICE_NAMES.offers, `127.0.0.1:${port}`);
  const campaigns = grpcClient(
    CampaignServiceService,
    SERVICE_NAMES.campaigns,
    `127.0.0.1:${port}`,
  );
  const meta = () => {
    const m = new Metadata();
    m.set('x-offerstream-principal', 'test@offerstream');
    return m;
  };
  return {
    getOffers: (req: Partial<GetOffersRequest>, deadlineMs = 5000): Promise<GetOffersResponse> =>
      callUnary(
        offers.getOffers.bind(offers),
        {
          shopId: 'shop-b',
          userId: 'u-1',
          sessionId: '',
          slots: 1,
          campaignIds: [],
          deferActivation: false,
          explain: false,
          ...req,
        },
        { deadlineMs },
      ),
    create: async (c: Campaign): Promise<Campaign> =>
      (
        await callUnary(
          campaigns.createCampaign.bind(campaigns),
          { campaign: c, changeReason: 'test' },
          { deadlineMs: 15_000, metadata: meta() },
        )
      ).campaign!,
    campaigns,
    meta,
    close: () => {
      offers.close();
      campaigns.close();
    },
  };
}

/** An amount-off offer. */
export function amountOff(id: string, minor: number, over: Partial<Offer> = {}): Partial<Offer> {
  return { offerId: id, type: OfferType.OFFER_TYPE_AMOUNT_OFF, amountOffMinor: minor, ...over };
}

let offerSeq = 0;

/** An active campaign of shop-b that started an hour ago (offer ids unique per call). */
export function activeCampaign(over: object = {}): Campaign {
  const n = ++offerSeq;
  return Campaign.fromPartial(<Parameters<typeof Campaign.fromPartial>[0]>{
    shopId: 'shop-b',
    name: 'test campaign',
    status: CampaignStatus.CAMPAIGN_STATUS_ACTIVE,
    schedule: { startTime: new Date(Date.now() - 3_600_000), timeZone: 'UTC' },
    budget: { currency: 'EUR', totalBudgetMinor: 0, dailyBudgetMinor: 0 },
    offers: [amountOff(`o-${n}-5`, 500), amountOff(`o-${n}-10`, 1000)],
    ...over,
  });
}
