/* Writes the SQL that offerstream sends to ClickHouse, with the answers it expects, so the
 * same text can be run on a current ClickHouse (26.x through chDB, see run_corpus.py) as it
 * is on the 18.16 server in the integration tests. Uses the built libraries (make builds).
 * Usage: node test/compat/make-corpus.js OUT.json
 */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  ident,
  joinSql,
  loadMigrations,
  migrationsTableDdl,
  sql,
} = require('@offerstream/clickhouse');
const { Channel, Event, EventType } = require('@offerstream/contracts');
const { eventsQueries, toEventRow } = require('@offerstream/events');
const hostile = require('../support/hostile-strings.json');

async function main(out) {
  const root = join(__dirname, '..', '..');
  const migrations = await loadMigrations(join(root, 'deploy', 'clickhouse', 'migrations'));
  const statements = [migrationsTableDdl().text, ...migrations.flatMap((m) => m.statements)];

  const numbers = [
    0, 1, -1, 42, -42, 2.5, -0.125, 1e21, 1.7976931348623157e308, 5e-324, -2.2250738585072014e-309,
    9007199254740991,
  ];
  const when = new Date(Date.UTC(2026, 10, 23, 8, 0, 0));
  const cases = [
    {
      name: 'hostile strings as literals',
      sql: sql`SELECT ${joinSql(hostile.map((s, i) => sql`${s} AS ${ident(`c${i}`)}`))}`.text,
      expect: [Object.fromEntries(hostile.map((s, i) => [`c${i}`, s]))],
    },
    {
      name: 'numbers of every shape, subnormals included',
      sql: sql`SELECT [${joinSql(numbers.map((x) => sql`toFloat64(${x})`))}] AS n`.text,
      expect: [{ n: numbers }],
    },
    {
      name: 'bigint, bool, null, date, arrays',
      sql: sql`SELECT ${12345678901234567890n} AS big, ${true} AS b, ${null} AS nul, toUnixTimestamp(${when}) AS ts, ${['a', "b'c"]} AS arr`
        .text,
      expect: [
        {
          big: '12345678901234567890',
          b: 1,
          nul: null,
          ts: when.getTime() / 1000,
          arr: ['a', "b'c"],
        },
      ],
    },
  ];

  // The events table as the services write and read it.
  const e = Event.fromPartial({
    eventId: "evt-'1",
    type: EventType.EVENT_TYPE_PURCHASE,
    shopId: 'shop-compat',
    userId: 'u-1',
    itemId: 'sku-1',
    priceMinor: 1999,
    currency: 'EUR',
    quantity: 2,
    channel: Channel.CHANNEL_WEB,
    eventTime: when,
    attributes: { note: hostile[6] },
  });
  const row = toEventRow(e, when);
  const insert = `INSERT INTO events FORMAT JSONEachRow ${JSON.stringify(row)}`;
  cases.push(
    {
      name: 'insert an event row (JSONEachRow, as the client sends it)',
      sql: insert,
      expect: null,
    },
    { name: 'the same row again (a re-delivery)', sql: insert, expect: null },
    {
      name: 'count by type (FINAL collapses the duplicate)',
      sql: eventsQueries.countByType('shop-compat').text,
      expect: [{ event_type: 'purchase', n: 1 }],
    },
    {
      name: 'find by id',
      sql: eventsQueries.findById('shop-compat', "evt-'1").text,
      expect: [
        {
          event_id: "evt-'1",
          user_id: 'u-1',
          price_minor: 1999,
          quantity: 2,
          attribute_values: [hostile[6]],
          event_time: when.getTime() / 1000,
        },
      ],
    },
  );
  writeFileSync(out, JSON.stringify({ statements, cases }, null, 2));
  process.stdout.write(
    `wrote ${statements.length} DDL statements and ${cases.length} cases to ${out}\n`,
  );
}

main(process.argv[2]).catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
