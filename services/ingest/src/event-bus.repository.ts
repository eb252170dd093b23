import { DeadLetter, RejectReason, type Event } from '@offerstream/contracts';
import { encodedEventMessage, toEventMessage } from '@offerstream/events';
import { IdempotentProducer, TOPICS, type Kafka, type Message } from '@offerstream/kafka';
import type { EventBus } from './ingest-pipeline.service';

/** Topic names this process uses (with the deployment's prefix). */
export interface IngestTopics {
  readonly raw: string;
  readonly valid: string;
  readonly dlq: string;
}

export function ingestTopics(prefix: string): IngestTopics {
  return {
    raw: prefix + TOPICS.events.name,
    valid: prefix + TOPICS.eventsValid.name,
    dlq: prefix + TOPICS.eventsDlq.name,
  };
}

/** Dead letters are keyed by shop (readers filter per tenant) and carry the reason as a header. */
function deadLetterMessage(d: DeadLetter): Message {
  return {
    key: d.shopId || null,
    value: Buffer.from(DeadLetter.encode(d).finish()),
    headers: {
      'content-type': 'application/x-protobuf; messageType=offerstream.v1.DeadLetter',
      'reject-reason': RejectReason[d.reason],
    },
  };
}

/** Publishes valid/raw events and dead letters with the idempotent, acks=all producer. */
export class EventBusRepository implements EventBus {
  constructor(
    private readonly producer: IdempotentProducer,
    private readonly topics: IngestTopics,
  ) {}

  static create(kafka: Kafka, topics: IngestTopics): EventBusRepository {
    return new EventBusRepository(new IdempotentProducer(kafka), topics);
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async publish(
    target: 'valid' | 'raw',
    events: readonly Event[],
    deadLetters: readonly DeadLetter[],
    encoded?: readonly (Buffer | undefined)[],
  ): Promise<void> {
    await this.producer.sendBatch([
      {
        topic: target === 'valid' ? this.topics.valid : this.topics.raw,
        messages: events.map((e, i) => {
          const bytes = encoded?.[i];
          return bytes ? encodedEventMessage(e, bytes) : toEventMessage(e);
        }),
      },
      { topic: this.topics.dlq, messages: deadLetters.map(deadLetterMessage) },
    ]);
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
