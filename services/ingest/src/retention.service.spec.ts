import type { PartitionGranularity, PartitionInfo } from './retention.repository';
import {
  RetentionRunError,
  RetentionService,
  type RetentionOptions,
  type RetentionStore,
} from './retention.service';

const DAY = 86_400;
const NOW = new Date(Date.UTC(2026, 10, 23, 8, 30, 0));

/** The partition value of an instant, as a UTC server computes it. */
function partitionOf(at: Date, granularity: PartitionGranularity): string {
  const iso = at.toISOString();
  const ymd = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  return granularity === 'day' ? ymd : ymd.slice(0, 6);
}

/** A partition whose newest row is `ageSeconds` before NOW. */
function part(ageSeconds: number, granularity: PartitionGranularity, rows = 10): PartitionInfo {
  const maxTime = NOW.getTime() / 1000 - ageSeconds;
  return {
    partition: partitionOf(new Date(maxTime * 1000), granularity),
    maxTime,
    rows,
    parts: 1,
  };
}

function makeRetentionService(
  partitions: Record<string, PartitionInfo[]>,
  options: Partial<RetentionOptions> = {},
) {
  const store = new Map(Object.entries(partitions).map(([t, ps]) => [t, [...ps]]));
  const repository = {
    partitions: jest.fn(async (table: string) => [...(store.get(table) ?? [])]),
    partitionAt: jest.fn(async (at: Date, g: PartitionGranularity) => partitionOf(at, g)),
    dropPartition: jest.fn(async (table: string, partition: string) => {
      store.set(
        table,
        (store.get(table) ?? []).filter((p) => p.partition !== partition),
      );
    }),
  } satisfies RetentionStore;
  const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const sut = new RetentionService(repository, logger, {
    tables: [
      { name: 'events', partitionBy: 'day', maxAgeDays: 30 },
      { name: 'user_hourly', partitionBy: 'month', maxAgeDays: 30 },
    ],
    ...options,
  });
  return { sut, deps: { repository, logger, store } };
}

