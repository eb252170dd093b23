import { Decision, encodeShared } from '@offerstream/contracts';
import { IdempotentProducer, type Kafka, type Message } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import type { DecisionLogPort } from '../decision/offer-decision.service';

export interface DecisionLogOptions {
  readonly topic: string;
  /** Decisions held while Kafka is slow or away; beyond it new decisions are dropped (counted). */
  readonly maxBuffered: number;
  /** Most decisions per produce request. */
  readonly maxBatch: number;
  readonly onDropped: () => void;
  readonly onFlushed: (n: number, ms: number) => void;
}

/**
 * Writes decisions to offerstream.decisions.v1 (key user_id, acks=all) off the request
 * path: GetOffers hands a decision over and answers; a flush loop sends what accumulated
 * in one batch. While Kafka cannot be written, decisions wait in a bounded buffer and are
 * retried; GetOffers says DECISION_LOG_DELAYED meanwhile.
 */
export class DecisionLogRepository implements DecisionLogPort {
  private readonly producer: IdempotentProducer;
  private buffer: Message[] = [];
  private flushing: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  constructor(
    kafka: Kafka,
    private readonly o: DecisionLogOptions,
    private readonly logger: Logger,
  ) {
    this.producer = new IdempotentProducer(kafka);
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  publish(d: Decision): boolean {
    if (this.buffer.length >= this.o.maxBuffered) {
      this.o.onDropped();
      this.logger.error(
        { decisionId: d.decisionId },
        'decision log buffer full; decision not logged',
      );
      return false;
    }
    this.buffer.push({ key: d.userId, value: encodeShared(Decision, d) });
    this.kick();
    return !this.failing;
  }

  private kick(): void {
    if (this.flushing || this.stopped) return;
    // setImmediate: decisions made in the same turn of the event loop go in one request.
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      this.flushLoop(),
    );
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const batch = this.buffer.slice(0, this.o.maxBatch);
        const t0 = Date.now();
        try {
          await this.producer.send(this.o.topic, batch);
          this.buffer = this.buffer.slice(batch.length);
          this.failing = false;
          this.o.onFlushed(batch.length, Date.now() - t0);
        } catch (err) {
          this.failing = true;
          this.logger.warn(
            { err, buffered: this.buffer.length },
            'decision log write failed; retrying',
          );
          if (this.stopped) return;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      this.flushing = undefined;
      if (this.buffer.length > 0 && !this.stopped) this.kick();
    }
  }

  /** Number of decisions waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Writes what is buffered (bounded by `timeoutMs`), then disconnects. */
  async stop(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.buffer.length > 0 || this.flushing) && Date.now() < deadline) {
      this.kick();
      await Promise.race([this.flushing, new Promise((r) => setTimeout(r, 50))]);
    }
    this.stopped = true;
    if (this.buffer.length > 0)
      this.logger.error({ lost: this.buffer.length }, 'decisions not written before shutdown');
    await this.producer.disconnect();
  }
}
