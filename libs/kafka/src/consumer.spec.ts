import type { KafkaMessage } from 'kafkajs';
import { createLogger } from '@offerstream/logging';
import { backoffMs, chunk, makeBatchRunner, type BatchHandler } from './consumer';

const logger = createLogger({ service: 'test', level: 'silent' });

function msg(offset: number): KafkaMessage {
  return {
    offset: String(offset),
    key: null,
    value: Buffer.from(String(offset)),
    timestamp: '0',
    attributes: 0,
    headers: {},
  };
}

function makeRunner(
  handler: BatchHandler,
  o: { stopAfterFailures?: number; maxChunk?: number } = {},
) {
  const commits: string[] = [];
  const sleeps: number[] = [];
  let failures = 0;
  let stopping = false;
  const wrapped: BatchHandler = async (m, ctx) => {
    try {
      await handler(m, ctx);
    } catch (e) {
      failures++;
      if (o.stopAfterFailures !== undefined && failures >= o.stopAfterFailures) stopping = true;
      throw e;
    }
  };
  const run = makeBatchRunner({
    handler: wrapped,
    logger,
    retry: { initialMs: 100, maxMs: 400, factor: 2 },
    maxChunkMessages: o.maxChunk ?? 2,
    stopping: () => stopping,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    commit: async (_t, _p, next) => {
      commits.push(next);
    },
  });
  const resolved: string[] = [];
  const payload = (offsets: number[], stale = false) => ({
    batch: { topic: 't', partition: 0, messages: offsets.map(msg) } as never,
    resolveOffset: (off: string) => resolved.push(off),
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => stale,
  });
  return { run, payload, commits, sleeps, resolved };
}

describe('makeBatchRunner', () => {
  it('commits the offset after each chunk only once the handler resolved', async () => {
    const seen: string[][] = [];
    const { run, payload, commits } = makeRunner(async (m) => {
      seen.push(m.map((x) => x.offset));
    });
    await run(payload([10, 11, 12]));
    expect(seen).toEqual([['10', '11'], ['12']]);
    expect(commits).toEqual(['12', '13']);
  });

  it('retries a failing chunk with backoff and commits only after it succeeds', async () => {
    let calls = 0;
    const { run, payload, commits, sleeps } = makeRunner(async () => {
      calls++;
      if (calls <= 3) throw new Error('clickhouse down');
    });
    await run(payload([5]));
    expect(calls).toBe(4);
    expect(commits).toEqual(['6']);
    // 100, 200, 400 ms, each waited in slices no longer than 1 s
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(700);
  });

  it('never commits work that did not finish when the consumer stops during retries', async () => {
    const { run, payload, commits, resolved } = makeRunner(
      async () => {
        throw new Error('still down');
      },
      { stopAfterFailures: 2 },
    );
    await run(payload([1, 2, 3]));
    expect(commits).toEqual([]);
    expect(resolved).toEqual([]);
  });

  it('does not touch a revoked (stale) batch', async () => {
    const handler = jest.fn(async () => undefined);
    const { run, payload, commits } = makeRunner(handler);
    await run(payload([1], true));
    expect(handler).not.toHaveBeenCalled();
    expect(commits).toEqual([]);
  });
});

describe('helpers', () => {
  it('chunks and backs off exponentially up to the cap', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    const p = { initialMs: 200, maxMs: 1000, factor: 2 };
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(p, a))).toEqual([200, 400, 800, 1000, 1000]);
  });
});
