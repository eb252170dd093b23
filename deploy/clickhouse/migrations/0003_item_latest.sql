-- The latest known price and category of each item, for the feature service and the trainer
-- (fs-1: i_price, the candidate's category for x_category_affinity). Kept by a materialized
-- view like the hourly aggregates (0002); readers use argMaxMerge/maxMerge(...) GROUP BY the key.
-- "Latest" is by event_time_ms (ms precision); two events of one item in the same ms are
-- not ordered. Runs on ClickHouse 18.16 and current releases. Column names differ from the
-- columns of `events` on purpose: on 18.16 an alias equal to a source column replaces that
-- column in the view's other expressions (see 0002).
CREATE TABLE IF NOT EXISTS item_latest
(
    shop_id     String,
    item_id     String,
    latest_price_minor AggregateFunction(argMax, Int64, Int64),
    -- When that price was seen (event_time_ms; -1 = never), so that a reader holding it
    -- can tell whether a streamed event is newer.
    latest_price_at    AggregateFunction(max, Int64),
    latest_category_id AggregateFunction(argMax, String, Int64),
    latest_category_at AggregateFunction(max, Int64)
)
ENGINE = AggregatingMergeTree
ORDER BY (shop_id, item_id);

-- Priced events are the types whose price_minor is the item's unit price; a category is
-- taken from any event that names one. Other events take part with time -1 and value 0/'',
-- so they never win over a qualifying one and yield "unknown" when there is none.
-- (Not argMaxIfState: 18.16 types that state argMaxIf, which a column of argMax refuses.)
CREATE MATERIALIZED VIEW IF NOT EXISTS item_latest_mv TO item_latest AS
SELECT
    shop_id,
    item_id,
    argMaxState(
        if(price_minor > 0 AND event_type IN ('view', 'click', 'add_to_cart', 'purchase'), price_minor, toInt64(0)),
        if(price_minor > 0 AND event_type IN ('view', 'click', 'add_to_cart', 'purchase'), event_time_ms, toInt64(-1))
    ) AS latest_price_minor,
    maxState(if(price_minor > 0 AND event_type IN ('view', 'click', 'add_to_cart', 'purchase'), event_time_ms, toInt64(-1))) AS latest_price_at,
    argMaxState(category_id, if(category_id != '', event_time_ms, toInt64(-1))) AS latest_category_id,
    maxState(if(category_id != '', event_time_ms, toInt64(-1))) AS latest_category_at
FROM events
WHERE item_id != ''
GROUP BY shop_id, item_id;
