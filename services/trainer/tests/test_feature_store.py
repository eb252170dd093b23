"""FeatureStore: state read from ClickHouse rows equals state built from the events themselves.

A fake ClickHouse answers the store's queries from a list of events the way the tables of
migrations 0001-0003 would (sums per hour, latest price and category, 64-bit integers quoted),
honouring the WHERE bounds of each query. The vectors from the store must equal those of the
feature service's in-memory path (UserState.apply and friends) exactly.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from offerstream_trainer.clickhouse_http import ClickHouseError
from offerstream_trainer.feature_request import (
    compute_response,
    features_for_request,
    parse_request,
)
from offerstream_trainer.feature_spec import load_feature_spec
from offerstream_trainer.feature_store import FeatureStore
from offerstream_trainer.features import (
    HOUR_MS,
    ITEM_FIELDS,
    OFFER_FIELDS,
    PRICED,
    USER_FIELDS,
    CandidateState,
    FeatureEvent,
    ItemState,
    OfferState,
    UserState,
    hour_of,
    item_increments,
    offer_increments,
    user_increments,
)

SPEC = load_feature_spec("fs-1")
AS_OF = int(datetime(2026, 11, 25, 14, 30, tzinfo=UTC).timestamp() * 1000)
SHOP = "shop'1"

_LITERAL = re.compile(r"(\w+) = '((?:[^'\\]|\\.)*)'")
_BOUND = re.compile(r"(\w+) (>=|<=) (?:toDateTime\()?(\d+)")


def _unescape(s: str) -> str:
    return re.sub(r"\\x([0-9a-f]{2})|\\(.)", lambda m: chr(int(m[1], 16)) if m[1] else m[2], s)


class FakeClickHouse:
    """Answers the store's queries from events, like the tables and views would."""

    def __init__(self, shop: str, events: list[tuple[str, FeatureEvent]]) -> None:
        self.shop = shop
        self.events = events  # (user_id, event)
        self.queries: list[str] = []

    def query_json_rows(self, sql: str) -> list[dict[str, object]]:
        self.queries.append(sql)
        eq = {k: _unescape(v) for k, v in _LITERAL.findall(sql)}
        assert eq.get("shop_id") == self.shop
        lo = {k: int(v) for k, op, v in _BOUND.findall(sql) if op == ">="}
        hi = {k: int(v) for k, op, v in _BOUND.findall(sql) if op == "<="}

        def in_hours(e: FeatureEvent) -> bool:
            start = hour_of(e.time_ms) * 3600
            return lo.get("hour", 0) <= start <= hi.get("hour", 2**62)

        def in_ms(e: FeatureEvent) -> bool:
            return lo["event_time_ms"] <= e.time_ms <= hi["event_time_ms"]

        def hourly(
            rows: list[FeatureEvent],
            inc: Callable[[FeatureEvent], list[float] | None],
            fields: tuple[str, ...],
        ) -> list[dict[str, object]]:
            by_hour: dict[int, list[float]] = defaultdict(lambda: [0.0] * len(fields))
            for e in rows:
                v = inc(e)
                if v is not None and in_hours(e):
                    acc = by_hour[hour_of(e.time_ms)]
                    for i, x in enumerate(v):
                        acc[i] += x
            return [
                {"hour_ts": h * 3600, **{f: str(int(x)) for f, x in zip(fields, v, strict=True)}}
                for h, v in sorted(by_hour.items())
            ]

        if "FROM item_latest" in sql or "n_price" in sql:
            mine = [e for _, e in self.events if e.item_id == eq["item_id"]]
            if "n_price" in sql:  # the item's events up to as_of
                mine = [e for e in mine if e.time_ms <= hi["event_time_ms"]]
            elif not mine:
                return []
            priced = [e for e in mine if e.price_minor > 0 and e.type in PRICED]
            named = [e for e in mine if e.category_id]
            p = max(priced, key=lambda e: e.time_ms) if priced else None
            c = max(named, key=lambda e: e.time_ms) if named else None
            price, price_at = (str(int(p.price_minor)), str(int(p.time_ms))) if p else ("0", "-1")
            cat, cat_at = (c.category_id, str(int(c.time_ms))) if c else ("", "-1")
            if "n_price" in sql:
                return [
                    {
                        "n_price": str(len(priced)),
                        "latest_price": price,
                        "latest_price_at": price_at,
                        "n_category": str(len(named)),
                        "latest_category": cat,
                        "latest_category_at": cat_at,
                    }
                ]
            return [
                {
                    "price_minor": price,
                    "price_at": price_at,
                    "category_id": cat,
                    "category_at": cat_at,
                }
            ]
        if "discount_minor FROM events" in sql:  # raw events of as_of's (partial) hour
            keys = ("user_id", "item_id", "campaign_id", "offer_id")
            mine = [
                e
                for u, e in self.events
                if in_ms(e)
                and all(eq[k] == (u if k == "user_id" else getattr(e, k)) for k in keys if k in eq)
                and ("offer_id != ''" not in sql or e.offer_id != "")
            ]
            return [
                {
                    "event_id": e.event_id,
                    "event_type": e.type,
                    "event_time_ms": str(int(e.time_ms)),
                    "item_id": e.item_id,
                    "category_id": e.category_id,
                    "offer_id": e.offer_id,
                    "campaign_id": e.campaign_id,
                    "price_minor": str(int(e.price_minor)),
                    "quantity": int(e.quantity),
                    "discount_minor": str(int(e.discount_minor)),
                }
                for e in mine
            ]
        if "FROM user_hourly" in sql:
            mine = [e for u, e in self.events if u == eq["user_id"]]
            return hourly(mine, user_increments, USER_FIELDS)
        if "FROM events" in sql and "maxIf" in sql:
            mine = [e for u, e in self.events if u == eq["user_id"] and in_ms(e)]

            def latest(pred: Callable[[FeatureEvent], bool]) -> str:
                return str(max((int(e.time_ms) for e in mine if pred(e)), default=0))

            return [
                {
                    "visit": latest(lambda e: True),
                    "cart": latest(lambda e: e.type == "add_to_cart"),
                    "purchase": latest(lambda e: e.type == "purchase"),
                }
            ]
        if "FROM events" in sql:
            mine = [e for u, e in self.events if u == eq["user_id"] and in_ms(e)]
            mine.sort(key=lambda e: (e.time_ms, e.event_id), reverse=True)
            limit = int(re.search(r"LIMIT (\d+)", sql)[1])  # type: ignore[index]
            return [
                {
                    "event_id": e.event_id,
                    "event_type": e.type,
                    "event_time_ms": str(int(e.time_ms)),
                    "item_id": e.item_id,
                    "category_id": e.category_id,
                    "offer_id": e.offer_id,
                    "price_minor": str(int(e.price_minor)),
                }
                for e in mine[:limit]
            ]
        if "FROM item_hourly" in sql:
            mine = [e for _, e in self.events if e.item_id == eq["item_id"]]
            return hourly(mine, item_increments, ITEM_FIELDS)
        offers = [
            e
            for _, e in self.events
            if e.offer_id and e.campaign_id == eq["campaign_id"] and in_hours(e)
        ]
        if "spent_minor" in sql:
            spent = sum(e.discount_minor for e in offers if e.type == "offer_redeem")
            return [{"spent_minor": str(int(spent))}]
        offers = [e for e in offers if e.offer_id == eq["offer_id"]]
        if "lifetime_redemptions" in sql:
            n = sum(1 for e in offers if e.type == "offer_redeem")
            return [{"lifetime_redemptions": str(n)}]
        assert "FROM offer_hourly" in sql, sql
        return hourly(offers, offer_increments, OFFER_FIELDS)


