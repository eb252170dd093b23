import {
  type DeadLetter,
  Event,
  EventType,
  IngestSource,
  IngestStatus,
  RejectReason,
} from '@offerstream/contracts';
import { createLogger } from '@offerstream/logging';
import { DEFAULT_POLICY } from './event-validator.service';
import {
  IngestPipeline,
  StoreRejectedDataError,
  type EventBus,
  type EventStore,
  type IncomingRecord,
  type IngestMetrics,
} from './ingest-pipeline.service';
import { RecentIds } from '@offerstream/events';
import { viewEvent } from './view-event.fixture';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function makeIngestPipeline(
  o: {
    refuse?: (e: Event) => boolean;
    down?: boolean;
    stored?: string[];
    /** The first insert lands, but its answer is lost (the connection drops). */
    loseFirstAnswer?: boolean;
    /** The first n inserts fail with a network error while the server stays reachable. */
    transientFailures?: number;
    /** The first n publishes to the valid topic fail (the broker is away). */
    publishFailures?: number;
  } = {},
) {
  let answersLost = 0;
  let transient = 0;
  let publishFailed = 0;
  const published: {
    target: string;
    events: Event[];
    dead: DeadLetter[];
    encoded?: (Buffer | undefined)[];
  }[] = [];
  const inserted: Event[] = [];
  const rejected: RejectReason[] = [];
  /** Event ids looked up in the raw table (storedAmong). */
  const lookedUp: string[] = [];
  const bus: EventBus = {
    publish: async (target, events, dead, encoded) => {
      if (target === 'valid' && (o.publishFailures ?? 0) > publishFailed++)
        throw new Error('KafkaJSNumberOfRetriesExceeded');
      published.push({
        target,
        events: [...events],
        dead: [...dead],
        ...(encoded ? { encoded: [...encoded] } : {}),
      });
    },
  };
  const store: EventStore = {
    insert: async (events) => {
      if (o.down) throw new Error('connect ECONNREFUSED');
      if (o.refuse && events.some(o.refuse)) throw new StoreRejectedDataError('Cannot parse input');
      if ((o.transientFailures ?? 0) > transient++) throw new Error('write EPIPE');
      inserted.push(...events);
      if (o.loseFirstAnswer && answersLost++ === 0) throw new Error('socket hang up');
    },
    existing: async (keys) =>
      new Set(
        keys
          .map((k) => RecentIds.key(k.shopId, k.eventId))
          .filter((k) => (o.stored ?? []).includes(k)),
      ),
    reachable: async () => !o.down && !(o.loseFirstAnswer && answersLost === 1),
    storedAmong: async (events) => {
      lookedUp.push(...events.map((e) => e.eventId));
      return new Set(
        events
          .filter((e) => inserted.some((i) => i.eventId === e.eventId))
          .map((e) => RecentIds.key(e.shopId, e.eventId)),
      );
    },
    recentlyStored: async () => (o.stored ?? []).map((key) => ({ key, at: NOW - 1000 })),
  };
  const metrics: IngestMetrics = {
    received: () => undefined,
    accepted: () => undefined,
    duplicates: () => undefined,
    rejected: (r, n) => rejected.push(...Array<RejectReason>(n).fill(r)),
    batchSize: () => undefined,
    insertSeconds: () => undefined,
  };
  const sut = new IngestPipeline({
    bus,
    store,
    recent: new RecentIds(1000, 3_600_000),
    metrics,
    logger: createLogger({ service: 'test', level: 'silent' }),
    policy: DEFAULT_POLICY,
    now: () => NOW,
    serviceVersion: 'test',
    dedupWindowMs: 3_600_000,
    dedupMaxKeys: 1000,
  });
  return { sut, published, inserted, rejected, lookedUp };
}

const view = (id: string, over: Partial<Event> = {}) => viewEvent(NOW, { eventId: id, ...over });
const record = (
  payload: Buffer | null,
  offset: number,
  contentType?: string,
  partition = 0,
): IncomingRecord => ({
  payload,
  contentType,
  topic: 't',
  partition,
  offset: String(offset),
});
const proto = (e: Event, offset: number, partition = 0) =>
  record(Buffer.from(Event.encode(e).finish()), offset, undefined, partition);

