-- Ingest de-duplication index and hourly aggregates, all fed from `events` by materialized views.
-- Runs on ClickHouse 18.16 and current releases (no TTL, LowCardinality, SimpleAggregateFunction,
-- Map, DateTime64 or skipping indexes); old data goes by the retention job dropping partitions.
--
-- A materialized view sees every block inserted into `events`, not the table after
-- ReplacingMergeTree has collapsed it: an event inserted twice is counted twice in every
-- aggregate below. That is why ingest asks `event_dedup` which (shop_id, event_id) it has
-- already stored and inserts only the new events. `events` still collapses a duplicate that
-- slips through (two ingest replicas racing), the aggregates do not.
--
-- Counters are UInt64 and money Int64 (minor units), the types countIf/sumIf produce, so the
-- SummingMergeTree columns need no casts. Readers always `sum(...) GROUP BY` the key: parts
-- are merged (and rows summed) at some unknown later time, or never.
--
-- event_type values are the lowercase EventType names ('view', 'add_to_cart', ...), see
-- libs/events/src/event-row.ts. Line value = price_minor * quantity' - discount_minor where
-- quantity' = greatest(quantity, 1) (quantity 0 means 1, see events.proto).

-- Which events ingest has stored, ordered by the key ingest looks them up by
-- (`(shop_id, event_id) IN (...)` uses this primary key; `events` is sorted by user and time).
-- Partitioned by ingestion day so the retention job can drop it on the same schedule as
-- `events`: duplicates are detected for as long as this table keeps the id. Rows of one id
-- in the same partition collapse on merge; readers use DISTINCT anyway.
CREATE TABLE IF NOT EXISTS event_dedup
(
    shop_id     String,
    event_id    String,
    ingested_at DateTime
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (shop_id, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS event_dedup_mv TO event_dedup AS
SELECT shop_id, event_id, ingested_at
FROM events;

-- The hourly aggregate tables are partitioned by month of `hour`: aggregates are kept longer
-- than raw events (months, not days), so month-sized retention steps are fine, and one
-- partition per month keeps parts few and large so SummingMergeTree gets to merge (day
-- partitions would hold at most 24 rows per key and multiply the parts of every insert).
-- All rows of one (key, hour) land in the same partition, so summing is never split.

-- Per user and hour: what the user did and spent (feature service, reporting).
CREATE TABLE IF NOT EXISTS user_hourly
(
    shop_id           String,
    user_id           String,
    hour              DateTime,
    views             UInt64,
    clicks            UInt64,
    searches          UInt64,
    add_to_carts      UInt64,
    remove_from_carts UInt64,
    purchases         UInt64,
    refunds           UInt64,
    offer_impressions UInt64,
    offer_clicks      UInt64,
    offer_redeems     UInt64,
    -- Purchase revenue: sum of price_minor * quantity' - discount_minor over purchases.
    spend_minor       Int64,
    -- Refunds, valued like purchases (amounts are positive, the type gives the direction).
    refunded_minor    Int64,
    -- Discounts received, from purchase and offer_redeem events. Not named discount_minor:
    -- in the view an output alias equal to a column of `events` replaces that column in every
    -- other expression on 18.16 (spend_minor would sum an aggregate), qualified or not.
    discount_received_minor Int64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, user_id, hour);

-- Rows are aggregated per insert block already, so a batch of 1000 events of one user becomes
-- one row per hour rather than 1000. Like every view here it lists every column of its
-- target: 18.16 fails the insert into `events` ("Expected column ...") when a view leaves one out.
CREATE MATERIALIZED VIEW IF NOT EXISTS user_hourly_mv TO user_hourly AS
SELECT
    shop_id,
    user_id,
    toStartOfHour(event_time) AS hour,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'search') AS searches,
    countIf(event_type = 'add_to_cart') AS add_to_carts,
    countIf(event_type = 'remove_from_cart') AS remove_from_carts,
    countIf(event_type = 'purchase') AS purchases,
    countIf(event_type = 'refund') AS refunds,
    countIf(event_type = 'offer_impression') AS offer_impressions,
    countIf(event_type = 'offer_click') AS offer_clicks,
    countIf(event_type = 'offer_redeem') AS offer_redeems,
    sumIf(price_minor * greatest(quantity, toInt32(1)) - discount_minor, event_type = 'purchase') AS spend_minor,
    sumIf(price_minor * greatest(quantity, toInt32(1)) - discount_minor, event_type = 'refund') AS refunded_minor,
    sumIf(discount_minor, event_type IN ('purchase', 'offer_redeem')) AS discount_received_minor
FROM events
-- Only types that count somewhere: an all-zero row would show up in reads until a merge
-- removes it (SummingMergeTree drops rows whose sums are all zero), so reads would depend on
-- merge timing.
WHERE event_type IN ('view', 'click', 'search', 'add_to_cart', 'remove_from_cart', 'purchase',
                     'refund', 'offer_impression', 'offer_click', 'offer_redeem')
GROUP BY shop_id, user_id, hour;

-- Per item and hour: the funnel of one item (popularity and conversion features).
-- Order-level purchases (empty item_id) are left out: they name no item.
CREATE TABLE IF NOT EXISTS item_hourly
(
    shop_id       String,
    item_id       String,
    hour          DateTime,
    views         UInt64,
    clicks        UInt64,
    add_to_carts  UInt64,
    purchases     UInt64,
    -- Units bought (quantity' summed over purchases).
    units         UInt64,
    -- Purchase revenue after discounts.
    revenue_minor Int64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, item_id, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS item_hourly_mv TO item_hourly AS
SELECT
    shop_id,
    item_id,
    toStartOfHour(event_time) AS hour,
    countIf(event_type = 'view') AS views,
    countIf(event_type = 'click') AS clicks,
    countIf(event_type = 'add_to_cart') AS add_to_carts,
    countIf(event_type = 'purchase') AS purchases,
    sumIf(toUInt64(greatest(quantity, toInt32(1))), event_type = 'purchase') AS units,
    sumIf(price_minor * greatest(quantity, toInt32(1)) - discount_minor, event_type = 'purchase') AS revenue_minor
FROM events
WHERE item_id != '' AND event_type IN ('view', 'click', 'add_to_cart', 'purchase')
GROUP BY shop_id, item_id, hour;

-- Per offer and hour: the offer's funnel and what it cost (bandit rewards, campaign reports).
-- discount_cost_minor counts offer_redeem events only: a redemption is what spends budget
-- (Budget in campaigns.proto), and a purchase line may repeat the same discount.
CREATE TABLE IF NOT EXISTS offer_hourly
(
    shop_id             String,
    campaign_id         String,
    offer_id            String,
    hour                DateTime,
    impressions         UInt64,
    clicks              UInt64,
    redemptions         UInt64,
    -- Purchase events carrying this offer_id.
    purchases           UInt64,
    -- Revenue of those purchases after discounts.
    revenue_minor       Int64,
    discount_cost_minor Int64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, campaign_id, offer_id, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS offer_hourly_mv TO offer_hourly AS
SELECT
    shop_id,
    campaign_id,
    offer_id,
    toStartOfHour(event_time) AS hour,
    countIf(event_type = 'offer_impression') AS impressions,
    countIf(event_type = 'offer_click') AS clicks,
    countIf(event_type = 'offer_redeem') AS redemptions,
    countIf(event_type = 'purchase') AS purchases,
    sumIf(price_minor * greatest(quantity, toInt32(1)) - discount_minor, event_type = 'purchase') AS revenue_minor,
    sumIf(discount_minor, event_type = 'offer_redeem') AS discount_cost_minor
FROM events
WHERE offer_id != '' AND event_type IN ('offer_impression', 'offer_click', 'offer_redeem', 'purchase')
GROUP BY shop_id, campaign_id, offer_id, hour;

-- Unique users an offer reached, per hour and event type. uniq states merge across hours and
-- parts (uniqMerge), which counts cannot: a user seen in two hours is one user over both.
-- Separate from offer_hourly because SummingMergeTree would try to sum the state column.
CREATE TABLE IF NOT EXISTS offer_hourly_users
(
    shop_id     String,
    campaign_id String,
    offer_id    String,
    hour        DateTime,
    event_type  String,
    users       AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, campaign_id, offer_id, hour, event_type);

CREATE MATERIALIZED VIEW IF NOT EXISTS offer_hourly_users_mv TO offer_hourly_users AS
SELECT
    shop_id,
    campaign_id,
    offer_id,
    toStartOfHour(event_time) AS hour,
    event_type,
    uniqState(user_id) AS users
FROM events
WHERE offer_id != ''
GROUP BY shop_id, campaign_id, offer_id, hour, event_type;
