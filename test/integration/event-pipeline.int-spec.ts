import { Event, EventType, Channel } from '@offerstream/contracts';
import { decodeEvent, EventsRepository, toEventMessage, toEventRow } from '@offerstream/events';
import { DurableConsumer, IdempotentProducer, TOPICS, type Kafka } from '@offerstream/kafka';
import { expectEventually, uniqueName } from '@offerstream/testing';
import { freshDatabase, freshTopics, testKafka, testLogger } from '../support/infra';

describe('an event from Kafka to ClickHouse', () => {
  let kafka: Kafka;
  let db: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    kafka = testKafka();
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('is produced as protobuf, consumed in a group, inserted through the migrated table and read back equal', async () => {
    const { prefix } = await freshTopics(kafka);
    const topic = prefix + TOPICS.events.name;
    const event = Event.fromPartial({
      eventId: uniqueName('evt'),
      type: EventType.EVENT_TYPE_PURCHASE,
      shopId: 'shop-it',
      userId: 'user-42',
      sessionId: 's-1',
      itemId: 'sku-1',
      categoryId: 'shoes',
      orderId: 'o-9',
      priceMinor: 12999,
      currency: 'EUR',
      quantity: 1,
      discountMinor: 1300,
      unitCostMinor: 7000,
      channel: Channel.CHANNEL_APP,
      eventTime: new Date(Date.UTC(2026, 10, 23, 10, 30, 15, 120)),
      attributes: { coupon: "SAVE'10", note: 'ünïcødé ✓' },
    });

    const producer = new IdempotentProducer(kafka);
    await producer.connect();
    const [meta] = await producer.send(topic, [toEventMessage(event)]);
    await producer.disconnect();
    expect(meta?.errorCode).toBe(0);

    const repo = new EventsRepository(db.client);
    const received: Event[] = [];
    const consumer = new DurableConsumer(kafka, {
      groupId: uniqueName('g'),
      topics: [topic],
      logger: testLogger,
      handler: async (messages) => {
        const events = messages.map((m) => decodeEvent(m.value));
        await repo.insert(events.map((e) => toEventRow(e, new Date())));
        received.push(...events);
      },
    });
    await consumer.start();
    try {
      await expectEventually(() => expect(received).toHaveLength(1), { timeoutMs: 30000 });
    } finally {
      await consumer.stop();
    }

    expect(received[0]).toEqual(event);
    const stored = await repo.findById('shop-it', event.eventId);
    const { ingested_at: _ingested, ...expected } = toEventRow(event, new Date());
    expect(stored).toMatchObject(expected);
    expect(await repo.countByType('shop-it')).toEqual({ purchase: 1 });
  });
});