describe('IngestPipeline.processRecords', () => {
  it('stores the good events of a batch and dead-letters the bad ones with their original bytes', async () => {
    const { sut, published, inserted } = makeIngestPipeline();
    const garbage = Buffer.from([0x0a, 0xff, 0xff]);
    await sut.processRecords([
      proto(view('a'), 1),
      record(garbage, 2),
      proto(view('b', { eventTime: new Date(Date.UTC(2099, 0, 1)) }), 3),
      record(
        Buffer.from(
          '{"eventId":"c","type":"VIEW","shopId":"s","userId":"u","itemId":"i","eventTime":"2026-11-23T11:59:00Z"}',
        ),
        4,
        'application/json',
      ),
    ]);
    expect(inserted.map((e) => e.eventId)).toEqual(['a', 'c']);
    expect(published).toHaveLength(1);
    expect(published[0]!.target).toBe('valid');
    expect(published[0]!.events.map((e) => e.eventId)).toEqual(['a', 'c']);
    expect(published[0]!.dead.map((d) => [RejectReason[d.reason], d.sourceOffset])).toEqual([
      ['REJECT_REASON_MALFORMED', 2],
      ['REJECT_REASON_EVENT_TIME_IN_FUTURE', 3],
    ]);
    expect(Buffer.from(published[0]!.dead[0]!.payload)).toEqual(garbage);
  });

  it('drops duplicates inside a batch, across batches and of events already stored', async () => {
    const { sut, inserted } = makeIngestPipeline({ stored: [RecentIds.key('s', 'old')] });
    await sut.processRecords([proto(view('a'), 1), proto(view('a'), 2), proto(view('old'), 3)]);
    await sut.processRecords([proto(view('a'), 4), proto(view('b'), 5)]);
    expect(inserted.map((e) => e.eventId)).toEqual(['a', 'b']);
  });

  it('rebuilds its memory from the store when partitions move, so re-deliveries stay out', async () => {
    const stored: string[] = [];
    const { sut, inserted } = makeIngestPipeline({ stored });
    await sut.processRecords([proto(view('a'), 1)]);
    stored.push(RecentIds.key('s', 'b')); // stored by the instance that had the partition before
    sut.partitionsAssigned();
    await sut.processRecords([proto(view('b'), 2), proto(view('c'), 3)]);
    expect(inserted.map((e) => e.eventId)).toEqual(['a', 'c']);
  });

  it('does not insert again rows that landed although the insert answer was lost', async () => {
    const { sut, inserted } = makeIngestPipeline({ loseFirstAnswer: true });
    const chunk = [proto(view('a'), 1), proto(view('b'), 2)];
    await expect(sut.processRecords(chunk)).rejects.toThrow(/hang up/);
    await sut.processRecords(chunk); // the consumer's retry of the same chunk
    expect(inserted.map((e) => e.eventId)).toEqual(['a', 'b']);
  });

  it('publishes and inserts together; a batch stored but not published is published on its retry, not stored twice', async () => {
    const { sut, inserted, published } = makeIngestPipeline({ publishFailures: 1 });
    const chunk = [proto(view('a'), 1), proto(view('b'), 2)];
    await expect(sut.processRecords(chunk)).rejects.toThrow(/Retries/);
    expect(inserted.map((e) => e.eventId)).toEqual(['a', 'b']); // the insert did land
    expect(published).toEqual([]);
    await sut.processRecords(chunk); // the consumer's retry of the same chunk
    expect(inserted.map((e) => e.eventId)).toEqual(['a', 'b']);
    expect(published.map((p) => p.events.map((e) => e.eventId))).toEqual([['a', 'b']]);
    // Vouched for again: a producer's repeat of `a` now stays out of both.
    await sut.processRecords([proto(view('a'), 3), proto(view('c'), 4)]);
    expect(inserted.map((e) => e.eventId)).toEqual(['a', 'b', 'c']);
    expect(published.at(-1)!.events.map((e) => e.eventId)).toEqual(['c']);
  });

  it('retries a transient insert failure whole instead of bisecting it into dead letters', async () => {
    const { sut, inserted, published } = makeIngestPipeline({ transientFailures: 3 });
    const chunk = [proto(view('a'), 1), proto(view('b'), 2)];
    for (let i = 0; i < 3; i++) await expect(sut.processRecords(chunk)).rejects.toThrow(/EPIPE/);
    await sut.processRecords(chunk);
    expect(published.flatMap((p) => p.dead)).toEqual([]);
    expect(inserted.map((e) => e.eventId)).toEqual(['a', 'b']);
  });

  it('throws (so nothing is committed) and remembers nothing while the store is down', async () => {
    const down = makeIngestPipeline({ down: true });
    await expect(down.sut.processRecords([proto(view('a'), 1)])).rejects.toThrow(/ECONNREFUSED/);
    const { sut, inserted } = makeIngestPipeline();
    await sut.processRecords([proto(view('a'), 1)]);
    expect(inserted).toHaveLength(1);
  });

  it('handles the chunks of several partitions as one batch, looking up only partitions it cannot vouch for', async () => {
    const { sut, inserted, published, lookedUp } = makeIngestPipeline({ loseFirstAnswer: true });
    // Partition 1's insert lands but its answer is lost: partition 1 is no longer vouched for.
    await expect(sut.processRecords([proto(view('a'), 1, 1)])).rejects.toThrow(/hang up/);
    await sut.processRecords([proto(view('b'), 1, 2)]);
    lookedUp.length = 0;
    // Partition 1 re-delivers `a` coalesced with new records of partitions 2 and 3.
    await sut.processRecords([
      proto(view('a'), 1, 1),
      proto(view('c'), 2, 2),
      proto(view('d'), 1, 3),
      proto(view('c'), 5, 3), // the same event again, from another partition
    ]);
    expect(lookedUp.sort()).toEqual(['a', 'd']); // partition 3 is new to this instance
    expect(inserted.map((e) => e.eventId)).toEqual(['a', 'b', 'c', 'd']);
    // `a` is published again (its first publish may be what was lost) but not inserted again.
    expect(published.at(-1)!.events.map((e) => e.eventId)).toEqual(['a', 'c', 'd']);
    // Once that batch succeeded, every partition in it is vouched for again.
    lookedUp.length = 0;
    await sut.processRecords([proto(view('e'), 2, 1), proto(view('f'), 2, 3)]);
    expect(lookedUp).toEqual([]);
  });

  it('republishes an event that arrived in normal form with its own bytes, and re-encodes a normalised one', async () => {
    const { sut, published } = makeIngestPipeline();
    const asIs = proto(view('a'), 1);
    const lowerCase = view('b', {
      type: EventType.EVENT_TYPE_PURCHASE,
      orderId: 'o-1',
      priceMinor: 100,
      currency: 'eur',
      quantity: 1,
    });
    await sut.processRecords([asIs, proto(lowerCase, 2)]);
    const [p] = published;
    expect(p!.encoded?.[0]).toBe(asIs.payload); // the very buffer, not a copy
    expect(p!.encoded?.[1]).toBeUndefined();
    expect(p!.events[1]!.currency).toBe('EUR');
  });

  it('isolates a record the store refuses so it cannot stall the partition', async () => {
    const { sut, inserted, published, rejected } = makeIngestPipeline({
      refuse: (e) => e.eventId === 'poison',
    });
    await sut.processRecords(['a', 'b', 'poison', 'c', 'd'].map((id, i) => proto(view(id), i)));
    expect(inserted.map((e) => e.eventId).sort()).toEqual(['a', 'b', 'c', 'd']);
    const dead = published.flatMap((p) => p.dead);
    expect(dead.map((d) => [d.eventId, RejectReason[d.reason]])).toEqual([
      ['poison', 'REJECT_REASON_PROCESSING_FAILED'],
    ]);
    expect(rejected).toEqual([RejectReason.REJECT_REASON_PROCESSING_FAILED]);
  });
});

