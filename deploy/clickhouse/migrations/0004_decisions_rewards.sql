-- The decision log and its rewards: the raw material of attribution, online learning,
-- off-policy evaluation, lift measurement and training (bandit-policy writes them from
-- offerstream.decisions.v1; attribution reads them with `events`).
-- Runs on ClickHouse 18.16 and current releases (no Map, TTL, LowCardinality, DateTime64):
-- times are DateTime plus an Int64 *_ms column where milliseconds matter; enums are their
-- proto names as strings; vectors are Array(Float32) in the feature spec's order.
--
-- All three tables are ReplacingMergeTree on a key that identifies a row exactly, so a
-- re-delivered Kafka record or a retried insert collapses into one row on merge. Readers
-- that need exact counts de-duplicate explicitly (GROUP BY the key / argMax), since merges
-- happen at some unknown later time.

-- One row per GetOffers decision (holdout and empty answers included).
CREATE TABLE IF NOT EXISTS decisions
(
    decision_id          String,
    shop_id              String,
    user_id              String,
    session_id           String,
    served_at            DateTime,
    served_at_ms         Int64,
    -- Request context as received.
    placement_id         String,
    page_type            String,
    context_item_id      String,
    context_category_id  String,
    cart_value_minor     Int64,
    currency             String,
    device               String,
    channel              String,
    country              String,
    requested_slots      Int32,
    -- The features the decision saw (empty when it used none): the training inputs.
    feature_spec_version String,
    features_computed_at_ms Int64,
    user_features        Array(Float32),
    user_cold_start      UInt8,
    -- The behaviour sequence, oldest first (parallel arrays).
    seq_item_ids         Array(String),
    seq_category_ids     Array(String),
    seq_types            Array(String),
    seq_age_seconds      Array(Int64),
    seq_price_minor      Array(Int64),
    -- The cold-start policy's segment of the user, e.g. 'returning/medium'.
    segment              String,
    policy_version       String,
    model_name           String,
    model_version        String,
    holdout              UInt8,
    holdout_campaign_ids Array(String),
    -- Campaign of each slot shown, by rank (frequency caps are counted from these; the
    -- table is sorted by user, so one user's history is one range read).
    slot_campaign_ids    Array(String),
    no_offer_propensity  Float64,
    degraded             UInt8,
    degraded_reasons     Array(String),
    deferred             UInt8,
    activation_deadline_ms Int64,
    served_by            String,
    -- Where the record sits in offerstream.decisions.v1: attribution is split among
    -- replicas by partition.
    kafka_partition      Int32,
    kafka_offset         Int64,
    inserted_at          DateTime
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMMDD(served_at)
ORDER BY (shop_id, user_id, served_at, decision_id);

-- One row per candidate of a decision (chosen or not), plus one row per campaign the user
-- was held out of (offer_id '', holdout 1): the control arm that attribution rewards too.
CREATE TABLE IF NOT EXISTS decision_candidates
(
    decision_id          String,
    shop_id              String,
    user_id              String,
    served_at            DateTime,
    served_at_ms         Int64,
    offer_id             String,
    campaign_id          String,
    item_id              String,
    -- Index into the decision's candidate feature vectors (-1 = none) and the vector itself
    -- (chosen candidates only; every candidate's is in the decisions.v1 record).
    feature_index        Int32,
    candidate_features   Array(Float32),
    policy_features      Array(Float32),
    scored               UInt8,
    p_click              Float32,
    p_purchase           Float32,
    p_purchase_given_offer Float32,
    p_purchase_no_offer  Float32,
    uplift               Float32,
    expected_value_minor Float64,
    -- What the policy valued the candidate with (enough to replay its choice offline).
    margin_minor         Float64,
    redemption_cost_minor Float64,
    expected_cost_minor  Float64,
    budget_price         Float64,
    selection_probability Float64,
    policy               String,
    -- 1-based slot rank when chosen, 0 when not chosen (or a holdout row).
    rank                 Int32,
    propensity           Float64,
    propensity_method    String,
    explored             UInt8,
    holdout              UInt8,
    segment              String,
    -- The campaign's settings at decision time that attribution needs.
    attribution_window_s Int64,
    default_margin_rate  Float64,
    objective            String,
    reserved_minor       Int64,
    reserved_stock       Int64,
    currency             String,
    deferred             UInt8,
    activation_deadline_ms Int64,
    kafka_partition      Int32,
    inserted_at          DateTime
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMMDD(served_at)
ORDER BY (shop_id, decision_id, campaign_id, offer_id);

-- Attributed outcomes, every revision (a refund or a late event re-opens a reward as the
-- next revision). Readers take the highest revision per reward_id.
CREATE TABLE IF NOT EXISTS rewards
(
    reward_id            String,
    revision             Int32,
    decision_id          String,
    shop_id              String,
    user_id              String,
    offer_id             String,
    campaign_id          String,
    rank                 Int32,
    holdout              UInt8,
    propensity           Float64,
    policy               String,
    segment              String,
    policy_features      Array(Float32),
    clicked              UInt8,
    purchased            UInt8,
    redeemed             UInt8,
    currency             String,
    revenue_minor        Int64,
    margin_minor         Int64,
    discount_cost_minor  Int64,
    incremental_profit_minor Int64,
    reward_value         Float64,
    reward_definition    String,
    served_at            DateTime,
    served_at_ms         Int64,
    window_end_ms        Int64,
    attributed_event_ids Array(String),
    order_ids            Array(String),
    computed_at          DateTime,
    computed_at_ms       Int64,
    final                UInt8,
    kafka_partition      Int32
)
ENGINE = ReplacingMergeTree(computed_at_ms)
PARTITION BY toYYYYMMDD(served_at)
ORDER BY (shop_id, reward_id, revision);

-- Deferred decisions whose impression arrived in time (or whose deadline passed):
-- one row per decision, written by attribution before it publishes activations.v1.
CREATE TABLE IF NOT EXISTS decision_activations
(
    decision_id          String,
    shop_id              String,
    user_id              String,
    served_at            DateTime,
    status               String,
    impression_event_id  String,
    activated_at_ms      Int64,
    computed_at          DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMMDD(served_at)
ORDER BY (shop_id, decision_id);
