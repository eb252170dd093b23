import { expectEventually, uniqueName } from './waiting';
import { resolveTestEnvironment } from './environment';

describe('expectEventually', () => {
  it('returns once the assertion holds', async () => {
    let n = 0;
    const v = await expectEventually(
      () => {
        n++;
        if (n < 3) throw new Error('not yet');
        return n;
      },
      { intervalMs: 1 },
    );
    expect(v).toBe(3);
  });

  it('fails with the last error after the timeout', async () => {
    await expect(
      expectEventually(
        () => {
          throw new Error('never');
        },
        { timeoutMs: 20, intervalMs: 5 },
      ),
    ).rejects.toThrow('never');
  });
});

describe('uniqueName', () => {
  it('is a valid identifier and different every time', () => {
    const a = uniqueName('t');
    expect(a).toMatch(/^t_[a-z0-9]+_[0-9a-f]{8}$/);
    expect(uniqueName('t')).not.toBe(a);
  });
});

describe('resolveTestEnvironment', () => {
  it('uses KAFKA_BROKERS and CLICKHOUSE_URL when both are given', async () => {
    const env = await resolveTestEnvironment({
      KAFKA_BROKERS: 'k:1',
      CLICKHOUSE_URL: 'http://c:2',
    });
    expect(env).toMatchObject({ kafkaBrokers: 'k:1', clickhouseUrl: 'http://c:2', source: 'env' });
  });
});
