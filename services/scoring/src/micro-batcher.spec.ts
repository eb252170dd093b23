import { BatchRefused, MicroBatcher, type BatcherClock } from './micro-batcher';

function makeBatcher(
  o: Partial<{
    maxBatchRows: number;
    maxQueueDelayUs: number;
    maxQueueRows: number;
    maxConcurrentRuns: number;
  }> = {},
) {
  let now = 1000;
  let timers: { at: number; fn: () => void }[] = [];
  const clock: BatcherClock = {
    now: () => now,
    after: (us, fn) => timers.push({ at: now + us / 1000, fn }),
  };
  const runs: number[][] = [];
  const gates: (() => void)[] = [];
  let hold = false;
  const sut = new MicroBatcher<{ rows: number; deadline: number; id: number }, string>(
    async (jobs) => {
      runs.push(jobs.map((j) => j.id));
      if (hold) await new Promise<void>((r) => gates.push(r));
      return jobs.map((j) => `r${j.id}`);
    },
    { maxBatchRows: 10, maxQueueDelayUs: 500, maxQueueRows: 30, maxConcurrentRuns: 1, ...o },
    clock,
  );
  const tick = async (ms: number) => {
    now += ms;
    const due = timers.filter((t) => t.at <= now);
    timers = timers.filter((t) => t.at > now);
    for (const t of due) t.fn();
    await new Promise((r) => setImmediate(r));
  };
  const job = (id: number, rows: number, deadline = Infinity) => ({ id, rows, deadline });
  return { sut, runs, tick, job, hold: () => (hold = true), open: () => gates.shift()?.() };
}

describe('MicroBatcher', () => {
  it('coalesces requests that arrive within the queue delay into one run, each getting its own result', async () => {
    const { sut, runs, tick, job } = makeBatcher();
    const a = sut.submit(job(1, 2));
    await tick(0.1);
    const b = sut.submit(job(2, 3));
    expect(runs).toEqual([]);
    await tick(0.5);
    expect(runs).toEqual([[1, 2]]);
    const [ra, rb] = await Promise.all([a, b]);
    expect([ra.result, rb.result]).toEqual(['r1', 'r2']);
    expect(ra.info.batchJobs).toBe(2);
    expect(ra.info.batchRows).toBe(5);
  });

  it('runs at once when a full batch waits, and never splits a request nor goes past the batch size', async () => {
    const { sut, runs, tick, job } = makeBatcher();
    void sut.submit(job(1, 6));
    void sut.submit(job(2, 6));
    await tick(0);
    expect(runs).toEqual([[1], [2]]);
  });

  it('drops requests whose deadline passed while they waited', async () => {
    const { sut, runs, tick, job } = makeBatcher();
    const late = sut.submit(job(1, 1, 1000.2)).catch((e: unknown) => e);
    const fine = sut.submit(job(2, 1, 5000));
    await tick(1);
    expect(await late).toMatchObject({ kind: 'deadline' });
    await expect(fine).resolves.toMatchObject({ result: 'r2' });
    expect(runs).toEqual([[2]]);
  });

  it('sheds load when the queue is full instead of growing', async () => {
    const { sut, tick, job, hold, open } = makeBatcher({ maxQueueRows: 12 });
    hold();
    void sut.submit(job(1, 10));
    await tick(0);
    const queued = [sut.submit(job(2, 6)), sut.submit(job(3, 6))];
    await expect(sut.submit(job(4, 1))).rejects.toBeInstanceOf(BatchRefused);
    expect(sut.waitingRows).toBe(12);
    open();
    await tick(0);
    open();
    await tick(0);
    open();
    await expect(Promise.all(queued)).resolves.toHaveLength(2);
  });

  it('keeps one run at a time and sends what queued meanwhile right after', async () => {
    const { sut, runs, tick, job, hold, open } = makeBatcher();
    hold();
    void sut.submit(job(1, 10));
    await tick(0);
    void sut.submit(job(2, 1));
    void sut.submit(job(3, 1));
    await tick(5);
    expect(runs).toEqual([[1]]);
    open();
    await tick(0);
    expect(runs).toEqual([[1], [2, 3]]);
    open();
  });

  it('fails every request of a run that fails, and goes on with the next', async () => {
    let fail = true;
    const sut = new MicroBatcher<{ rows: number; deadline: number }, number>(
      async (jobs) => {
        if (fail) throw new Error('ort exploded');
        return jobs.map(() => 1);
      },
      { maxBatchRows: 10, maxQueueDelayUs: 0, maxQueueRows: 10, maxConcurrentRuns: 1 },
    );
    await expect(sut.submit({ rows: 1, deadline: Infinity })).rejects.toThrow('ort exploded');
    fail = false;
    await expect(sut.submit({ rows: 1, deadline: Infinity })).resolves.toMatchObject({ result: 1 });
  });
});
