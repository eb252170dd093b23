import { status, type ServiceError } from '@grpc/grpc-js';
import {
  callUnary,
  Event,
  EventType,
  grpcClient,
  IngestServiceService,
  IngestStatus,
  RejectReason,
  SERVICE_NAMES,
} from '@offerstream/contracts';
import { EventsRepository, AggregatesRepository, toEventMessage } from '@offerstream/events';
import { expectEventually } from '@offerstream/testing';
import type { RunningService } from '@offerstream/service-kit';
import {
  deadLetters,
  isolatedIngestEnv,
  produce,
  readTopic,
  startIngest,
  view,
  type Db,
} from './support';
import type { Kafka } from '@offerstream/kafka';
import type { IngestTopics } from '../src/event-bus.repository';

const json = (o: unknown) => ({
  key: 'u-json',
  value: Buffer.from(JSON.stringify(o)),
  headers: { 'content-type': 'application/json' },
});
const NOW = () => new Date(Date.now() - 60_000);

describe('the ingest service, through its three ways in', () => {
  let kafka: Kafka;
  let db: Db;
  let topics: IngestTopics;
  let svc: RunningService<Record<string, never>>;
  let events: EventsRepository;

  beforeAll(async () => {
    const iso = await isolatedIngestEnv();
    ({ kafka, db, topics } = iso);
    svc = await startIngest(iso.env);
    events = new EventsRepository(db.client);
  });
  afterAll(async () => {
    await svc.stop();
    await db.drop();
  });

  it('dead-letters every kind of bad Kafka record with its reason and stores the good ones of the same batch once', async () => {
    const good = view('k-good');
    const truncated = Buffer.from(Event.encode(view('k-trunc')).finish()).subarray(0, 7);
    const messages = [
      toEventMessage(good),
      { key: 'u-1', value: truncated },
      { key: 'u-1', value: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x13]) },
      json({ eventId: 7, type: 'VIEW' }),
      json({
        eventId: 'k-missing',
        type: 'VIEW',
        shopId: 'shop-it',
        userId: 'u-1',
        eventTime: NOW().toISOString(),
      }),
      json({
        eventId: 'k-extra',
        type: 'VIEW',
        shopId: 'shop-it',
        userId: 'u-1',
        itemId: 'i',
        eventTime: NOW().toISOString(),
        hacker: true,
      }),
      {
        key: 'u-json',
        value: Buffer.from('['.repeat(5000) + ']'.repeat(5000)),
        headers: { 'content-type': 'application/json' },
      },
      toEventMessage(view('k-type', { type: 99 as EventType })),
      toEventMessage(
        view('k-neg', {
          type: EventType.EVENT_TYPE_PURCHASE,
          orderId: 'o',
          priceMinor: -100,
          currency: 'EUR',
        }),
      ),
      json({
        eventId: 'k-nan',
        type: 'PURCHASE',
        shopId: 'shop-it',
        userId: 'u-1',
        orderId: 'o',
        priceMinor: 'NaN',
        currency: 'EUR',
        eventTime: NOW().toISOString(),
      }),
      toEventMessage(view('k-2099', { eventTime: new Date(Date.UTC(2099, 0, 1)) })),
      toEventMessage(view('k-1970', { eventTime: new Date(0) })),
      toEventMessage(view("k-sql'); DROP TABLE events; --", { userId: 'o\'brien "quoted"' })),
      toEventMessage(view('k-ctl\u0007', {})),
      toEventMessage(view('k-long', { userId: '语'.repeat(3500) })),
      toEventMessage(view('k-dup')),
      toEventMessage(view('k-dup')),
      json({
        eventId: 'k-json-ok',
        type: 'EVENT_TYPE_CLICK',
        shop_id: 'shop-it',
        user_id: 'u-json',
        item_id: 'i-2',
        event_time: NOW().toISOString(),
      }),
    ];
    await produce(kafka, topics.raw, messages);

    const expectedGood = ['k-good', "k-sql'); DROP TABLE events; --", 'k-dup', 'k-json-ok'];
    await expectEventually(
      async () => {
        const counts = await events.countByType('shop-it');
        expect((counts.view ?? 0) + (counts.click ?? 0)).toBe(expectedGood.length);
      },
      { timeoutMs: 30000 },
    );
    const dlq = deadLetters(await readTopic(kafka, topics.dlq, (n) => n >= 13));
    const reasons = dlq.map((d) => RejectReason[d.reason]).sort();
    expect(reasons).toEqual(
      [
        'REJECT_REASON_MALFORMED', // truncated protobuf
        'REJECT_REASON_MALFORMED', // wrong JSON type
        'REJECT_REASON_MALFORMED', // extra field
        'REJECT_REASON_MALFORMED', // deep nesting
        'REJECT_REASON_MALFORMED', // NaN price
        'REJECT_REASON_MISSING_FIELD', // JSON without item_id
        'REJECT_REASON_INVALID_ENUM', // unknown type
        'REJECT_REASON_NEGATIVE_AMOUNT',
        'REJECT_REASON_EVENT_TIME_IN_FUTURE',
        'REJECT_REASON_EVENT_TIME_TOO_OLD',
        'REJECT_REASON_INVALID_ID', // control character
        'REJECT_REASON_INVALID_ID', // 10 KB of unicode
        'REJECT_REASON_MALFORMED', // random bytes
      ].sort(),
    );
    // The dead letter keeps the original bytes for replay.
    expect(dlq.some((d) => Buffer.from(d.payload).equals(truncated))).toBe(true);
    expect(dlq.every((d) => d.detail.length > 0 && d.sourceTopic === topics.raw)).toBe(true);
    // The valid topic holds each good event exactly once.
    const valid = (await readTopic(kafka, topics.valid, (n) => n >= expectedGood.length)).map(
      (v) => Event.decode(v).eventId,
    );
    expect(valid.sort()).toEqual([...expectedGood].sort());
    const sqlRow = await events.findById('shop-it', "k-sql'); DROP TABLE events; --");
    expect(sqlRow?.user_id).toBe('o\'brien "quoted"');
  });

  it('drops a duplicate that arrives in a later batch (same user, so same partition and order)', async () => {
    await produce(kafka, topics.raw, [toEventMessage(view('late-1', { userId: 'u-late' }))]);
    await expectEventually(
      async () => expect(await events.findById('shop-it', 'late-1')).toBeDefined(),
      { timeoutMs: 20000 },
    );
    await produce(kafka, topics.raw, [
      toEventMessage(view('late-1', { userId: 'u-late' })),
      toEventMessage(view('late-marker', { userId: 'u-late', type: EventType.EVENT_TYPE_CLICK })),
    ]);
    // The marker (a click) follows the duplicate (a view) on the same partition: once the
    // marker shows in user_hourly, the duplicate was handled; its view must not be there.
    const aggregates = new AggregatesRepository(db.client);
    const day = [new Date(Date.now() - 86_400_000), new Date(Date.now() + 3_600_000)] as const;
    const user = async () => {
      const hours = await aggregates.userHourly('shop-it', 'u-late', ...day);
      return {
        views: hours.reduce((a, h) => a + h.views, 0),
        clicks: hours.reduce((a, h) => a + h.clicks, 0),
      };
    };
    await expectEventually(async () => expect((await user()).clicks).toBe(1), { timeoutMs: 20000 });
    expect(await user()).toEqual({ views: 1, clicks: 1 }); // late-1 once, not twice
  });

  it('answers IngestService.Ingest per event, after Kafka acknowledged, and the pipeline stores the accepted ones', async () => {
    const client = grpcClient(
      IngestServiceService,
      SERVICE_NAMES.ingest,
      `127.0.0.1:${svc.grpcPort}`,
    );
    try {
      const res = await callUnary(client.ingest.bind(client), {
        events: [
          view('g-1', { userId: 'u-grpc' }),
          view('g-bad', { userId: 'u-grpc', itemId: '' }),
          view('g-1', { userId: 'u-grpc' }),
          view('g-2', { userId: 'u-grpc', eventTime: new Date(Date.UTC(1970, 0, 1)) }),
        ],
      });
      expect(
        res.results.map((r) => [r.index, IngestStatus[r.status], RejectReason[r.reason]]),
      ).toEqual([
        [0, 'INGEST_STATUS_ACCEPTED', 'REJECT_REASON_UNSPECIFIED'],
        [1, 'INGEST_STATUS_REJECTED', 'REJECT_REASON_MISSING_FIELD'],
        [2, 'INGEST_STATUS_DUPLICATE', 'REJECT_REASON_UNSPECIFIED'],
        [3, 'INGEST_STATUS_REJECTED', 'REJECT_REASON_EVENT_TIME_TOO_OLD'],
      ]);
      expect([res.acceptedCount, res.duplicateCount, res.rejectedCount]).toEqual([1, 1, 2]);
      await expectEventually(
        async () => expect(await events.findById('shop-it', 'g-1')).toBeDefined(),
        { timeoutMs: 20000 },
      );

      const again = await callUnary(client.ingest.bind(client), {
        events: [view('g-1', { userId: 'u-grpc' })],
      });
      expect(IngestStatus[again.results[0]!.status]).toBe('INGEST_STATUS_DUPLICATE');

      const empty = (await callUnary(client.ingest.bind(client), { events: [] }).catch(
        (e: unknown) => e,
      )) as ServiceError;
      expect(empty.code).toBe(status.INVALID_ARGUMENT);
      const tooMany = (await callUnary(client.ingest.bind(client), {
        events: Array.from({ length: 501 }, (_, i) => view(`m-${i}`)),
      }).catch((e: unknown) => e)) as ServiceError;
      expect(tooMany.code).toBe(status.INVALID_ARGUMENT);
      expect(tooMany.metadata.get('offerstream-limit')).toEqual(['500']);
    } finally {
      client.close();
    }
  });

  it('takes NDJSON and JSON arrays over HTTP, rejects bad lines one by one, and refuses oversized or unreadable bodies', async () => {
    const url = `http://127.0.0.1:${svc.httpPort}/v1/events`;
    const t = NOW().toISOString();
    const ndjson = [
      JSON.stringify({
        eventId: 'h-1',
        type: 'VIEW',
        shopId: 'shop-it',
        userId: 'u-http',
        itemId: 'i',
        eventTime: t,
      }),
      '{"eventId": "h-broken", ',
      JSON.stringify({
        eventId: 'h-2',
        type: 'SEARCH',
        shopId: 'shop-it',
        userId: 'u-http',
        searchQuery: 'red shoes',
        eventTime: t,
      }),
    ].join('\n');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      results: { status: string; reason?: string }[];
      acceptedCount: number;
      rejectedCount: number;
    };
    expect(body.results.map((r) => r.status)).toEqual([
      'INGEST_STATUS_ACCEPTED',
      'INGEST_STATUS_REJECTED',
      'INGEST_STATUS_ACCEPTED',
    ]);
    expect(body.results[1]!.reason).toBe('REJECT_REASON_MALFORMED');

    const arr = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          eventId: 'h-3',
          type: 'VIEW',
          shopId: 'shop-it',
          userId: 'u-http',
          itemId: 'i',
          eventTime: t,
        },
      ]),
    });
    expect(((await arr.json()) as { acceptedCount: number }).acceptedCount).toBe(1);
    await expectEventually(
      async () => expect(await events.findById('shop-it', 'h-3')).toBeDefined(),
      { timeoutMs: 20000 },
    );

    const huge = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(10 * 1024 * 1024, 0x20),
    });
    expect(huge.status).toBe(413);
    const deep = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '['.repeat(200_000) + ']'.repeat(200_000),
    });
    // Parses (V8 is iterative), but the element is no event: rejected on its own, dead-lettered.
    expect(deep.status).toBe(200);
    const deepBody = (await deep.json()) as { results: { status: string; reason: string }[] };
    expect(deepBody.results).toEqual([
      expect.objectContaining({
        status: 'INGEST_STATUS_REJECTED',
        reason: 'REJECT_REASON_MALFORMED',
      }),
    ]);
    const notAList = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"hello": 1}',
    });
    expect(notAList.status).toBe(400);
    const xml = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<e/>',
    });
    expect(xml.status).toBe(415);
  });
});