describe('RetentionService', () => {
  it('drops day partitions that lie entirely before the cutoff and keeps the rest', async () => {
    const { sut, deps } = makeRetentionService({
      events: [
        part(60 * DAY, 'day', 7),
        part(31 * DAY, 'day', 3),
        part(DAY, 'day'),
        part(0, 'day'),
      ],
    });

    const dropped = await sut.runOnce(NOW);

    expect(dropped).toEqual([
      {
        table: 'events',
        partition: '20260924',
        rows: 7,
        maxTime: new Date(NOW.getTime() - 60 * DAY * 1000),
      },
      {
        table: 'events',
        partition: '20261023',
        rows: 3,
        maxTime: new Date(NOW.getTime() - 31 * DAY * 1000),
      },
    ]);
    expect(deps.store.get('events')!.map((p) => p.partition)).toEqual(['20261122', '20261123']);
    expect(deps.logger.info).toHaveBeenCalledWith(
      expect.objectContaining({ table: 'events', partition: '20260924', rows: 7 }),
      'retention: dropped partition',
    );
  });

  it('keeps the partition the cutoff falls in, even when some of its rows are older', async () => {
    // Cutoff is 2026-10-24 08:30; a row at 02:00 that day is older but shares the partition.
    const sameDay = {
      partition: '20261024',
      maxTime: Date.UTC(2026, 9, 24, 2) / 1000,
      rows: 1,
      parts: 1,
    };
    const dayBefore = {
      partition: '20261023',
      maxTime: Date.UTC(2026, 9, 23, 23, 59, 59) / 1000,
      rows: 1,
      parts: 1,
    };
    const { sut, deps } = makeRetentionService({ events: [dayBefore, sameDay] });

    const dropped = await sut.runOnce(NOW);

    expect(dropped.map((d) => d.partition)).toEqual(['20261023']);
    expect(deps.store.get('events')!.map((p) => p.partition)).toEqual(['20261024']);
  });

  it('drops a month partition only once the whole month is before the cutoff', async () => {
    // Cutoff 2026-10-24: September goes, October (the cutoff's month) stays.
    const { sut, deps } = makeRetentionService({
      user_hourly: [
        part(90 * DAY, 'month'),
        part(60 * DAY, 'month'),
        part(35 * DAY, 'month'),
        part(0, 'month'),
      ],
    });

    const dropped = await sut.runOnce(NOW);

    expect(dropped.map((d) => d.partition)).toEqual(['202608', '202609']);
    expect(deps.store.get('user_hourly')!.map((p) => p.partition)).toEqual(['202610', '202611']);
    expect(deps.repository.partitionAt).toHaveBeenCalledWith(
      new Date(Date.UTC(2026, 9, 24, 8, 30)),
      'month',
    );
  });

  it('reads the injected clock when no time is given', async () => {
    const { sut } = makeRetentionService(
      { events: [part(60 * DAY, 'day')] },
      { clock: () => new Date(NOW.getTime() - 40 * DAY * 1000) },
    );
    // Forty days earlier the 60-day-old partition was only 20 days old.
    expect(await sut.runOnce()).toEqual([]);
  });

  it('keeps partitions that do not look like the configured granularity, and says so', async () => {
    // A month-partitioned table configured as 'day': "202609" < "20261024" numerically,
    // but its newest row is recent, so nothing is dropped.
    const { sut, deps } = makeRetentionService({
      events: [
        { partition: '202611', maxTime: NOW.getTime() / 1000, rows: 5, parts: 1 },
        { partition: 'tuple()', maxTime: 0, rows: 5, parts: 1 },
      ],
    });

    expect(await sut.runOnce(NOW)).toEqual([]);
    expect(deps.repository.dropPartition).not.toHaveBeenCalled();
    expect(deps.logger.warn).toHaveBeenCalledTimes(2);
  });

  it('never drops a partition before the cutoff that still holds rows newer than it', async () => {
    const { sut, deps } = makeRetentionService({
      events: [{ partition: '20260101', maxTime: NOW.getTime() / 1000, rows: 5, parts: 2 }],
    });
    expect(await sut.runOnce(NOW)).toEqual([]);
    expect(deps.repository.dropPartition).not.toHaveBeenCalled();
  });

  it('goes on past a failing drop and then reports what it dropped and what failed', async () => {
    const { sut, deps } = makeRetentionService({
      events: [part(60 * DAY, 'day'), part(50 * DAY, 'day')],
      user_hourly: [part(90 * DAY, 'month')],
    });
    const boom = new Error('partition too big to drop');
    deps.repository.dropPartition.mockRejectedValueOnce(boom);

    const err = (await sut.runOnce(NOW).catch((e: unknown) => e)) as RetentionRunError;

    expect(err).toBeInstanceOf(RetentionRunError);
    expect(err.failures).toEqual([{ table: 'events', partition: '20260924', error: boom }]);
    expect(err.dropped.map((d) => `${d.table}/${d.partition}`)).toEqual([
      'events/20261004',
      'user_hourly/202608',
    ]);
    expect(deps.logger.error).toHaveBeenCalledTimes(1);
  });

  it('goes on with the other tables when one cannot be listed', async () => {
    const { sut, deps } = makeRetentionService({ user_hourly: [part(90 * DAY, 'month')] });
    deps.repository.partitions.mockRejectedValueOnce(new Error('table events missing'));

    const err = (await sut.runOnce(NOW).catch((e: unknown) => e)) as RetentionRunError;

    expect(err.failures.map((f) => f.table)).toEqual(['events']);
    expect(err.dropped.map((d) => d.table)).toEqual(['user_hourly']);
  });

  it('refuses options that could drop the wrong thing', () => {
    const repository = {} as RetentionStore;
    const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    expect(
      () =>
        new RetentionService(repository, logger, {
          tables: [
            { name: 'events; DROP TABLE x', partitionBy: 'day', maxAgeDays: 30 },
            { name: 'user_hourly', partitionBy: 'month', maxAgeDays: 0 },
            { name: 'user_hourly', partitionBy: 'month', maxAgeDays: 1.5 },
          ],
        }),
    ).toThrow(
      /invalid table name.*maxAgeDays must be an integer >= 1.*listed twice.*maxAgeDays must be an integer >= 1/,
    );
  });

  describe('scheduling', () => {
    beforeEach(() => jest.useFakeTimers({ now: NOW }));
    afterEach(() => jest.useRealTimers());

    it('runs every interval with the clock, never two runs at once, and stops', async () => {
      let release: () => void = () => undefined;
      const { sut, deps } = makeRetentionService(
        { events: [part(60 * DAY, 'day')] },
        { intervalMs: 60_000, clock: () => new Date(Date.now()) },
      );
      deps.repository.partitions.mockImplementationOnce(
        () =>
          new Promise<PartitionInfo[]>((resolve) => {
            release = () => resolve([part(60 * DAY, 'day')]);
          }),
      );

      sut.start();
      expect(deps.repository.partitions).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(deps.repository.partitions).toHaveBeenCalledTimes(1);
      // The first run hangs on the repository: the next tick is skipped, not stacked.
      await jest.advanceTimersByTimeAsync(60_000);
      expect(deps.repository.partitions).toHaveBeenCalledTimes(1);
      expect(deps.logger.warn).toHaveBeenCalledWith({}, expect.stringMatching(/still in progress/));

      release();
      await sut.stop();
      expect(deps.repository.dropPartition).toHaveBeenCalledWith('events', '20260924');
      expect(deps.repository.partitionAt).toHaveBeenCalledWith(
        new Date(NOW.getTime() + 60_000 - 30 * DAY * 1000),
        'day',
      );
      // One run over both tables, then nothing more once stopped.
      await jest.advanceTimersByTimeAsync(10 * 60_000);
      expect(deps.repository.partitions.mock.calls).toEqual([['events'], ['user_hourly']]);
    });

    it('logs a failed scheduled run and tries again at the next interval', async () => {
      const { sut, deps } = makeRetentionService(
        { events: [] },
        { intervalMs: 60_000, clock: () => new Date(Date.now()) },
      );
      deps.repository.partitionAt.mockRejectedValueOnce(new Error('server down'));

      sut.start();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(deps.logger.error).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(deps.repository.partitionAt).toHaveBeenCalledTimes(4);
      await sut.stop();
    });
  });
});
