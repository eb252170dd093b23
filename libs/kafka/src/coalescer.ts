/** How the coalescer bounds a unit of work: by size and by time. */
export interface CoalescerOptions {
  /** A flush starts as soon as this many items are pending (submissions are never split). */
  readonly maxItems: number;
  /** Longest the first pending item waits for company before a flush starts. */
  readonly lingerMs: number;
}

interface Pending<T> {
  readonly items: readonly T[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  readonly at: number;
}

export interface CoalescerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: CoalescerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Coalesces concurrent submissions (e.g. the chunks of several partitions that one fetch
 * delivered) into one call of `work`, bounded by size and time — one produce and one
 * ClickHouse insert for all of them instead of one per partition. One flush runs at a
 * time; submissions that arrive meanwhile form the next one. Each submitter's promise
 * settles with the flush that carried its items, so a Kafka consumer still commits a
 * partition's offsets only after its own records' effects are durable. When `work` throws,
 * every submission of that flush is rejected (and retried by its submitter); the memory it
 * holds is bounded by what the submitters have in hand.
 */
export class Coalescer<T> {
  private pending: Pending<T>[] = [];
  private pendingItems = 0;
  private flushing = false;
  private timer: unknown;

  constructor(
    private readonly work: (items: T[]) => Promise<void>,
    private readonly opts: CoalescerOptions,
    private readonly clock: CoalescerClock = realClock,
  ) {
    if (!(opts.maxItems >= 1)) throw new RangeError('maxItems must be at least 1');
    if (!(opts.lingerMs >= 0)) throw new RangeError('lingerMs must not be negative');
  }

  /** Resolves once a flush that carried these items succeeded; rejects with its error. */
  submit(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, resolve, reject, at: this.clock.now() });
      this.pendingItems += items.length;
      this.schedule();
    });
  }

  /** Items waiting for a flush (not counting the one running). */
  get waiting(): number {
    return this.pendingItems;
  }

  /** `drained`: a flush just ended, and what waited during it has lingered long enough. */
  private schedule(drained = false): void {
    if (this.flushing || this.pending.length === 0) return;
    const waited = this.clock.now() - this.pending[0]!.at;
    if (drained || this.pendingItems >= this.opts.maxItems || waited >= this.opts.lingerMs) {
      this.cancelTimer();
      void this.flush();
      return;
    }
    if (this.timer === undefined) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, this.opts.lingerMs - waited);
    }
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    const taken: Pending<T>[] = [];
    let n = 0;
    while (this.pending.length > 0 && (taken.length === 0 || n < this.opts.maxItems)) {
      const p = this.pending[0]!;
      if (taken.length > 0 && n + p.items.length > this.opts.maxItems) break;
      this.pending.shift();
      taken.push(p);
      n += p.items.length;
    }
    this.pendingItems -= n;
    const items: T[] = [];
    for (const p of taken) for (const it of p.items) items.push(it);
    try {
      await this.work(items);
      for (const p of taken) p.resolve();
    } catch (err) {
      for (const p of taken) p.reject(err);
    } finally {
      this.flushing = false;
      this.schedule(true);
    }
  }
}
