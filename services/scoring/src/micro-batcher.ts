/** A request waiting for a batch: its rows and its deadline (epoch ms; Infinity = none). */
export interface BatchJob {
  readonly rows: number;
  readonly deadline: number;
}

export interface MicroBatcherOptions {
  /** A batch runs as soon as this many rows wait (a job is never split). */
  readonly maxBatchRows: number;
  /** Longest the first waiting job waits for company, in microseconds (Triton's max_queue_delay). */
  readonly maxQueueDelayUs: number;
  /** Rows allowed to wait; beyond it submissions are refused (load shedding). */
  readonly maxQueueRows: number;
  /** Batches run at the same time (onnxruntime parallelises inside one run). */
  readonly maxConcurrentRuns: number;
}

/** How a job ended without a result. */
export class BatchRefused extends Error {
  constructor(
    readonly kind: 'queue-full' | 'deadline' | 'stopped',
    message: string,
  ) {
    super(message);
    this.name = 'BatchRefused';
  }
}

/** What a job gets back besides its own result. */
export interface BatchInfo {
  readonly queueMs: number;
  readonly runMs: number;
  /** Jobs in the batch that carried this one. */
  readonly batchJobs: number;
  readonly batchRows: number;
}

interface Waiting<J, R> {
  readonly job: J;
  readonly at: number;
  readonly resolve: (r: { result: R; info: BatchInfo }) => void;
  readonly reject: (e: unknown) => void;
}

export interface BatcherClock {
  now(): number;
  /** Runs `fn` after `us` microseconds (below a millisecond: on the next turn of the loop). */
  after(us: number, fn: () => void): void;
}

const realClock: BatcherClock = {
  now: () => performance.now() + performance.timeOrigin,
  after: (us, fn) => {
    if (us < 1000) setImmediate(fn);
    else setTimeout(fn, us / 1000);
  },
};

/**
 * A dynamic batcher: concurrent requests are coalesced into one model run, up to
 * `maxBatchRows` or until the first has waited `maxQueueDelayUs`. Jobs whose deadline has
 * passed are dropped before the run (nobody reads their answer). The queue is bounded in
 * rows and refuses work beyond it rather than growing. `run` gets the jobs of one batch and
 * returns one result per job, in order.
 */
export class MicroBatcher<J extends BatchJob, R> {
  private queue: Waiting<J, R>[] = [];
  private queuedRows = 0;
  private running = 0;
  private timerSet = false;
  private stopped = false;

  constructor(
    private readonly run: (jobs: J[]) => Promise<R[]>,
    private readonly opts: MicroBatcherOptions,
    private readonly clock: BatcherClock = realClock,
  ) {
    if (!(opts.maxBatchRows >= 1) || !(opts.maxQueueRows >= opts.maxBatchRows))
      throw new RangeError('need 1 <= maxBatchRows <= maxQueueRows');
  }

  /** Rows waiting (not counting running batches). */
  get waitingRows(): number {
    return this.queuedRows;
  }

  /** True when nothing waits or runs. */
  get idle(): boolean {
    return this.queue.length === 0 && this.running === 0;
  }

  submit(job: J): Promise<{ result: R; info: BatchInfo }> {
    if (this.stopped)
      return Promise.reject(new BatchRefused('stopped', 'the model is being unloaded'));
    if (this.queuedRows + job.rows > this.opts.maxQueueRows)
      return Promise.reject(
        new BatchRefused(
          'queue-full',
          `scoring queue is full (${this.queuedRows} rows waiting, limit ${this.opts.maxQueueRows})`,
        ),
      );
    return new Promise((resolve, reject) => {
      this.queue.push({ job, at: this.clock.now(), resolve, reject });
      this.queuedRows += job.rows;
      this.schedule(false);
    });
  }

  /** Refuses new work; what waits still runs. */
  stop(): void {
    this.stopped = true;
  }

  private schedule(timerFired: boolean): void {
    if (timerFired) this.timerSet = false;
    while (this.queue.length > 0 && this.running < this.opts.maxConcurrentRuns) {
      const waitedUs = (this.clock.now() - this.queue[0]!.at) * 1000;
      const full = this.queuedRows >= this.opts.maxBatchRows;
      if (!full && !timerFired && waitedUs < this.opts.maxQueueDelayUs) {
        if (!this.timerSet) {
          this.timerSet = true;
          this.clock.after(this.opts.maxQueueDelayUs - waitedUs, () => this.schedule(true));
        }
        return;
      }
      this.startBatch();
      timerFired = false;
    }
  }

  private startBatch(): void {
    const taken: Waiting<J, R>[] = [];
    let rows = 0;
    const now = this.clock.now();
    while (this.queue.length > 0) {
      const w = this.queue[0]!;
      if (taken.length > 0 && rows + w.job.rows > this.opts.maxBatchRows) break;
      this.queue.shift();
      this.queuedRows -= w.job.rows;
      if (w.job.deadline <= now) {
        w.reject(
          new BatchRefused('deadline', 'the call deadline passed while it waited for a batch'),
        );
        continue;
      }
      taken.push(w);
      rows += w.job.rows;
    }
    if (taken.length === 0) return;
    this.running++;
    const started = this.clock.now();
    this.run(taken.map((t) => t.job))
      .then((results) => {
        const runMs = this.clock.now() - started;
        taken.forEach((t, i) =>
          t.resolve({
            result: results[i]!,
            info: { queueMs: started - t.at, runMs, batchJobs: taken.length, batchRows: rows },
          }),
        );
      })
      .catch((err: unknown) => {
        for (const t of taken) t.reject(err);
      })
      .finally(() => {
        this.running--;
        this.schedule(true);
      });
  }
}
