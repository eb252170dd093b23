-- Raw validated behaviour events, one row per event.
-- Runs on ClickHouse 18.16 and current releases: no Map type (attributes are two parallel
-- arrays), no TTL (retention drops old partitions on a schedule), no LowCardinality.
-- ReplacingMergeTree on the sort key (which ends in event_id) makes a re-delivered event
-- collapse into one row; read with FINAL (or GROUP BY event_id) where exact counts matter.
CREATE TABLE IF NOT EXISTS events
(
    event_id         String,
    event_type       String,
    shop_id          String,
    user_id          String,
    session_id       String,
    event_time       DateTime,
    event_time_ms    Int64,
    item_id          String,
    category_id      String,
    order_id         String,
    search_query     String,
    offer_id         String,
    campaign_id      String,
    decision_id      String,
    price_minor      Int64,
    currency         String,
    quantity         Int32,
    discount_minor   Int64,
    unit_cost_minor  Nullable(Int64),
    channel          String,
    device           String,
    attribute_keys   Array(String),
    attribute_values Array(String),
    ingested_at      DateTime
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (shop_id, user_id, event_time, event_id);
