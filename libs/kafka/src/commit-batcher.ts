/** One partition's next offset to commit. */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next message to read (last handled + 1). */
  readonly offset: string;
}

interface Waiting {
  readonly offset: OffsetToCommit;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Sends the offset commits asked for within the same turn of the event loop as one request.
 * When one unit of work carried the chunks of many partitions (the ingest coalescer), they
 * all become durable at once and each partition's runner asks to commit: one OffsetCommit
 * for all of them instead of one per partition. Each caller's promise settles with the
 * request that carried its offset; a partition asked for twice commits its highest offset.
 */
export class CommitBatcher {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly send: (offsets: OffsetToCommit[]) => Promise<void>,
    private readonly defer: (fn: () => void) => void = (fn) => setImmediate(fn),
  ) {}

  commit(offset: OffsetToCommit): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ offset, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.defer(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const taken = this.waiting;
    this.waiting = [];
    this.scheduled = false;
    const highest = new Map<string, OffsetToCommit>();
    for (const { offset } of taken) {
      const key = `${offset.topic}\u0000${offset.partition}`;
      const seen = highest.get(key);
      if (!seen || BigInt(offset.offset) > BigInt(seen.offset)) highest.set(key, offset);
    }
    try {
      await this.send([...highest.values()]);
      for (const w of taken) w.resolve();
    } catch (err) {
      for (const w of taken) w.reject(err);
    }
  }
}
