import { status, type ServiceError } from '@grpc/grpc-js';
import { Event, EventType, FeatureSource } from '@offerstream/contracts';
import { CURRENT_SPEC_VERSION, loadFeatureSpec } from '@offerstream/features';
import type { Kafka } from '@offerstream/kafka';
import type { RunningService } from '@offerstream/service-kit';
import { expectEventually } from '@offerstream/testing';
import { TcpProxy } from '../../../test/support/tcp-proxy';
import { FeatureEventsConsumer } from '../src/events.consumer';
import type { featureVars } from '../src/feature.config';
import type { ingestVars } from '../../ingest/src/ingest.config';
import {
  event,
  featureClient,
  isolatedFeatureEnv,
  produceEvents,
  produceValidRecords,
  startFeature,
  startIngest,
  type Db,
} from './support';

const spec = loadFeatureSpec(CURRENT_SPEC_VERSION);
const uIdx = (n: string) => spec.userIndex.get(n)!;
const cIdx = (n: string) => spec.candidateIndex.get(n)!;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ServiceError,
  );

describe('GetFeatures at the edge', () => {
  let kafka: Kafka;
  let db: Db;
  let prefix: string;
  let ingest: RunningService<typeof ingestVars>;
  let feature: RunningService<typeof featureVars>;
  let proxy: TcpProxy;
  let client: ReturnType<typeof featureClient>;

  beforeAll(async () => {
    const env = await isolatedFeatureEnv();
    ({ kafka, db, prefix } = env);
    const ch = new URL(process.env.CLICKHOUSE_URL!);
    proxy = await TcpProxy.start(ch.hostname, Number(ch.port));
    ingest = await startIngest(env.ingestEnv);
    feature = await startFeature({
      ...env.featureEnv,
      CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`,
      FEATURE_MAX_CANDIDATES: '500',
    });
    client = featureClient(feature.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await feature?.stop();
    await ingest?.stop();
    await proxy?.close();
    await db?.drop();
  });

  it('answers an unknown user with the spec defaults, flagged as a cold start', async () => {
    const res = await client.get({
      shopId: 'shop-f',
      userId: 'nobody-here',
      candidates: [
        {
          offerId: 'no-such-offer',
          campaignId: 'no-such-campaign',
          itemId: 'no-such-item',
          categoryId: '',
        },
      ],
    });
    const f = res.features!;
    expect(f.featureSpecVersion).toBe(CURRENT_SPEC_VERSION);
    expect(f.user!.coldStart).toBe(true);
    expect(f.user!.stale).toBe(false);
    expect(f.freshness!.source).toBe(FeatureSource.FEATURE_SOURCE_DEFAULT);
    expect(f.user!.values).toHaveLength(spec.user.length);
    for (const d of spec.user.filter((x) => x.name.startsWith('u_')))
      expect([d.name, f.user!.values[uIdx(d.name)]]).toEqual([d.name, Math.fround(d.default)]);
    const c = f.candidates[0]!;
    expect(c.coldStart).toBe(true);
    expect(c.values).toHaveLength(spec.candidate.length);
    expect(c.values[cIdx('o_known')]).toBe(0);
    expect(f.sequence).toEqual([]);
  });

  it('refuses 10,000 candidates naming the limit', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({
      offerId: `o-${i}`,
      campaignId: 'c',
      itemId: '',
      categoryId: '',
    }));
    const err = await failure(client.get({ shopId: 'shop-f', userId: 'u', candidates: many }));
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/at most 500 candidates/);
    expect(err?.metadata.get('offerstream-limit')).toEqual(['500']);
  });

  it.each([
    ['an empty shop id', { shopId: '', userId: 'u' }, /shop_id is required/],
    [
      'a user id with a control character',
      { shopId: 's', userId: 'u\u0000x' },
      /user_id contains control/,
    ],
    [
      'a 10 KB user id',
      { shopId: 's', userId: 'é'.repeat(5000) },
      /user_id is longer than 128 bytes/,
    ],
    ['a user id with spaces around', { shopId: 's', userId: ' u ' }, /leading or trailing spaces/],
    [
      'a candidate without a campaign',
      {
        shopId: 's',
        userId: 'u',
        candidates: [{ offerId: 'o', campaignId: '', itemId: '', categoryId: '' }],
      },
      /candidates\[0\]\.campaign_id is required/,
    ],
    [
      'a sequence of 500 events',
      { shopId: 's', userId: 'u', sequenceLength: 500 },
      /sequence_length must be 0\.\.200/,
    ],
  ])('refuses %s with INVALID_ARGUMENT', async (_what, req, message) => {
    const err = await failure(client.get(req));
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(message);
  });

  it('skips what it cannot read or apply on the valid topic and goes on with the events after it', async () => {
    const counter = async (name: string) =>
      (await feature.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
    const undecodable0 = await counter('offerstream_feature_undecodable_records_total');
    const unapplicable0 = await counter('offerstream_feature_unapplicable_events_total');
    // Records written before the consumer has its partitions would be skipped (it starts at
    // the end of the topic), not read.
    await feature.app.get(FeatureEventsConsumer).waitForAssignment(30_000);
    const user = 'u-after-bad-records';
    // In memory first, so that the stream's events are applied to the user's state.
    await client.get({ shopId: 'shop-f', userId: user });
    // One key: one partition, in this order. The second is a valid Event whose time lies
    // 22,000 years back, beyond what the hourly counters hold.
    const ancient = event(EventType.EVENT_TYPE_VIEW, user, 0, {
      eventTime: new Date(Date.UTC(-20000, 0, 1)),
    });
    const good = event(EventType.EVENT_TYPE_VIEW, user, 1);
    await produceValidRecords(kafka, prefix, [
      { key: user, value: Buffer.from([0xff, 0xff, 0xff]) },
      { key: user, value: Buffer.from(Event.encode(ancient).finish()) },
      { key: user, value: Buffer.from(Event.encode(good).finish()) },
    ]);
    await expectEventually(
      async () => {
        const res = await client.get({ shopId: 'shop-f', userId: user });
        expect(res.features!.user!.values[uIdx('u_views_24h')]).toBeCloseTo(Math.log1p(1), 5);
      },
      { timeoutMs: 20_000 },
    );
    expect(await counter('offerstream_feature_undecodable_records_total')).toBe(undecodable0 + 1);
    expect(await counter('offerstream_feature_unapplicable_events_total')).toBe(unapplicable0 + 1);
  });

  it('answers NOT_FOUND for a feature spec version it does not serve', async () => {
    const err = await failure(
      client.get({ shopId: 's', userId: 'u', featureSpecVersion: 'fs-99' }),
    );
    expect(err?.code).toBe(status.NOT_FOUND);
  });

  it('refuses a call whose deadline has passed', async () => {
    const err = await failure(client.get({ shopId: 's', userId: 'u' }, 0));
    expect(err?.code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('keeps answering within the deadline while ClickHouse is away: known users from memory, new ones flagged stale', async () => {
    // A user the service holds, kept fresh by the stream.
    await produceEvents(kafka, prefix, [event(EventType.EVENT_TYPE_VIEW, 'u-mem', 5)]);
    await expectEventually(
      async () => {
        const r = await client.get({ shopId: 'shop-f', userId: 'u-mem' });
        expect(r.features!.user!.values[uIdx('u_views_24h')]).toBeCloseTo(Math.log1p(1), 5);
      },
      { timeoutMs: 20_000 },
    );
    proxy.block();
    try {
      await produceEvents(kafka, prefix, [event(EventType.EVENT_TYPE_VIEW, 'u-mem', 1)]);
      await expectEventually(
        async () => {
          const r = await client.get({ shopId: 'shop-f', userId: 'u-mem' }, 1000);
          expect(r.features!.user!.values[uIdx('u_views_24h')]).toBeCloseTo(Math.log1p(2), 5);
          expect(r.features!.user!.stale).toBe(false);
        },
        { timeoutMs: 20_000 },
      );
      const started = Date.now();
      const r = await client.get({ shopId: 'shop-f', userId: 'u-never-seen' }, 400);
      expect(Date.now() - started).toBeLessThan(400);
      expect(r.features!.user!.stale).toBe(true);
      expect(r.features!.freshness!.source).toBe(FeatureSource.FEATURE_SOURCE_DEFAULT);
    } finally {
      proxy.unblock();
    }
    // Back: the new user is loaded and no longer stale.
    await expectEventually(
      async () =>
        expect(
          (await client.get({ shopId: 'shop-f', userId: 'u-never-seen' })).features!.user!.stale,
        ).toBe(false),
      { timeoutMs: 20_000 },
    );
  });
});