def ev(
    eid: str, type_: str, hours_ago: float, item: str = "i1", cat: str = "shoes", **kw: object
) -> FeatureEvent:
    return FeatureEvent(
        event_id=eid,
        type=type_,
        time_ms=AS_OF - round(hours_ago * HOUR_MS),
        item_id=item,
        category_id=cat,
        **kw,  # type: ignore[arg-type]
    )


def history() -> list[tuple[str, FeatureEvent]]:
    me, other = "u'me\\", "u-other"
    out: list[tuple[str, FeatureEvent]] = []
    for i in range(40):
        out.append(
            (other, ev(f"v{i:02d}", "view", 0.1 if i == 39 else 1 + i % 4, price_minor=7000))
        )
    out += [
        (me, ev("a1", "view", 0.2)),
        (me, ev("a2", "view", 3)),
        (me, ev("a3", "add_to_cart", 3, quantity=1, price_minor=5000)),
        (me, ev("a4", "purchase", 2.9, price_minor=5000, quantity=2, discount_minor=1000)),
        (me, ev("a5", "view", 24 * 10, item="i2", cat="bags", price_minor=8000)),
        (me, ev("a6", "purchase", 24 * 20, price_minor=3000)),
        (me, ev("a7", "view", 24 * 40)),  # outside the lookback
        (me, ev("a8", "offer_click", 5, item="", cat="", offer_id="o1", campaign_id="c1")),
    ]
    for i in range(30):
        out.append(
            (other, ev(f"m{i}", "offer_impression", 2, item="", offer_id="o1", campaign_id="c1"))
        )
    for i in range(3):
        out.append(
            (
                other,
                ev(
                    f"r{i}",
                    "offer_redeem",
                    1,
                    "",
                    "",
                    offer_id="o1",
                    campaign_id="c1",
                    discount_minor=2000,
                ),
            )
        )
    out.append(
        (
            other,
            ev(
                "r9", "offer_redeem", 1, "", "", offer_id="o2", campaign_id="c1", discount_minor=500
            ),
        )
    )
    # After as_of (a later hour): a point-in-time read must not see these.
    out.append((me, ev("late1", "purchase", -2, item="i9", price_minor=9999)))
    out.append(
        (
            other,
            ev(
                "late2",
                "offer_redeem",
                -2,
                "",
                "",
                offer_id="o1",
                campaign_id="c1",
                discount_minor=9,
            ),
        )
    )
    return out