describe('IngestPipeline.submit', () => {
  it('answers per event and publishes accepted events to the raw topic, rejected ones to the DLQ', async () => {
    const { sut, published } = makeIngestPipeline({ stored: [RecentIds.key('s', 'known')] });
    const results = await sut.submit(
      [view('a'), view('bad', { itemId: '' }), view('a'), view('known')],
      IngestSource.INGEST_SOURCE_GRPC,
    );
    expect(results.map((r) => [r.index, IngestStatus[r.status], RejectReason[r.reason]])).toEqual([
      [0, 'INGEST_STATUS_ACCEPTED', 'REJECT_REASON_UNSPECIFIED'],
      [1, 'INGEST_STATUS_REJECTED', 'REJECT_REASON_MISSING_FIELD'],
      [2, 'INGEST_STATUS_DUPLICATE', 'REJECT_REASON_UNSPECIFIED'],
      [3, 'INGEST_STATUS_DUPLICATE', 'REJECT_REASON_UNSPECIFIED'],
    ]);
    expect(results[1]!.detail).toMatch(/item_id is required/);
    expect(published).toEqual([
      {
        target: 'raw',
        events: [expect.objectContaining({ eventId: 'a' })],
        dead: [
          expect.objectContaining({ eventId: 'bad', source: IngestSource.INGEST_SOURCE_GRPC }),
        ],
      },
    ]);
  });
});
