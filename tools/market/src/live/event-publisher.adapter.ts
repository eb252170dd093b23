import type { Event } from '@offerstream/contracts';
import { toEventMessage } from '@offerstream/events';
import { IdempotentProducer, type Kafka, type Message } from '@offerstream/kafka';

/**
 * Produces the market's behaviour events to `offerstream.events.v1` the way a shop's back
 * end does (protobuf, keyed by user id, acks=all), in batches: whatever is queued while a
 * send is in flight goes out with the next one, in queue order.
 */
export class EventPublisher {
  private readonly producer: IdempotentProducer;
  private queue: Message[] = [];
  private sending: Promise<void> | undefined;
  private sent = 0;
  private failures = 0;
  private lastError: string | undefined;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly maxBatch = 2000,
  ) {
    this.producer = new IdempotentProducer(kafka);
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  /** Events produced so far, and failed sends (their events are lost). */
  get counts(): { sent: number; queued: number; failures: number; lastError?: string } {
    return {
      sent: this.sent,
      queued: this.queue.length,
      failures: this.failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  publish(e: Event): void {
    this.queue.push(toEventMessage(e));
    this.sending ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.maxBatch);
        this.queue = this.queue.slice(batch.length);
        try {
          await this.producer.send(this.topic, batch);
          this.sent += batch.length;
        } catch (err) {
          this.failures++;
          this.lastError = err instanceof Error ? err.message : String(err);
        }
      }
    } finally {
      this.sending = undefined;
    }
  }

  /** Waits until everything queued is sent. */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  async stop(): Promise<void> {
    await this.flush();
    await this.producer.disconnect();
  }
}