REQUEST = {
    "spec_version": "fs-1",
    "shop_id": SHOP,
    "user_id": "u'me\\",
    "as_of_ms": AS_OF,
    "context": {
        "device": "mobile",
        "channel": "web",
        "pageType": "product",
        "cartValueMinor": 6000,
        "cartItemIds": ["i1"],
    },
    "candidates": [
        {"offerId": "o1", "campaignId": "c1", "itemId": "i1", "categoryId": ""},
        {"offerId": "o3", "campaignId": "c1", "itemId": "", "categoryId": "bags"},
        {"offerId": "nope", "campaignId": "c9", "itemId": "i404", "categoryId": ""},
    ],
    "catalog": [
        {
            "offerId": "o1",
            "campaignId": "c1",
            "kind": "flash",
            "salePriceMinor": 6000,
            "stock": 10,
            "totalBudgetMinor": 100000,
        },
        {
            "offerId": "o3",
            "campaignId": "c1",
            "kind": "spend_save",
            "thresholdMinor": 5000,
            "saveMinor": 700,
        },
    ],
}


def in_memory(
    events: list[tuple[str, FeatureEvent]], request: dict[str, object] = REQUEST
) -> dict[str, object]:
    """What the feature service computes from the same events, applied as they stream in."""
    req = parse_request(request)
    seen = sorted(((u, e) for u, e in events if e.time_ms <= AS_OF), key=lambda ue: ue[1].time_ms)
    user = UserState(SPEC.sequence.max_length, SPEC.params.lookback_hours)
    items: dict[str, ItemState] = {}
    offers: dict[tuple[str, str], OfferState] = {}
    spent: dict[str, float] = defaultdict(float)
    for u, e in seen:
        if u == req.user_id:
            user.apply(e)
        items.setdefault(e.item_id, ItemState(720)).apply(e)
        offers.setdefault((e.campaign_id, e.offer_id), OfferState(720)).apply(e)
        if e.offer_id and e.type == "offer_redeem":
            spent[e.campaign_id] += e.discount_minor
    states = []
    for c in req.candidates:
        cat = req.catalog.get(c.offer_id)
        states.append(
            CandidateState(
                item=items.get(c.item_id) if c.item_id else None,
                offer=offers.get((c.campaign_id, c.offer_id)) if c.offer_id else None,
                catalog=cat,
                campaign_spent_minor=spent[cat.campaign_id] if cat else 0,
            )
        )
    return compute_response(SPEC, req, user, states)


