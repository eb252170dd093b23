import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@offerstream/logging';
import { CommitBatcher } from './commit-batcher';

export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  /** Keep group membership alive during long work. */
  heartbeat(): Promise<void>;
}

/**
 * Does the work for a chunk of messages and resolves only when its effects are durable
 * (the ClickHouse insert acknowledged, the produce acknowledged). Throwing means "not
 * done": the chunk is retried with backoff and its offsets are not committed.
 * Per-message problems (bad input) must be handled here — e.g. sent to a dead-letter
 * topic — not thrown, or the partition stalls on them.
 */
export type BatchHandler = (messages: KafkaMessage[], ctx: BatchContext) => Promise<void>;

export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export interface DurableConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly handler: BatchHandler;
  readonly logger: Logger;
  readonly fromBeginning?: boolean;
  /** Largest chunk handed to the handler; offsets are committed after each chunk. */
  readonly maxChunkMessages?: number;
  readonly retry?: RetryPolicy;
  readonly partitionsConsumedConcurrently?: number;
  readonly sessionTimeoutMs?: number;
  /** Longest a fetch waits for data on idle partitions; also bounds stop() latency. */
  readonly maxWaitTimeMs?: number;
  /** Told about every batch before it is handled, with the partition's lag (metrics). */
  readonly onBatch?: (topic: string, partition: number, offsetLag: string) => void;
  /**
   * Called whenever this member joined the group (partitions may have moved), with the
   * partitions now assigned to it by topic.
   */
  readonly onGroupJoin?: (assignment: Readonly<Record<string, readonly number[]>>) => void;
  /** Called after a commit succeeded (metrics, tests). */
  readonly onCommitted?: (topic: string, partition: number, nextOffset: string) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 200, maxMs: 30000, factor: 2 };

/** Splits an array into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Backoff delay before attempt `attempt` (1-based) under `p`. */
export function backoffMs(p: RetryPolicy, attempt: number): number {
  return Math.min(p.maxMs, p.initialMs * p.factor ** Math.max(0, attempt - 1));
}

type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export interface BatchRunnerDeps {
  readonly handler: BatchHandler;
  readonly commit: (topic: string, partition: number, nextOffset: string) => Promise<void>;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly maxChunkMessages: number;
  readonly sleep?: Sleep;
  readonly stopping: () => boolean;
  /** Told about every batch before it is handled (lag metrics). */
  readonly onBatch?: (topic: string, partition: number, offsetLag: string) => void;
}

/**
 * The eachBatch loop, separated from kafkajs so it can be tested with plain objects:
 * handle a chunk (retrying with backoff until it succeeds, the consumer stops or the
 * partition is revoked), then commit the offset after it, then the next chunk.
 * Nothing is committed for work that did not finish.
 */
export function makeBatchRunner(deps: BatchRunnerDeps) {
  const sleep = deps.sleep ?? realSleep;
  return async (
    payload: Pick<
      EachBatchPayload,
      'batch' | 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale'
    >,
  ): Promise<void> => {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const ctx: BatchContext = { topic: batch.topic, partition: batch.partition, heartbeat };
    const gone = () => deps.stopping() || !isRunning() || isStale();
    if (deps.onBatch && typeof batch.offsetLag === 'function')
      deps.onBatch(batch.topic, batch.partition, batch.offsetLag());
    for (const part of chunk(batch.messages, deps.maxChunkMessages)) {
      const last = part[part.length - 1];
      if (!last) continue;
      let attempt = 0;
      for (;;) {
        if (gone()) return;
        attempt++;
        try {
          await deps.handler(part, ctx);
          break;
        } catch (err) {
          const delay = backoffMs(deps.retry, attempt);
          deps.logger.warn(
            {
              err,
              topic: batch.topic,
              partition: batch.partition,
              firstOffset: part[0]?.offset,
              attempt,
              retryInMs: delay,
            },
            'batch handler failed; retrying (offsets not committed)',
          );
          // Wait in slices so heartbeats keep the partition assigned and stop() is prompt.
          let waited = 0;
          while (waited < delay && !gone()) {
            const slice = Math.min(1000, delay - waited);
            await sleep(slice);
            waited += slice;
            await heartbeat().catch(() => undefined);
          }
        }
      }
      const next = (BigInt(last.offset) + 1n).toString();
      resolveOffset(last.offset);
      await deps.commit(batch.topic, batch.partition, next);
      await heartbeat();
    }
  };
}

/**
 * A consumer-group member that commits offsets only after the handler's effects are
 * durable (at-least-once; pair it with idempotent writes for exactly-once effect), and
 * stops gracefully: the chunk in hand finishes and commits, nothing else starts.
 */
export class DurableConsumer {
  private readonly consumer: Consumer;
  private stopping = false;
  private running = false;
  private readonly joined: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly opts: DurableConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30000,
      heartbeatInterval: 3000,
      // Bounds how long a fetch (and so stop()) waits when a partition is idle.
      maxWaitTimeInMs: opts.maxWaitTimeMs ?? 500,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
    if (opts.onGroupJoin) {
      const cb = opts.onGroupJoin;
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => cb(e.payload.memberAssignment));
    }
    this.joined = new Promise((resolve) => {
      const remove = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
  }

  /** Joins the group and starts consuming; resolves once the consumer is running. */
  async start(): Promise<void> {
    const { consumer, opts } = this;
    await consumer.connect();
    // Partitions whose chunks became durable together commit in one request.
    const commits = new CommitBatcher((offsets) => consumer.commitOffsets(offsets));
    await consumer.subscribe({
      topics: [...opts.topics],
      fromBeginning: opts.fromBeginning ?? true,
    });
    const runner = makeBatchRunner({
      handler: opts.handler,
      logger: opts.logger,
      retry: opts.retry ?? DEFAULT_RETRY,
      maxChunkMessages: opts.maxChunkMessages ?? 1000,
      stopping: () => this.stopping,
      ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
      commit: async (topic, partition, offset) => {
        await commits.commit({ topic, partition, offset });
        opts.onCommitted?.(topic, partition, offset);
      },
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: runner,
    });
    this.running = true;
  }

  /**
   * Starts without blocking the caller (a service's boot must not wait for Kafka; readiness
   * reports it meanwhile), retrying with backoff until it runs or `stop()` is called.
   */
  startInBackground(): void {
    void (async () => {
      for (let attempt = 1; !this.stopping; attempt++) {
        try {
          await this.start();
          return;
        } catch (err) {
          const delay = Math.min(30_000, 500 * 2 ** (attempt - 1));
          this.opts.logger.error(
            { err, attempt, retryInMs: delay, groupId: this.opts.groupId },
            'consumer could not start; retrying',
          );
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    })();
  }

  /** Waits until the member has partitions assigned (tests, readiness). */
  async waitForAssignment(timeoutMs = 30000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`consumer ${this.opts.groupId} joined no group in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.joined, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get isRunning(): boolean {
    return this.running && !this.stopping;
  }

  /** Graceful stop: finish and commit the chunk in hand, then leave the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.consumer.disconnect();
    this.running = false;
  }
}
