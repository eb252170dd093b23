import fc from 'fast-check';
import {
  appliedMigrations,
  execSql,
  ident,
  insertTabSeparated,
  joinSql,
  literal,
  loadMigrations,
  migrate,
  queryRows,
  serverVersion,
  sql,
  type Migration,
} from '@offerstream/clickhouse';
import hostileStrings from '../support/hostile-strings.json';
import { freshDatabase, MIGRATIONS_DIR } from '../support/infra';

/** Strings that break naive SQL building; shared with the current-ClickHouse corpus (test/compat). */
const NASTY: string[] = hostileStrings;

describe('ClickHouse on the real server', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase();
    await execSql(
      db.client,
      sql`CREATE TABLE ${ident('strings')} (id UInt32, s String) ENGINE = MergeTree ORDER BY id`,
    );
  });
  afterAll(async () => {
    await db.drop();
  });

  it('reports its version', async () => {
    expect(await serverVersion(db.client)).toMatch(/^\d+\.\d+/);
  });

  it('round-trips hostile strings as data through SELECT and INSERT literals', async () => {
    const selected = await queryRows<Record<string, string>>(
      db.client,
      sql`SELECT ${joinSql(NASTY.map((s, i) => sql`${s} AS ${ident(`c${i}`)}`))}`,
    );
    expect(NASTY.map((_, i) => selected[0]?.[`c${i}`])).toEqual(NASTY);

    await execSql(
      db.client,
      sql`INSERT INTO ${ident('strings')} (id, s) VALUES ${joinSql(NASTY.map((s, i) => sql`(${i}, ${s})`))}`,
    );
    const rows = await queryRows<{ id: number; s: string }>(
      db.client,
      sql`SELECT id, s FROM ${ident('strings')} ORDER BY id`,
    );
    expect(rows.map((r) => r.s)).toEqual(NASTY);
    // The injection attempts were data: the table is still there with every row.
    expect(rows).toHaveLength(NASTY.length);
  });

  it('round-trips arbitrary strings and numbers (property, against the server)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 50 }),
        fc.array(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), {
          minLength: 1,
          maxLength: 20,
        }),
        async (strings, numbers) => {
          const rows = await queryRows<{ s: string[]; n: number[] }>(
            db.client,
            sql`SELECT ${strings} AS s, [${joinSql(numbers.map((x) => sql`toFloat64(${x})`))}] AS n`,
          );
          expect(rows[0]?.s).toEqual(strings);
          // Exact: every double, subnormals included, arrives unchanged (-0 is bound as 0).
          expect(rows[0]?.n).toEqual(numbers.map((x) => (Object.is(x, -0) ? 0 : x)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('round-trips hostile and arbitrary values through TabSeparated inserts', async () => {
    await execSql(
      db.client,
      sql`CREATE TABLE ${ident('tsv')} (id UInt32, s String, a Array(String), n Nullable(Int64), f Float64, t DateTime, v Array(Float32)) ENGINE = MergeTree ORDER BY id`,
    );
    type Row = {
      id: number;
      s: string;
      a: string[];
      n: number | null;
      f: number;
      t: number;
      v: number[];
    };
    const columns = ['id', 's', 'a', 'n', 'f', 't', 'v'] as const;
    const read = async () =>
      (
        await queryRows<Omit<Row, 'n'> & { n: string | null }>(
          db.client,
          sql`SELECT id, s, a, n, f, toUnixTimestamp(t) AS t, v FROM ${ident('tsv')} ORDER BY id`,
        )
      ).map((r) => ({
        ...r,
        n: r.n === null ? null : Number(r.n),
        // Float32 comes back as its shortest decimal: the same float32 once rounded to one.
        v: r.v.map((x) => Math.fround(Number(x))),
      }));
    let next = 0;
    const hostile: Row[] = NASTY.map((s, i) => ({
      id: next++,
      s,
      a: [s, ...NASTY.slice(0, i)],
      n: i % 2 ? null : 1 - i * 1_000_000_007,
      f: i / 7,
      t: 1_764_500_000 + i,
      // Float32 values (a feature vector): exponents both ways, as String(number) writes them.
      v: [0.5, -2.25, 1e21, 1.5e-7, -0.0001220703125, 3 * 2 ** -40]
        .slice(0, 1 + (i % 6))
        .map(Math.fround),
    }));
    await insertTabSeparated(db.client, 'tsv', columns, hostile);
    expect(await read()).toEqual(hostile);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            s: fc.string({ unit: 'binary', maxLength: 40 }),
            a: fc.array(fc.string({ unit: 'binary', maxLength: 10 }), { maxLength: 4 }),
            n: fc.option(fc.maxSafeInteger().filter((x) => !Object.is(x, -0))),
            // Normal doubles: 18.16's text parser flushes subnormals to 0.
            f: fc
              .double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 })
              .map((x) => (Math.abs(x) < 1e-300 ? 0 : x)),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        async (generated) => {
          await execSql(db.client, sql`TRUNCATE TABLE ${ident('tsv')}`);
          const rows: Row[] = generated.map((g, i) => ({
            ...g,
            f: Object.is(g.f, -0) ? 0 : g.f,
            v: [],
            id: i,
            t: 1_764_500_000 + i,
          }));
          await insertTabSeparated(db.client, 'tsv', columns, rows);
          const got = await read();
          // Text formats parse floats to within an ulp on 18.16 (exact on current releases).
          expect(got.map((r) => ({ ...r, f: 0 }))).toEqual(rows.map((r) => ({ ...r, f: 0 })));
          got.forEach((r, i) =>
            expect(Math.abs(r.f - rows[i]!.f)).toBeLessThanOrEqual(Math.abs(rows[i]!.f) * 1e-15),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('compares bound values with equality, so a payload cannot widen a WHERE clause', async () => {
    const rows = await queryRows<{ n: string }>(
      db.client,
      sql`SELECT count() AS n FROM ${ident('strings')} WHERE s = ${"x' OR '1'='1"}`,
    );
    expect(rows[0]?.n).toBe('0');
  });

  it('applies migrations once, records them, and refuses an edited one', async () => {
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    const again = await migrate(db.client, migrations);
    expect(again.applied).toEqual([]);
    expect((await appliedMigrations(db.client)).map((m) => m.version)).toEqual(
      migrations.map((m) => m.version),
    );
    const edited: Migration[] = migrations.map((m, i) =>
      i === 0 ? { ...m, checksum: 'f'.repeat(64) } : m,
    );
    await expect(migrate(db.client, edited)).rejects.toThrow(/edited after it was applied/);
  });

  it('binds literals of every kind the helper accepts', async () => {
    const when = new Date(Date.UTC(2026, 10, 23, 8, 0, 0));
    const rows = await queryRows<Record<string, unknown>>(
      db.client,
      sql`SELECT ${-42} AS neg, ${2.5} AS f, ${9007199254740993n} AS big, ${true} AS b, ${null} AS nul,
                 toUnixTimestamp(${when}) AS ts, ${['a', "b'c"]} AS arr, ${literal(-0)} AS z`,
    );
    expect(rows[0]).toEqual({
      neg: -42,
      f: 2.5,
      big: '9007199254740993',
      b: 1,
      nul: null,
      ts: when.getTime() / 1000,
      arr: ['a', "b'c"],
      z: 0,
    });
  });
});
