import { ClickHouseError, type ClickHouseClient } from '@clickhouse/client';
import { isStaleSocketError, queryRows } from './client';
import { sql } from './sql';

/** A client whose query() fails with the given errors, then answers. */
function flakyClient(errors: Error[]): { client: ClickHouseClient; calls: () => number } {
  let calls = 0;
  const client = {
    query: () => {
      const err = errors[calls++];
      if (err) return Promise.reject(err);
      return Promise.resolve({ json: () => Promise.resolve([{ n: 1 }]) });
    },
  } as unknown as ClickHouseClient;
  return { client, calls: () => calls };
}

const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('queryRows', () => {
  it('repeats a read whose keep-alive socket the server had closed', async () => {
    const { client, calls } = flakyClient([reset(), reset()]);
    await expect(queryRows(client, sql`SELECT 1 AS n`)).resolves.toEqual([{ n: 1 }]);
    expect(calls()).toBe(3);
  });

  it('gives up after five attempts', async () => {
    const { client, calls } = flakyClient([reset(), reset(), reset(), reset(), reset()]);
    await expect(queryRows(client, sql`SELECT 1 AS n`)).rejects.toThrow('socket hang up');
    expect(calls()).toBe(5);
  });

  it('never repeats a query the server rejected', async () => {
    const serverError = new ClickHouseError({ message: 'Unknown table', code: '60', type: 'X' });
    const { client, calls } = flakyClient([serverError]);
    await expect(queryRows(client, sql`SELECT 1 AS n`)).rejects.toBe(serverError);
    expect(calls()).toBe(1);
  });
});

describe('isStaleSocketError', () => {
  it.each([
    [Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), true],
    [new Error('socket hang up'), true],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false],
    [new Error('Timeout error.'), false],
    ['not an error', false],
  ])('%p → %p', (err, expected) => expect(isStaleSocketError(err)).toBe(expected));
});
