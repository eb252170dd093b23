import type { Logger } from '@offerstream/logging';
import type {
  PartitionGranularity,
  PartitionInfo,
  RetentionRepository,
} from './retention.repository';

/** One table the retention job keeps short. */
export interface RetentionTable {
  /** Table in the client's database, e.g. "events". */
  readonly name: string;
  /** How the table is partitioned: `toYYYYMMDD(...)` is 'day', `toYYYYMM(...)` is 'month'. */
  readonly partitionBy: PartitionGranularity;
  /** Rows older than this many days go, one whole partition at a time. At least 1. */
  readonly maxAgeDays: number;
}

export interface RetentionOptions {
  readonly tables: readonly RetentionTable[];
  /** How often `start()` runs the job; default hourly. */
  readonly intervalMs?: number;
  /** The clock the scheduled runs read (injected so tests can drive time). */
  readonly clock?: () => Date;
}

/** A partition the job dropped. */
export interface DroppedPartition {
  readonly table: string;
  readonly partition: string;
  readonly rows: number;
  /** Newest row time the partition held. */
  readonly maxTime: Date;
}

/** A table or partition the job could not handle in a run. */
export interface RetentionFailure {
  readonly table: string;
  readonly partition?: string;
  readonly error: unknown;
}

/** A run dropped what it could but failed on some tables or partitions. */
export class RetentionRunError extends Error {
  constructor(
    readonly dropped: readonly DroppedPartition[],
    readonly failures: readonly RetentionFailure[],
  ) {
    super(
      `retention failed for ${failures
        .map((f) => (f.partition ? `${f.table} partition ${f.partition}` : f.table))
        .join(', ')}`,
    );
    this.name = 'RetentionRunError';
  }
}

/** What the service needs of the repository (a plain object in unit tests). */
export type RetentionStore = Pick<
  RetentionRepository,
  'partitions' | 'partitionAt' | 'dropPartition'
>;

type RetentionLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

const DAY_MS = 86_400_000;
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const PARTITION_VALUE: Record<PartitionGranularity, RegExp> = {
  day: /^\d{8}$/,
  month: /^\d{6}$/,
};

/**
 * Keeps tables within their maximum age by dropping whole partitions, in place of TTL
 * (which 18.16 lacks for our purposes, and which rewrites parts where dropping is free).
 *
 * A partition is dropped only when it lies entirely before the cutoff (now − maxAgeDays):
 * its partition value is below the value of the cutoff's own partition, and its newest row
 * is older than the cutoff too. The second check guards against a table configured with
 * the wrong granularity, which would otherwise compare "202609" with "20260923" and drop
 * everything. So rows are kept between maxAgeDays and maxAgeDays + one partition.
 */
export class RetentionService {
  private readonly tables: readonly RetentionTable[];
  private readonly intervalMs: number;
  private readonly clock: () => Date;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly repository: RetentionStore,
    private readonly logger: RetentionLogger,
    options: RetentionOptions,
  ) {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const t of options.tables) {
      if (!TABLE_NAME.test(t.name)) problems.push(`invalid table name ${JSON.stringify(t.name)}`);
      if (seen.has(t.name)) problems.push(`table ${t.name} is listed twice`);
      seen.add(t.name);
      if (t.partitionBy !== 'day' && t.partitionBy !== 'month') {
        problems.push(`table ${t.name}: partitionBy must be 'day' or 'month'`);
      }
      if (!Number.isInteger(t.maxAgeDays) || t.maxAgeDays < 1) {
        problems.push(`table ${t.name}: maxAgeDays must be an integer >= 1`);
      }
    }
    const intervalMs = options.intervalMs ?? 3_600_000;
    if (!Number.isInteger(intervalMs) || intervalMs < 1000) {
      problems.push('intervalMs must be an integer >= 1000');
    }
    if (problems.length > 0)
      throw new RangeError(`invalid retention options: ${problems.join('; ')}`);
    this.tables = options.tables.map((t) => ({ ...t }));
    this.intervalMs = intervalMs;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * One pass over every table: drops expired partitions and returns them. Goes on past a
   * failing table or partition and then throws a RetentionRunError carrying both lists.
   */
  async runOnce(now: Date = this.clock()): Promise<DroppedPartition[]> {
    const dropped: DroppedPartition[] = [];
    const failures: RetentionFailure[] = [];
    for (const table of this.tables) {
      try {
        await this.runTable(table, now, dropped, failures);
      } catch (error) {
        this.logger.error(
          { err: error, table: table.name },
          'retention: could not list partitions',
        );
        failures.push({ table: table.name, error });
      }
    }
    if (failures.length > 0) throw new RetentionRunError(dropped, failures);
    return dropped;
  }

  private async runTable(
    table: RetentionTable,
    now: Date,
    dropped: DroppedPartition[],
    failures: RetentionFailure[],
  ): Promise<void> {
    const cutoff = new Date(Math.floor((now.getTime() - table.maxAgeDays * DAY_MS) / 1000) * 1000);
    const cutoffSeconds = cutoff.getTime() / 1000;
    const cutoffPartition = Number(await this.repository.partitionAt(cutoff, table.partitionBy));
    for (const p of await this.repository.partitions(table.name)) {
      if (!this.expired(table, p, cutoffPartition, cutoffSeconds)) continue;
      try {
        await this.repository.dropPartition(table.name, p.partition);
      } catch (error) {
        this.logger.error(
          { err: error, table: table.name, partition: p.partition },
          'retention: could not drop partition',
        );
        failures.push({ table: table.name, partition: p.partition, error });
        continue;
      }
      const d: DroppedPartition = {
        table: table.name,
        partition: p.partition,
        rows: p.rows,
        maxTime: new Date(p.maxTime * 1000),
      };
      this.logger.info(
        {
          table: d.table,
          partition: d.partition,
          rows: d.rows,
          maxTime: d.maxTime.toISOString(),
          cutoff: cutoff.toISOString(),
        },
        'retention: dropped partition',
      );
      dropped.push(d);
    }
  }

  private expired(
    table: RetentionTable,
    p: PartitionInfo,
    cutoffPartition: number,
    cutoffSeconds: number,
  ): boolean {
    if (!PARTITION_VALUE[table.partitionBy].test(p.partition)) {
      this.logger.warn(
        { table: table.name, partition: p.partition, partitionBy: table.partitionBy },
        'retention: partition value does not match the configured granularity; kept',
      );
      return false;
    }
    if (Number(p.partition) >= cutoffPartition) return false;
    if (p.maxTime >= cutoffSeconds) {
      this.logger.warn(
        {
          table: table.name,
          partition: p.partition,
          maxTime: new Date(p.maxTime * 1000).toISOString(),
        },
        'retention: partition is before the cutoff but holds newer rows; kept (check partitionBy)',
      );
      return false;
    }
    return true;
  }

  /** Runs the job every `intervalMs` (first run after one interval). Runs never overlap. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    // The job must not keep a process alive that is otherwise done.
    this.timer.unref();
  }

  /** Stops scheduling and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running) {
      this.logger.warn({}, 'retention: previous run still in progress; skipping this one');
      return;
    }
    this.running = this.runOnce(this.clock())
      .catch((error: unknown) => {
        // Failures were logged one by one; the next interval tries again.
        if (!(error instanceof RetentionRunError)) {
          this.logger.error({ err: error }, 'retention: run failed');
        }
      })
      .finally(() => {
        this.running = undefined;
      });
  }
}
