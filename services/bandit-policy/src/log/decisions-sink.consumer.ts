import { Decision } from '@offerstream/contracts';
import { Coalescer, DurableConsumer, type Kafka } from '@offerstream/kafka';
import type { Logger } from '@offerstream/logging';
import { tabSeparatedLine } from '@offerstream/clickhouse';
import { CANDIDATE_COLUMNS, candidateRows, DECISION_COLUMNS, decisionRow } from './decision-rows';
import type { DecisionsRepository } from './decisions.repository';

/** Records decoded between two turns of the event loop. */
const YIELD_EVERY = 50;

/**
 * Stores offerstream.decisions.v1 in ClickHouse (`decisions`, `decision_candidates`), one
 * consumer group shared by all replicas, offsets committed only after the insert. Rows
 * carry their partition: attribution for a partition runs where the partition is
 * consumed (`partitions()`), so the work is split like the log.
 */
export class DecisionsSinkConsumer {
  private consumer: DurableConsumer | undefined;
  private assigned: number[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly repo: DecisionsRepository,
    private readonly o: { topic: string; groupId: string; logger: Logger; now: () => number },
  ) {}

  /** Partitions of the decision log this replica consumes (and attributes). */
  partitions(): readonly number[] {
    return this.assigned;
  }

  start(): void {
    // The chunks of all partitions in hand go to ClickHouse as one insert per table, at most
    // every lingerMs: many small inserts would make ClickHouse merge parts all day long.
    const inserts = new Coalescer<{ decision: boolean; line: string }>(
      async (items) => {
        await this.repo.insert(
          items.filter((i) => i.decision).map((i) => i.line),
          items.filter((i) => !i.decision).map((i) => i.line),
        );
      },
      { maxItems: 20_000, lingerMs: 500 },
    );
    this.consumer = new DurableConsumer(this.kafka, {
      groupId: this.o.groupId,
      topics: [this.o.topic],
      fromBeginning: true,
      logger: this.o.logger,
      maxChunkMessages: 2000,
      maxWaitTimeMs: 100,
      partitionsConsumedConcurrently: 12,
      onGroupJoin: (assignment) => {
        this.assigned = [...(assignment[this.o.topic] ?? [])].sort((a, b) => a - b);
        this.o.logger.info({ partitions: this.assigned }, 'decision log partitions assigned');
      },
      handler: async (messages, ctx) => {
        const now = this.o.now();
        const items: { decision: boolean; line: string }[] = [];
        for (const [i, m] of messages.entries()) {
          // This replica also serves GetOffers: a chunk of 2,000 records decoded and encoded
          // in one go would hold its event loop for tens of milliseconds.
          if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r));
          let d: Decision;
          try {
            d = Decision.decode(m.value ?? Buffer.alloc(0));
          } catch (err) {
            this.o.logger.error({ err, offset: m.offset }, 'undecodable decision record; skipped');
            continue;
          }
          const at = { partition: ctx.partition, offset: m.offset };
          items.push({
            decision: true,
            line: tabSeparatedLine(decisionRow(d, at, now), DECISION_COLUMNS),
          });
          for (const row of candidateRows(d, at, now))
            items.push({ decision: false, line: tabSeparatedLine(row, CANDIDATE_COLUMNS) });
        }
        await inserts.submit(items);
      },
    });
    this.consumer.startInBackground();
  }

  async waitForAssignment(timeoutMs: number): Promise<void> {
    await this.consumer?.waitForAssignment(timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