def test_vectors_from_clickhouse_rows_equal_the_in_memory_ones_at_the_same_instant() -> None:
    events = history()
    ch = FakeClickHouse(SHOP, events)
    offline = features_for_request(FeatureStore(ch, SPEC), parse_request(REQUEST))
    online = in_memory(events)
    assert offline == online
    assert offline["user_cold_start"] is False
    assert [s["event_id"] for s in offline["sequence"]] == [
        "a6",
        "a5",
        "a8",
        "a2",
        "a3",
        "a4",
        "a1",
    ]
    o1 = offline["candidates"][0]["values"]
    assert o1[SPEC.candidate_index["o_stock_known"]] == 1
    assert o1[SPEC.candidate_index["o_budget_left"]] == pytest.approx(1 - 6500 / 100000, rel=1e-6)
    # Items and offers without an id are not queried; catalog offers without budget need no spend.
    assert not any("item_id = ''" in q or "offer_id = ''" in q for q in ch.queries)


def test_hour_buckets_not_starting_a_utc_hour_are_refused() -> None:
    class OddZone(FakeClickHouse):
        def query_json_rows(self, sql: str) -> list[dict[str, object]]:
            rows = super().query_json_rows(sql)
            return [
                {**r, "hour_ts": int(r["hour_ts"]) + 1800} if "hour_ts" in r else r for r in rows
            ]  # type: ignore[call-overload]

    with pytest.raises(ClickHouseError, match="UTC hour"):
        features_for_request(FeatureStore(OddZone(SHOP, history()), SPEC), parse_request(REQUEST))


def test_an_item_price_or_category_seen_after_as_of_is_read_as_it_was_then() -> None:
    events = history()
    # i1 gets a new price and category after as_of; i2 had none before as_of at all.
    events.append(("u-other", ev("p1", "view", -3, price_minor=12345, cat="boots")))
    events.append(("u-other", ev("p2", "click", -3, item="i2", cat="", price_minor=99)))
    events = [(u, e) for u, e in events if not (e.item_id == "i2" and e.time_ms <= AS_OF)]
    request = {
        **REQUEST,
        "candidates": [
            {"offerId": "o1", "campaignId": "c1", "itemId": "i1", "categoryId": ""},
            {"offerId": "o1", "campaignId": "c1", "itemId": "i2", "categoryId": ""},
        ],
    }
    ch = FakeClickHouse(SHOP, events)
    offline = features_for_request(FeatureStore(ch, SPEC), parse_request(request))
    assert offline == in_memory(events, request)
    i1, i2 = (c["values"] for c in offline["candidates"])
    assert i1[SPEC.candidate_index["i_price"]] == pytest.approx(math.log1p(70), rel=1e-6)
    assert i2[SPEC.candidate_index["i_price_known"]] == 0
    assert sum("n_price" in q for q in ch.queries) == 2


def test_events_later_in_the_hour_of_as_of_are_not_read() -> None:
    """The aggregates count the hour holding as_of in full; the store must not."""
    events = history()
    # All in as_of's hour (14:00-15:00), after as_of (14:30): for the user, the item, the
    # offer and the campaign's spend. None may change any value.
    late = [
        ("u'me\\", ev("soon1", "purchase", -0.2, price_minor=5000, quantity=3)),
        ("u'me\\", ev("soon2", "add_to_cart", -0.1, item="i2", cat="bags", price_minor=10)),
        ("u-other", ev("soon3", "view", -0.3, price_minor=7000)),
        (
            "u-other",
            ev(
                "soon4",
                "offer_redeem",
                -0.25,
                "",
                "",
                offer_id="o1",
                campaign_id="c1",
                discount_minor=50000,
            ),
        ),
    ]
    assert all(hour_of(e.time_ms) == hour_of(AS_OF) and e.time_ms > AS_OF for _, e in late)
    before = features_for_request(
        FeatureStore(FakeClickHouse(SHOP, events), SPEC), parse_request(REQUEST)
    )
    after = features_for_request(
        FeatureStore(FakeClickHouse(SHOP, events + late), SPEC), parse_request(REQUEST)
    )
    assert after == before == in_memory(events)
