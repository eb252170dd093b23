import { Coalescer, type CoalescerClock } from './coalescer';

/** A manual clock: timers fire only when the test advances time. */
function manualClock() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const clock: CoalescerClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      timers = timers.filter((t) => t.id !== h);
    },
  };
  const advance = async (ms: number) => {
    now += ms;
    const due = timers.filter((t) => t.at <= now);
    timers = timers.filter((t) => t.at > now);
    for (const t of due) t.fn();
    await flushMicrotasks();
  };
  return { clock, advance, pendingTimers: () => timers.length };
}

const flushMicrotasks = () => new Promise<void>((r) => setImmediate(r));

function makeCoalescer(opts: { maxItems: number; lingerMs: number }) {
  const { clock, advance, pendingTimers } = manualClock();
  const calls: number[][] = [];
  let gate: { release: () => void; fail: (e: Error) => void } | undefined;
  let holdFlushes = false;
  const work = (items: number[]) => {
    calls.push(items);
    if (!holdFlushes) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      gate = { release: resolve, fail: reject };
    });
  };
  const sut = new Coalescer<number>(work, opts, clock);
  return {
    sut,
    calls,
    advance,
    pendingTimers,
    hold: () => (holdFlushes = true),
    gate: () => gate!,
  };
}

/** Tracks how a submission settled without awaiting it. */
function track(p: Promise<void>) {
  const s = {
    state: 'pending' as 'pending' | 'resolved' | 'rejected',
    error: undefined as unknown,
  };
  p.then(
    () => (s.state = 'resolved'),
    (e: unknown) => {
      s.state = 'rejected';
      s.error = e;
    },
  );
  return s;
}

describe('Coalescer', () => {
  it('waits the linger time and then runs all concurrent submissions as one unit', async () => {
    const { sut, calls, advance } = makeCoalescer({ maxItems: 100, lingerMs: 20 });
    const a = track(sut.submit([1, 2]));
    await advance(5);
    const b = track(sut.submit([3]));
    await advance(10);
    expect(calls).toEqual([]);
    await advance(5);
    expect(calls).toEqual([[1, 2, 3]]);
    expect(a.state).toBe('resolved');
    expect(b.state).toBe('resolved');
  });

  it('flushes at once when the size bound is reached, never splitting a submission nor going past the bound', async () => {
    const { sut, calls, advance } = makeCoalescer({ maxItems: 4, lingerMs: 1000 });
    void sut.submit([1, 2]);
    void sut.submit([3, 4, 5]);
    await advance(0);
    expect(calls).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    void sut.submit([6, 7, 8, 9, 10]); // larger than the bound on its own: one flush
    await advance(0);
    expect(calls.at(-1)).toEqual([6, 7, 8, 9, 10]);
  });

  it('runs one flush at a time and sends what arrived meanwhile right after, without lingering again', async () => {
    const { sut, calls, advance, hold, gate } = makeCoalescer({ maxItems: 3, lingerMs: 20 });
    hold();
    const first = track(sut.submit([1, 2, 3]));
    await advance(0);
    expect(calls).toEqual([[1, 2, 3]]);
    const second = track(sut.submit([4]));
    const third = track(sut.submit([5, 6]));
    await advance(50);
    expect(calls).toHaveLength(1);
    expect(sut.waiting).toBe(3);
    gate().release();
    await advance(0);
    expect(first.state).toBe('resolved');
    expect(calls).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(second.state).toBe('pending');
    gate().release();
    await advance(0);
    expect([second.state, third.state]).toEqual(['resolved', 'resolved']);
  });

  it('takes at most the size bound per flush and leaves the rest for the next one', async () => {
    const { sut, calls, advance, hold, gate } = makeCoalescer({ maxItems: 2, lingerMs: 0 });
    hold();
    void sut.submit([1]);
    await advance(0);
    void sut.submit([2]);
    void sut.submit([3]);
    void sut.submit([4]);
    gate().release();
    await advance(0);
    expect(calls).toEqual([[1], [2, 3]]);
    gate().release();
    await advance(0);
    expect(calls).toEqual([[1], [2, 3], [4]]);
  });

  it('rejects every submission of a failed flush and none of the next one', async () => {
    const { sut, calls, advance, hold, gate } = makeCoalescer({ maxItems: 10, lingerMs: 0 });
    hold();
    const a = track(sut.submit([1]));
    await advance(0);
    const b = track(sut.submit([2]));
    gate().fail(new Error('ClickHouse is down'));
    await advance(0);
    expect(a.state).toBe('rejected');
    expect((a.error as Error).message).toBe('ClickHouse is down');
    expect(calls).toEqual([[1], [2]]);
    gate().release();
    await advance(0);
    expect(b.state).toBe('resolved');
  });

  it('resolves an empty submission at once without a flush', async () => {
    const { sut, calls, pendingTimers } = makeCoalescer({ maxItems: 10, lingerMs: 20 });
    await sut.submit([]);
    expect(calls).toEqual([]);
    expect(pendingTimers()).toBe(0);
  });

  it('refuses bounds that cannot work', () => {
    expect(
      () => new Coalescer<number>(async () => undefined, { maxItems: 0, lingerMs: 1 }),
    ).toThrow(RangeError);
    expect(
      () => new Coalescer<number>(async () => undefined, { maxItems: 1, lingerMs: -1 }),
    ).toThrow(RangeError);
  });
});
