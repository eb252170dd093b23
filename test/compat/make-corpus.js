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
  tabSeparated,
} = require('@offerstream/clickhouse');
const { Channel, Event, EventType } = require('@offerstream/contracts');
const {
  aggregatesQueries,
  EVENT_COLUMNS,
  eventsQueries,
  toEventRow,
} = require('@offerstream/events');

/** Event rows as ingest inserts them: TabSeparated, every column named. */
const insertEvents = (rows) =>
  `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) FORMAT TabSeparated\n${tabSeparated(rows, EVENT_COLUMNS)}`;
// Not libraries: the ingest service's retention SQL and the feature service's reads, from
// their build output.
const { retentionQueries } = require('../../services/ingest/dist/retention.repository');
const { featureQueries } = require('../../services/feature/dist/feature-store.repository');
// bandit-policy: the decision log's rows, attribution, posteriors, OPE and campaign stats.
const {
  decisionRow,
  candidateRows,
} = require('../../services/bandit-policy/dist/log/decision-rows');
const {
  attributionQueries,
} = require('../../services/bandit-policy/dist/attribution/attribution.repository');
const { attribute } = require('../../services/bandit-policy/dist/attribution/attribution');
const { rewardRow } = require('../../services/bandit-policy/dist/attribution/attribution.job');
const { rewardsQueries } = require('../../services/bandit-policy/dist/learning/rewards.repository');
const { opeQueries } = require('../../services/bandit-policy/dist/ope/ope-logs.repository');
const {
  campaignStatsQueries,
} = require('../../services/bandit-policy/dist/campaigns/campaign-stats.repository');
const {
  impressionsQueries,
} = require('../../services/bandit-policy/dist/decision/impressions.repository');
const {
  redemptionsQueries,
} = require('../../services/bandit-policy/dist/ledger/redemptions.repository');
const {
  trafficQueries,
} = require('../../services/bandit-policy/dist/learning/traffic-profile.repository');
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
  const insert = insertEvents([row]);
  cases.push(
    {
      name: 'insert an event row (TabSeparated, as ingest sends it)',
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
      name: 'stored-among lookup by the full sort key (after a failed insert)',
      sql: eventsQueries.storedAmong([
        { shopId: 'shop-compat', userId: 'u-1', eventTime: when, eventId: "evt-'1" },
        { shopId: 'shop-compat', userId: 'u-1', eventTime: when, eventId: 'never-stored' },
      ]).text,
      expect: [{ shop_id: 'shop-compat', event_id: "evt-'1" }],
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
  cases.push(...aggregateCases());
  cases.push(...banditCases());
  writeFileSync(out, JSON.stringify({ statements, cases }, null, 2));
  process.stdout.write(
    `wrote ${statements.length} DDL statements and ${cases.length} cases to ${out}\n`,
  );
}

/** Events through the materialized views of migration 0002, read back by the repositories' SQL. */
function aggregateCases() {
  const shop = 'shop-agg-compat';
  // Noon UTC, so the day and month partitions are the same in any whole-hour time zone.
  const t12 = Date.UTC(2026, 0, 15, 12);
  const at = (minutes) => new Date(t12 + minutes * 60_000);
  const h12 = t12 / 1000;
  const h13 = h12 + 3600;
  const offer = { offerId: 'o1', campaignId: 'c1', decisionId: 'd1' };
  const row = (eventId, type, minutes, fields = {}) =>
    toEventRow(
      Event.fromPartial({
        eventId,
        type,
        shopId: shop,
        userId: 'u1',
        currency: 'EUR',
        eventTime: at(minutes),
        ...fields,
      }),
      at(180),
    );
  const insert = insertEvents;
  const batchA = [
    row('a1', EventType.EVENT_TYPE_VIEW, 5, { itemId: 'i1' }),
    row(hostile[6], EventType.EVENT_TYPE_VIEW, 6, { itemId: 'i1' }),
    row('a2', EventType.EVENT_TYPE_PURCHASE, 50, {
      ...offer,
      itemId: 'i1',
      orderId: 'o-1',
      priceMinor: 1999,
      quantity: 2,
      discountMinor: 300,
    }),
    row('a3', EventType.EVENT_TYPE_OFFER_IMPRESSION, 33, offer),
    row('a4', EventType.EVENT_TYPE_OFFER_IMPRESSION, 34, { ...offer, userId: 'u2' }),
    row('a5', EventType.EVENT_TYPE_OFFER_REDEEM, 51, {
      ...offer,
      orderId: 'o-1',
      discountMinor: 300,
    }),
    row('a6', EventType.EVENT_TYPE_PURCHASE, 52, { orderId: 'o-2', priceMinor: 5000 }),
    row('a7', EventType.EVENT_TYPE_REFUND, 70, {
      itemId: 'i1',
      orderId: 'o-1',
      priceMinor: 1999,
      quantity: 1,
      discountMinor: 150,
    }),
    row('a8', EventType.EVENT_TYPE_OFFER_IMPRESSION, 75, offer),
  ];
  const from = new Date(t12);
  const to = new Date(t12 + 2 * 3600_000);
  const zeroUser = {
    views: 0,
    clicks: 0,
    searches: 0,
    add_to_carts: 0,
    remove_from_carts: 0,
    purchases: 0,
    refunds: 0,
    offer_impressions: 0,
    offer_clicks: 0,
    offer_redeems: 0,
    spend_minor: 0,
    refunded_minor: 0,
    discount_received_minor: 0,
  };
  return [
    {
      name: 'aggregates: insert a batch of events (views fan out)',
      sql: insert(batchA),
      expect: null,
    },
    {
      name: 'aggregates: a second insert into the same hour (a separate part)',
      sql: insert([row('b1', EventType.EVENT_TYPE_VIEW, 20, { itemId: 'i1' })]),
      expect: null,
    },
    {
      name: 'aggregates: user hourly sums',
      sql: aggregatesQueries.userHourly(shop, 'u1', from, to).text,
      expect: [
        {
          ...zeroUser,
          hour_ts: h12,
          views: 3,
          purchases: 2,
          offer_impressions: 1,
          offer_redeems: 1,
          spend_minor: 1999 * 2 - 300 + 5000,
          discount_received_minor: 600,
        },
        { ...zeroUser, hour_ts: h13, refunds: 1, offer_impressions: 1, refunded_minor: 1849 },
      ],
    },
    {
      name: 'aggregates: item hourly sums (refunds not counted)',
      sql: aggregatesQueries.itemHourly(shop, 'i1', from, to).text,
      expect: [
        {
          hour_ts: h12,
          views: 3,
          clicks: 0,
          add_to_carts: 0,
          purchases: 1,
          units: 2,
          revenue_minor: 3698,
        },
      ],
    },
    {
      name: 'aggregates: offer hourly sums',
      sql: aggregatesQueries.offerHourly(shop, 'c1', 'o1', from, to).text,
      expect: [
        {
          hour_ts: h12,
          impressions: 2,
          clicks: 0,
          redemptions: 1,
          purchases: 1,
          revenue_minor: 3698,
          discount_cost_minor: 300,
        },
        {
          hour_ts: h13,
          impressions: 1,
          clicks: 0,
          redemptions: 0,
          purchases: 0,
          revenue_minor: 0,
          discount_cost_minor: 0,
        },
      ],
    },
    {
      name: 'aggregates: offer unique users per hour (uniqMergeIf)',
      sql: aggregatesQueries.offerHourlyUsers(shop, 'c1', 'o1', from, to).text,
      expect: [
        {
          hour_ts: h12,
          users_impressions: 2,
          users_clicks: 0,
          users_redemptions: 1,
          users_purchases: 1,
        },
        {
          hour_ts: h13,
          users_impressions: 1,
          users_clicks: 0,
          users_redemptions: 0,
          users_purchases: 0,
        },
      ],
    },
    {
      name: 'aggregates: offer unique users over the window',
      sql: aggregatesQueries.offerUniqueUsers(shop, 'c1', 'o1', from, to).text,
      expect: [{ users_impressions: 2, users_clicks: 0, users_redemptions: 1, users_purchases: 1 }],
    },
    {
      name: 'event_dedup: tuple IN finds the stored keys only',
      sql: aggregatesQueries.existingEventIds([
        { shopId: shop, eventId: hostile[6] },
        { shopId: shop, eventId: hostile[7] },
        { shopId: 'another-shop', eventId: 'a1' },
      ]).text,
      expect: [{ shop_id: shop, event_id: hostile[6] }],
    },
    {
      name: 'event_dedup: a one-key tuple IN',
      sql: aggregatesQueries.existingEventIds([{ shopId: shop, eventId: 'b1' }]).text,
      expect: [{ shop_id: shop, event_id: 'b1' }],
    },
    ...featureCases(shop, t12),
    {
      name: 'retention: partition value of an instant (day)',
      sql: retentionQueries.partitionAt(from, 'day').text,
      expect: [{ partition: '20260115' }],
    },
    {
      name: 'retention: partition value of an instant (month)',
      sql: retentionQueries.partitionAt(from, 'month').text,
      expect: [{ partition: '202601' }],
    },
    {
      name: 'retention: active partitions from system.parts, with max_time',
      sql: retentionQueries.partitions('user_hourly').text,
      // The other partition holds the purchase of the events cases above (2026-11-23 08:00).
      expect: [
        { partition: '202601', max_time: h13 },
        { partition: '202611', max_time: Date.UTC(2026, 10, 23, 8) / 1000 },
      ],
    },
    {
      name: 'retention: drop a month partition',
      sql: retentionQueries.dropPartition('user_hourly', 202601).text,
      expect: null,
    },
    {
      name: 'retention: the dropped partition is gone',
      sql: retentionQueries.partitions('user_hourly').text,
      expect: [{ partition: '202611' }],
    },
    {
      name: 'retention: and so are its aggregates',
      sql: aggregatesQueries.userHourly(shop, 'u1', from, to).text,
      expect: [],
    },
  ];
}

/** The feature service's reads over the same events (batch A, b1) as aggregateCases. */
function featureCases(shop, t12) {
  const ms = (minutes) => t12 + minutes * 60_000;
  return [
    {
      name: 'features: a user summary: recency (maxIf; 0 = none), counted events, no ids stored since',
      sql: featureQueries.userSummary(shop, ['u1', 'u-none'], t12, t12 + 4 * 3600_000).text,
      expect: [
        {
          visit: String(ms(75)),
          cart: '0',
          purchase: String(ms(52)),
          counted: '9',
          recent_ids: [],
        },
      ],
    },
    {
      name: 'features: a user summary: the ids stored since an instant, sorted',
      sql: featureQueries.userSummary(shop, ['u1'], t12 + 30 * 60_000, t12 + 2 * 3600_000).text,
      expect: [
        {
          visit: String(ms(75)),
          purchase: String(ms(52)),
          counted: '9',
          recent_ids: ['a1', 'a2', 'a3', 'a5', 'a6', 'a7', 'a8', 'b1', hostile[6]].sort(),
        },
      ],
    },
    {
      name: 'features: the newest events of each user, newest first (LIMIT BY)',
      sql: featureQueries.sequence(shop, ['u1', 'u2'], t12, 3).text,
      expect: [
        {
          user_id: 'u1',
          event_id: 'a8',
          event_type: 'offer_impression',
          event_time_ms: String(ms(75)),
        },
        { user_id: 'u1', event_id: 'a7', event_type: 'refund', event_time_ms: String(ms(70)) },
        { user_id: 'u1', event_id: 'a6', event_type: 'purchase', event_time_ms: String(ms(52)) },
        {
          user_id: 'u2',
          event_id: 'a4',
          event_type: 'offer_impression',
          event_time_ms: String(ms(34)),
        },
      ],
    },
    {
      name: 'features: hourly aggregates of several users',
      sql: featureQueries.userHours(shop, ['u1', 'u2'], t12 + 30 * 60_000).text,
      expect: [
        {
          user_id: 'u1',
          hour_ts: t12 / 1000,
          views: 3,
          purchases: 2,
          offer_impressions: 1,
          offer_redeems: 1,
        },
        { user_id: 'u1', hour_ts: t12 / 1000 + 3600, refunds: 1, offer_impressions: 1 },
        { user_id: 'u2', hour_ts: t12 / 1000, offer_impressions: 1 },
      ],
    },
    {
      name: 'features: item hours for several items',
      sql: featureQueries.itemHours(shop, ['i1', "it'm"], t12).text,
      expect: [{ item_id: 'i1', hour_ts: t12 / 1000, views: 3, purchases: 1, units: 2 }],
    },
    {
      name: 'features: latest price and category of an item (argMaxMerge)',
      sql: featureQueries.itemLatest(shop, ['i1']).text,
      expect: [
        {
          item_id: 'i1',
          price_minor: '1999',
          price_at: String(ms(50)),
          category_id: '',
          category_at: '-1',
        },
      ],
    },
    {
      name: 'features: offer hours and lifetime redemptions, campaign spend',
      sql: featureQueries.offerLifetime(shop, ['o1']).text,
      expect: [{ campaign_id: 'c1', offer_id: 'o1', redemptions: '1' }],
    },
    {
      name: 'features: campaign spend (discount cost of redemptions)',
      sql: featureQueries.campaignSpent(shop, ['c1', 'c-none']).text,
      expect: [{ campaign_id: 'c1', spent: '300' }],
    },
    {
      name: 'features: offer hours for several offers',
      sql: featureQueries.offerHours(shop, ['o1'], t12).text,
      expect: [
        { offer_id: 'o1', hour_ts: t12 / 1000, impressions: 2, redemptions: 1 },
        { offer_id: 'o1', hour_ts: t12 / 1000 + 3600, impressions: 1, redemptions: 0 },
      ],
    },
  ];
}

/** A decision, its outcome events and its reward, through the bandit-policy SQL (migration 0004). */
function banditCases() {
  const shop = 'shop-bandit-compat';
  const served = Date.UTC(2026, 10, 24, 10, 0, 0);
  const window = 600;
  const decision = {
    decisionId: "01DEC'ISION",
    shopId: shop,
    userId: 'u-b',
    sessionId: '',
    servedAt: new Date(served),
    context: undefined,
    placementId: '',
    requestedSlots: 1,
    requestedCampaignIds: [],
    features: undefined,
    candidates: [
      {
        offerId: 'o-b1',
        campaignId: 'c-b',
        itemId: '',
        featureIndex: -1,
        score: undefined,
        expectedValueMinor: 12.5,
        selectionProbability: 0.75,
        policy: 4,
        policyFeatures: [1, 0.5],
        reasons: [],
        marginMinor: 1500,
        redemptionCostMinor: 500,
        expectedCostMinor: 25,
        budgetPrice: 0.1,
      },
    ],
    campaigns: [
      {
        campaignId: 'c-b',
        objective: 1,
        attributionWindow: { seconds: window, nanos: 0 },
        marginRate: 0.3,
        currency: 'EUR',
        holdout: false,
        policy: 4,
        campaignVersion: 3,
      },
    ],
    segment: 'new/low',
    slots: [
      {
        rank: 1,
        offerId: 'o-b1',
        campaignId: 'c-b',
        propensity: 0.75,
        propensityMethod: 1,
        expectedValueMinor: 12.5,
        policy: 4,
        reasons: [],
        exploration: { explored: false, epsilon: 0.1, propensitySamples: 0, seed: 7, details: {} },
      },
    ],
    policyVersion: 'bandit-policy@compat',
    modelName: '',
    modelVersion: '',
    holdout: false,
    holdoutCampaignIds: [],
    noOfferPropensity: 0.25,
    degraded: false,
    degradedReasons: [],
    deferred: false,
    activationDeadline: undefined,
    reservations: [],
    servedBy: 'compat',
  };
  const at = { partition: 2, offset: '41' };
  const rows = candidateRows(decision, at, served);
  const purchase = toEventRow(
    Event.fromPartial({
      eventId: 'buy-b',
      type: EventType.EVENT_TYPE_PURCHASE,
      shopId: shop,
      userId: 'u-b',
      itemId: 'sku-b',
      orderId: 'order-b',
      decisionId: decision.decisionId,
      offerId: 'o-b1',
      campaignId: 'c-b',
      priceMinor: 5000,
      quantity: 1,
      currency: 'EUR',
      discountMinor: 500,
      eventTime: new Date(served + 60_000),
    }),
    new Date(served + 61_000),
  );
  const now = served + window * 1000 + 5000;
  const horizon = 30 * 86_400_000;
  const slot = {
    decisionId: decision.decisionId,
    shopId: shop,
    userId: 'u-b',
    servedAtMs: served,
    offerId: 'o-b1',
    campaignId: 'c-b',
    rank: 1,
    holdout: false,
    propensity: 0.75,
    policy: 'epsilon_greedy',
    segment: 'new/low',
    policyFeatures: [1, 0.5],
    windowMs: window * 1000,
    marginRate: 0.3,
    objective: 'incremental_profit',
    currency: 'EUR',
    deferred: false,
    activationDeadlineMs: 0,
    kafkaPartition: 2,
  };
  const reward = rewardRow(
    attribute(
      slot,
      [
        {
          eventId: 'buy-b',
          type: 'purchase',
          timeMs: served + 60_000,
          decisionId: decision.decisionId,
          offerId: 'o-b1',
          orderId: 'order-b',
          priceMinor: 5000,
          quantity: 1,
          discountMinor: 500,
          unitCostMinor: null,
        },
      ],
      new Map([[decision.decisionId, served]]),
    ),
    1,
    now,
  );
  const ins = (table, values) =>
    `INSERT INTO ${table} FORMAT JSONEachRow ${values.map((v) => JSON.stringify(v)).join('\n')}`;
  return [
    {
      name: 'bandit: insert a decision row',
      sql: ins('decisions', [decisionRow(decision, at, served)]),
      expect: null,
    },
    {
      name: 'bandit: insert its candidate rows',
      sql: ins('decision_candidates', rows),
      expect: null,
    },
    { name: 'bandit: insert its purchase', sql: ins('events', [purchase]), expect: null },
    {
      name: 'attribution: the slot is due once its window closed',
      sql: attributionQueries.dueSlots([2], now, 1000, horizon, 10).text,
      expect: [
        {
          decision_id: decision.decisionId,
          offer_id: 'o-b1',
          rank: 1,
          attribution_window_s: window,
        },
      ],
    },
    {
      name: 'attribution: no activated deferred slot waits',
      sql: attributionQueries.activatedSlots([2], now, horizon, 10).text,
      expect: [],
    },
    {
      name: 'attribution: not due before the window closes',
      sql: attributionQueries.dueSlots([2], served + 1000, 1000, horizon, 10).text,
      expect: [],
    },
    {
      name: "attribution: the user's outcome events",
      sql: attributionQueries.userEvents(shop, ['u-b'], served).text,
      expect: [{ event_id: 'buy-b', event_type: 'purchase', decision_id: decision.decisionId }],
    },
    {
      name: "attribution: the user's decisions (last touch)",
      sql: attributionQueries.userDecisions(shop, ['u-b'], served).text,
      expect: [{ decision_id: decision.decisionId, served_at_ms: served }],
    },
    {
      name: 'attribution: no deferred decision waits for its impression',
      sql: attributionQueries.pendingActivations([2], now, horizon, 10).text,
      expect: [],
    },
    { name: 'attribution: store the reward', sql: ins('rewards', [reward]), expect: null },
    {
      name: 'attribution: a rewarded slot is no longer due',
      sql: attributionQueries.dueSlots([2], now, 1000, horizon, 10).text,
      expect: [],
    },
    {
      name: 'attribution: rewards of users with new purchases are rechecked',
      sql: attributionQueries.rewardsToRecheck([2], now, horizon, served, 10).text,
      expect: [
        {
          reward_id: `${decision.decisionId}:1`,
          r_revision: 1,
          r_purchased: 1,
          r_discount_cost_minor: 500,
        },
      ],
    },
    {
      name: 'posteriors: the latest revision of each final reward',
      sql: rewardsQueries.latestSince(served - 1000).text,
      expect: [
        {
          reward_id: `${decision.decisionId}:1`,
          r_revision: 1,
          r_purchased: 1,
          r_reward_value: 1000,
        },
      ],
    },
    {
      name: 'ope: logged candidates',
      sql: opeQueries.candidates({ fromMs: served - 1000, untilMs: now, shopId: shop }).text,
      expect: [
        { offer_id: 'o-b1', rank: 1, propensity: 0.75, margin_minor: 1500, budget_price: 0.1 },
      ],
    },
    {
      name: 'ope: decisions',
      sql: opeQueries.decisions({ fromMs: served - 1000, untilMs: now, shopId: shop }).text,
      expect: [{ decision_id: decision.decisionId, no_offer_propensity: 0.25 }],
    },
    {
      name: 'ope: slot-1 rewards',
      sql: opeQueries.rewards({ fromMs: served - 1000, untilMs: now, shopId: shop }).text,
      expect: [{ reward_id: `${decision.decisionId}:1`, r_value: 1000, r_rank: 1 }],
    },
    {
      name: "frequency caps: the user's shown slots from the decision log",
      sql: impressionsQueries.shown(shop, 'u-b', served - 1000).text,
      expect: [{ decision_id: decision.decisionId, deferred: 0, slot_campaign_ids: ['c-b'] }],
    },
    {
      name: 'frequency caps: activations of deferred decisions',
      sql: impressionsQueries.activated(shop, [decision.decisionId]).text,
      expect: [],
    },
    {
      name: 'ledger: redemptions of expired offers (none redeemed here)',
      sql: redemptionsQueries.of(shop, ['u-b'], [decision.decisionId], served - 1000).text,
      expect: [],
    },
    {
      name: "budget pacing: each shop's decisions by UTC hour of the day",
      sql: trafficQueries.hourly(served - 3_600_000).text,
      expect: [{ shop_id: shop, hour: 10, decisions: 1, first_ms: served }],
    },
    {
      name: 'campaign stats: decisions and holdout decisions',
      sql: campaignStatsQueries.decisions(shop, 'c-b').text,
      expect: [{ decisions: 1, holdout: 0 }],
    },
  ];
}

main(process.argv[2]).catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
