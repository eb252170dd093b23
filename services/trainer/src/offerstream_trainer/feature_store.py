"""Feature inputs read from ClickHouse as they stood at a point in time (`as_of_ms`).

Builds the same UserState / ItemState / OfferState the feature service loads (the reads of
services/feature/src/feature-store.repository.ts, bounded above by as_of), from the hourly
aggregates (migration 0002), `item_latest` (0003) and raw `events` (0001), so
`features.user_features` / `features.candidate_features` give the served values.

Point in time, exactly: completed hour buckets come from the aggregates (up to the hour before
as_of's), the hour holding as_of from raw `events` with event_time_ms <= as_of (the aggregates
count that hour in full, so reading it there would let events later in the hour leak in; the
feature service online at as_of never has them either, so this equals what it served). Raw
events (recency, sequence) are read up to as_of itself, lifetime totals and campaign spend
likewise. An item's latest price and category come from
`item_latest` (as the service reads them) unless they were seen after as_of; then they are
taken from the item's raw events up to as_of instead (a scan of the shop's events: only for
items whose price or category changed since as_of).

Every query is plain SQL that ClickHouse 18.16 and current releases both run; values enter
it only through `sql_literal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .clickhouse_http import ClickHouseError, parse_int, sql_literal
from .feature_spec import FeatureSpec
from .features import (
    HOUR_MS,
    ITEM_FIELDS,
    OFFER_FIELDS,
    PRICED,
    USER_FIELDS,
    CandidateInput,
    CandidateState,
    CatalogOffer,
    FeatureEvent,
    ItemState,
    OfferState,
    SequenceItem,
    UserState,
    hour_of,
    item_increments,
    offer_increments,
    sequence_order,
    user_increments,
)


class RowSource(Protocol):
    """What the store needs of ClickHouse (ClickHouseHttp, or a fake in tests)."""

    def query_json_rows(self, sql: str) -> list[dict[str, object]]: ...


# --- SQL ------------------------------------------------------------------------------------


def _hour_literal(hour: int) -> str:
    """The start of hour bucket `hour` as a DateTime (clamped to the epoch: no earlier rows)."""
    return f"toDateTime({sql_literal(max(0, hour) * 3600)})"


def _sums(fields: Sequence[str]) -> str:
    return ", ".join(f"sum({f}) AS {f}" for f in fields)


def _hour_range(from_hour: int, to_hour: int) -> str:
    return f"hour >= {_hour_literal(from_hour)} AND hour <= {_hour_literal(to_hour)}"


def _event_range(from_ms: int, to_ms: int) -> str:
    """event_time_ms in [from_ms, to_ms]; the event_time bounds let the primary key prune."""
    lo, hi = max(0, from_ms), max(0, to_ms)
    return (
        f"event_time >= toDateTime({sql_literal(lo // 1000)})"
        f" AND event_time <= toDateTime({sql_literal(hi // 1000)})"
        f" AND event_time_ms >= {sql_literal(from_ms)} AND event_time_ms <= {sql_literal(to_ms)}"
    )


def user_hourly_sql(shop_id: str, user_id: str, from_hour: int, to_hour: int) -> str:
    return (
        f"SELECT toUnixTimestamp(hour) AS hour_ts, {_sums(USER_FIELDS)} FROM user_hourly"
        f" WHERE shop_id = {sql_literal(shop_id)} AND user_id = {sql_literal(user_id)}"
        f" AND {_hour_range(from_hour, to_hour)} GROUP BY hour ORDER BY hour"
    )


def user_recency_sql(shop_id: str, user_id: str, from_ms: int, to_ms: int) -> str:
    # No matching row gives 0, read as "none" (the service's positiveOrNaN).
    return (
        "SELECT max(event_time_ms) AS visit,"
        " maxIf(event_time_ms, event_type = 'add_to_cart') AS cart,"
        " maxIf(event_time_ms, event_type = 'purchase') AS purchase"
        f" FROM events WHERE shop_id = {sql_literal(shop_id)} AND user_id = {sql_literal(user_id)}"
        f" AND {_event_range(from_ms, to_ms)}"
    )


def user_sequence_sql(shop_id: str, user_id: str, from_ms: int, to_ms: int, limit: int) -> str:
    # DISTINCT: a re-delivered event `events` has not collapsed yet counts once (as the
    # service reads it).
    return (
        "SELECT DISTINCT event_id, event_type, event_time_ms, item_id, category_id, offer_id,"
        f" price_minor FROM events WHERE shop_id = {sql_literal(shop_id)}"
        f" AND user_id = {sql_literal(user_id)} AND {_event_range(from_ms, to_ms)}"
        f" ORDER BY event_time_ms DESC, event_id DESC LIMIT {sql_literal(limit)}"
    )


_RAW_COLUMNS = (
    "event_id, event_type, event_time_ms, item_id, category_id, offer_id, campaign_id,"
    " price_minor, quantity, discount_minor"
)


def partial_hour_sql(where: str, as_of_ms: int) -> str:
    """Raw events matching `where` in the hour holding as_of, up to as_of itself (the part of
    that hour's bucket that had happened by then). DISTINCT: a re-delivered event counts once."""
    start = hour_of(as_of_ms) * HOUR_MS
    return (
        f"SELECT DISTINCT {_RAW_COLUMNS} FROM events WHERE {where}"
        f" AND {_event_range(start, as_of_ms)}"
    )


def item_hourly_sql(shop_id: str, item_id: str, from_hour: int, to_hour: int) -> str:
    return (
        f"SELECT toUnixTimestamp(hour) AS hour_ts, {_sums(ITEM_FIELDS)} FROM item_hourly"
        f" WHERE shop_id = {sql_literal(shop_id)} AND item_id = {sql_literal(item_id)}"
        f" AND {_hour_range(from_hour, to_hour)} GROUP BY hour ORDER BY hour"
    )


def item_latest_sql(shop_id: str, item_id: str) -> str:
    return (
        "SELECT argMaxMerge(latest_price_minor) AS price_minor,"
        " maxMerge(latest_price_at) AS price_at,"
        " argMaxMerge(latest_category_id) AS category_id,"
        " maxMerge(latest_category_at) AS category_at FROM item_latest"
        f" WHERE shop_id = {sql_literal(shop_id)} AND item_id = {sql_literal(item_id)}"
        " GROUP BY shop_id, item_id"
    )


_PRICED_EVENT = (
    "price_minor > 0 AND event_type IN (" + ", ".join(sql_literal(t) for t in sorted(PRICED)) + ")"
)


def item_latest_at_sql(shop_id: str, item_id: str, to_ms: int) -> str:
    """The item's latest price and category among its events up to `to_ms` (what item_latest
    held then). Aliases differ from the columns: on 18.16 an alias equal to a column replaces
    it in the other expressions."""
    return (
        f"SELECT countIf({_PRICED_EVENT}) AS n_price,"
        f" argMaxIf(price_minor, event_time_ms, {_PRICED_EVENT}) AS latest_price,"
        f" maxIf(event_time_ms, {_PRICED_EVENT}) AS latest_price_at,"
        " countIf(category_id != '') AS n_category,"
        " argMaxIf(category_id, event_time_ms, category_id != '') AS latest_category,"
        " maxIf(event_time_ms, category_id != '') AS latest_category_at"
        f" FROM events WHERE shop_id = {sql_literal(shop_id)} AND item_id = {sql_literal(item_id)}"
        f" AND event_time <= toDateTime({sql_literal(max(0, to_ms) // 1000)})"
        f" AND event_time_ms <= {sql_literal(to_ms)}"
    )


def _offer_where(shop_id: str, campaign_id: str, offer_id: str) -> str:
    return (
        f"shop_id = {sql_literal(shop_id)} AND campaign_id = {sql_literal(campaign_id)}"
        f" AND offer_id = {sql_literal(offer_id)}"
    )


def offer_hourly_sql(
    shop_id: str, campaign_id: str, offer_id: str, from_hour: int, to_hour: int
) -> str:
    return (
        f"SELECT toUnixTimestamp(hour) AS hour_ts, {_sums(OFFER_FIELDS)} FROM offer_hourly"
        f" WHERE {_offer_where(shop_id, campaign_id, offer_id)}"
        f" AND {_hour_range(from_hour, to_hour)} GROUP BY hour ORDER BY hour"
    )


def offer_lifetime_sql(shop_id: str, campaign_id: str, offer_id: str, to_hour: int) -> str:
    return (
        "SELECT sum(redemptions) AS lifetime_redemptions FROM offer_hourly"
        f" WHERE {_offer_where(shop_id, campaign_id, offer_id)}"
        f" AND hour <= {_hour_literal(to_hour)}"
    )


def campaign_spent_sql(shop_id: str, campaign_id: str, to_hour: int) -> str:
    return (
        "SELECT sum(discount_cost_minor) AS spent_minor FROM offer_hourly"
        f" WHERE shop_id = {sql_literal(shop_id)} AND campaign_id = {sql_literal(campaign_id)}"
        f" AND hour <= {_hour_literal(to_hour)}"
    )


# --- reading --------------------------------------------------------------------------------


def _int_field(row: dict[str, object], name: str) -> int:
    if name not in row:
        raise ClickHouseError(f"ClickHouse row lacks column {name}: {sorted(row)}")
    return parse_int(row[name])


def _str_field(row: dict[str, object], name: str) -> str:
    v = row.get(name)
    if not isinstance(v, str):
        raise ClickHouseError(f"ClickHouse column {name} is not a string: {v!r}")
    return v


def _bucket_hour(row: dict[str, object]) -> int:
    ts = _int_field(row, "hour_ts")
    if ts % 3600 != 0:
        # toStartOfHour runs in the server's time zone: a zone with a non-whole-hour offset
        # would put buckets at odd boundaries, which the UTC hour windows cannot read.
        raise ClickHouseError(
            f"hour bucket {ts} does not start a UTC hour (ClickHouse server time zone?)"
        )
    return ts // 3600


def _fill_buckets(
    state: UserState | ItemState | OfferState, fields: Sequence[str], rows: list[dict[str, object]]
) -> None:
    for row in rows:
        state.buckets.add(_bucket_hour(row), [float(_int_field(row, f)) for f in fields])


def _raw_event(row: dict[str, object]) -> FeatureEvent:
    return FeatureEvent(
        event_id=_str_field(row, "event_id"),
        type=_str_field(row, "event_type"),
        time_ms=_int_field(row, "event_time_ms"),
        item_id=_str_field(row, "item_id"),
        category_id=_str_field(row, "category_id"),
        offer_id=_str_field(row, "offer_id"),
        campaign_id=_str_field(row, "campaign_id"),
        price_minor=_int_field(row, "price_minor"),
        quantity=_int_field(row, "quantity"),
        discount_minor=_int_field(row, "discount_minor"),
    )


@dataclass
class FeatureStore:
    """Reads feature inputs of one shop at a point in time; caches within the instance."""

    ch: RowSource
    spec: FeatureSpec

    def __post_init__(self) -> None:
        self._items: dict[tuple[str, str, int], ItemState] = {}
        self._offers: dict[tuple[str, str, str, int], OfferState] = {}
        self._spent: dict[tuple[str, str, int], float] = {}

    def _window(self, as_of_ms: int) -> tuple[int, int]:
        """The completed hour buckets read from the aggregates: [H - lookback + 1, H - 1]
        (H, the hour of as_of, comes from raw events: see `_partial_hour`)."""
        h = hour_of(as_of_ms)
        return h - self.spec.params.lookback_hours + 1, h - 1

    def _partial_hour(self, where: str, as_of_ms: int) -> list[FeatureEvent]:
        return [_raw_event(r) for r in self.ch.query_json_rows(partial_hour_sql(where, as_of_ms))]

    def user_state(self, shop_id: str, user_id: str, as_of_ms: int) -> UserState:
        p = self.spec.params
        state = UserState(self.spec.sequence.max_length, p.lookback_hours)
        from_hour, to_hour = self._window(as_of_ms)
        _fill_buckets(
            state,
            USER_FIELDS,
            self.ch.query_json_rows(user_hourly_sql(shop_id, user_id, from_hour, to_hour)),
        )
        where = f"shop_id = {sql_literal(shop_id)} AND user_id = {sql_literal(user_id)}"
        for e in self._partial_hour(where, as_of_ms):
            state.buckets.add(hour_of(e.time_ms), user_increments(e))
        # Recency and sequence from raw events of the lookback, as the service loads them.
        from_ms = as_of_ms - p.lookback_hours * HOUR_MS
        rows = self.ch.query_json_rows(user_recency_sql(shop_id, user_id, from_ms, as_of_ms))
        if rows:
            for kind in ("visit", "cart", "purchase"):
                t = _int_field(rows[0], kind)
                if t > 0:
                    setattr(state.last, kind, t)
        rows = self.ch.query_json_rows(
            user_sequence_sql(shop_id, user_id, from_ms, as_of_ms, self.spec.sequence.max_length)
        )
        state.sequence = sequence_order(
            SequenceItem(
                event_id=_str_field(r, "event_id"),
                time_ms=_int_field(r, "event_time_ms"),
                type=_str_field(r, "event_type"),
                item_id=_str_field(r, "item_id"),
                category_id=_str_field(r, "category_id"),
                offer_id=_str_field(r, "offer_id"),
                price_minor=_int_field(r, "price_minor"),
            )
            for r in rows
        )
        return state

    def item_state(self, shop_id: str, item_id: str, as_of_ms: int) -> ItemState:
        key = (shop_id, item_id, as_of_ms)
        if key in self._items:
            return self._items[key]
        state = ItemState(self.spec.params.lookback_hours)
        if item_id != "":  # the aggregates leave out events without an item
            from_hour, to_hour = self._window(as_of_ms)
            rows = self.ch.query_json_rows(item_hourly_sql(shop_id, item_id, from_hour, to_hour))
            _fill_buckets(state, ITEM_FIELDS, rows)
            where = f"shop_id = {sql_literal(shop_id)} AND item_id = {sql_literal(item_id)}"
            for e in self._partial_hour(where, as_of_ms):
                inc = item_increments(e)
                if inc is not None:
                    state.buckets.add(hour_of(e.time_ms), inc)
            self._note_latest(state, shop_id, item_id, as_of_ms)
        self._items[key] = state
        return state

    def _note_latest(self, state: ItemState, shop_id: str, item_id: str, as_of_ms: int) -> None:
        """The item's latest price and category as of `as_of_ms` (-1 = never seen)."""
        rows = self.ch.query_json_rows(item_latest_sql(shop_id, item_id))
        if not rows:
            return
        r = rows[0]
        price, price_at = _int_field(r, "price_minor"), _int_field(r, "price_at")
        category, category_at = _str_field(r, "category_id"), _int_field(r, "category_at")
        if price_at > as_of_ms or category_at > as_of_ms:
            # Seen after as_of: item_latest no longer holds the value of then.
            [b] = self.ch.query_json_rows(item_latest_at_sql(shop_id, item_id, as_of_ms))
            if price_at > as_of_ms:
                seen = _int_field(b, "n_price") > 0
                price = _int_field(b, "latest_price") if seen else 0
                price_at = _int_field(b, "latest_price_at") if seen else -1
            if category_at > as_of_ms:
                seen = _int_field(b, "n_category") > 0
                category = _str_field(b, "latest_category") if seen else ""
                category_at = _int_field(b, "latest_category_at") if seen else -1
        if price > 0:
            state.note_price(price, price_at)
        if category != "":
            state.note_category(category, category_at)

    def offer_state(
        self, shop_id: str, campaign_id: str, offer_id: str, as_of_ms: int
    ) -> OfferState:
        key = (shop_id, campaign_id, offer_id, as_of_ms)
        if key in self._offers:
            return self._offers[key]
        state = OfferState(self.spec.params.lookback_hours)
        if offer_id != "":  # the aggregates leave out events without an offer
            from_hour, to_hour = self._window(as_of_ms)
            rows = self.ch.query_json_rows(
                offer_hourly_sql(shop_id, campaign_id, offer_id, from_hour, to_hour)
            )
            _fill_buckets(state, OFFER_FIELDS, rows)
            life = self.ch.query_json_rows(
                offer_lifetime_sql(shop_id, campaign_id, offer_id, to_hour)
            )
            if life:
                state.lifetime_redemptions = float(_int_field(life[0], "lifetime_redemptions"))
            for e in self._partial_hour(_offer_where(shop_id, campaign_id, offer_id), as_of_ms):
                inc = offer_increments(e)
                if inc is not None:
                    state.buckets.add(hour_of(e.time_ms), inc)
                    state.lifetime_redemptions += inc[OFFER_FIELDS.index("redemptions")]
        self._offers[key] = state
        return state

    def campaign_spent_minor(self, shop_id: str, campaign_id: str, as_of_ms: int) -> float:
        key = (shop_id, campaign_id, as_of_ms)
        if key not in self._spent:
            rows = self.ch.query_json_rows(
                campaign_spent_sql(shop_id, campaign_id, hour_of(as_of_ms) - 1)
            )
            spent = float(_int_field(rows[0], "spent_minor")) if rows else 0.0
            where = (
                f"shop_id = {sql_literal(shop_id)} AND campaign_id = {sql_literal(campaign_id)}"
                " AND offer_id != ''"
            )
            for e in self._partial_hour(where, as_of_ms):
                if e.type == "offer_redeem":
                    spent += e.discount_minor
            self._spent[key] = spent
        return self._spent[key]

    def candidate_state(
        self,
        shop_id: str,
        cand: CandidateInput,
        catalog: CatalogOffer | None,
        as_of_ms: int,
    ) -> CandidateState:
        # The campaign's spend only matters for a catalog offer with a budget (o_budget_left);
        # it is the catalog offer's campaign, as the service looks it up.
        spent = (
            self.campaign_spent_minor(shop_id, catalog.campaign_id, as_of_ms)
            if catalog is not None and catalog.total_budget_minor > 0
            else 0.0
        )
        return CandidateState(
            item=self.item_state(shop_id, cand.item_id, as_of_ms),
            offer=self.offer_state(shop_id, cand.campaign_id, cand.offer_id, as_of_ms),
            catalog=catalog,
            campaign_spent_minor=spent,
        )
