"""Point-in-time features for many decisions at once, by replaying raw events in time order.

The per-request reads of feature_store.py cost a dozen queries per decision; a training set
has many thousands. This reads a shop's raw `events` once, in event-time order, and feeds
them to the very state classes the feature service keeps in memory (features.UserState,
ItemState, OfferState: the code the feature parity tests pin to the service). Just before an
event later than a decision's instant is applied, that decision's vectors are computed: so
each sees exactly the events with event_time_ms <= served_at_ms, as the service online did,
and nothing from its future (its own outcome events included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from .clickhouse_http import parse_int, sql_literal
from .feature_spec import FeatureSpec
from .features import (
    HOUR_MS,
    CandidateInput,
    CandidateState,
    CandidateVector,
    CatalogOffer,
    ContextInput,
    FeatureEvent,
    ItemState,
    OfferState,
    SequenceItem,
    UserState,
    UserVector,
    candidate_features,
    hour_of,
    user_features,
    visible_sequence,
)


@dataclass(frozen=True)
class ReplayRequest:
    """One row whose features are wanted: a user and a candidate at an instant."""

    key: object
    user_id: str
    as_of_ms: int
    context: ContextInput
    candidate: CandidateInput


@dataclass(frozen=True)
class ReplayResult:
    user: UserVector
    candidate: CandidateVector
    sequence: list[SequenceItem]


def shop_events_sql(shop_id: str, from_ms: int, to_ms: int) -> str:
    """A shop's raw events in [from_ms, to_ms], in replay order (time, then id)."""
    lo, hi = max(0, from_ms), max(0, to_ms)
    return (
        "SELECT event_id, event_type, user_id, event_time_ms, item_id, category_id, offer_id,"
        " campaign_id, price_minor, quantity, discount_minor FROM events"
        f" WHERE shop_id = {sql_literal(shop_id)}"
        f" AND event_time >= toDateTime({sql_literal(lo // 1000)})"
        f" AND event_time <= toDateTime({sql_literal(hi // 1000)})"
        f" AND event_time_ms >= {sql_literal(from_ms)} AND event_time_ms <= {sql_literal(to_ms)}"
        " ORDER BY event_time_ms, event_id"
    )


def _event(row: Mapping[str, object]) -> tuple[str, FeatureEvent]:
    def s(k: str) -> str:
        v = row.get(k, "")
        return v if isinstance(v, str) else str(v)

    return s("user_id"), FeatureEvent(
        event_id=s("event_id"),
        type=s("event_type"),
        time_ms=parse_int(row["event_time_ms"]),
        item_id=s("item_id"),
        category_id=s("category_id"),
        offer_id=s("offer_id"),
        campaign_id=s("campaign_id"),
        price_minor=parse_int(row.get("price_minor", 0)),
        quantity=parse_int(row.get("quantity", 0)),
        discount_minor=parse_int(row.get("discount_minor", 0)),
    )


def _dedup(rows: Iterable[Mapping[str, object]]) -> Iterator[tuple[str, FeatureEvent]]:
    """Drops re-delivered copies `events` has not collapsed yet (adjacent in replay order)."""
    last: tuple[float, str] | None = None
    for row in rows:
        user, e = _event(row)
        if last == (e.time_ms, e.event_id):
            continue
        last = (e.time_ms, e.event_id)
        yield user, e


def replay(
    spec: FeatureSpec,
    events: Iterable[Mapping[str, object]],
    requests: list[ReplayRequest],
    catalog: Mapping[str, CatalogOffer] | None = None,
    on_progress: Callable[[int], None] | None = None,
    prior_redemptions: Mapping[tuple[str, str], float] | None = None,
    prior_spent: Mapping[str, float] | None = None,
) -> dict[object, ReplayResult]:
    """Features of every request, from one shop's events in replay order (see module doc).

    Lifetime totals (an offer's redemptions, a campaign's spend) start from
    `prior_redemptions` / `prior_spent`: what happened before the first replayed event.
    """
    catalog = catalog or {}
    lookback = spec.params.lookback_hours
    todo = sorted(requests, key=lambda r: r.as_of_ms)
    users = {r.user_id: UserState(spec.sequence.max_length, lookback) for r in todo}
    items = {r.candidate.item_id: ItemState(lookback) for r in todo if r.candidate.item_id}
    offers = {
        (r.candidate.campaign_id, r.candidate.offer_id): OfferState(lookback)
        for r in todo
        if r.candidate.offer_id
    }
    for key, n in (prior_redemptions or {}).items():
        if key in offers:
            offers[key].lifetime_redemptions = n
    spent: dict[str, float] = dict(prior_spent or {})
    out: dict[object, ReplayResult] = {}
    nxt = 0
    # Arms of one decision (several held-out campaigns) share the user side.
    user_side: dict[tuple[str, int, ContextInput], tuple[UserVector, list[SequenceItem]]] = {}

    def flush(until_ms: float) -> None:
        """Computes every request whose instant is before `until_ms`."""
        nonlocal nxt
        done = nxt
        while nxt < len(todo) and todo[nxt].as_of_ms < until_ms:
            r = todo[nxt]
            user = users[r.user_id]
            c = r.candidate
            cat = catalog.get(c.offer_id)
            state = CandidateState(
                item=items.get(c.item_id) if c.item_id else None,
                offer=offers.get((c.campaign_id, c.offer_id)) if c.offer_id else None,
                catalog=cat,
                campaign_spent_minor=spent.get(cat.campaign_id, 0.0) if cat else 0.0,
            )
            uk = (r.user_id, r.as_of_ms, r.context)
            if uk not in user_side:
                user_side[uk] = (
                    user_features(spec, user, r.context, r.as_of_ms),
                    visible_sequence(spec, user, r.as_of_ms),
                )
            uv, seq = user_side[uk]
            out[r.key] = ReplayResult(
                user=uv,
                candidate=candidate_features(spec, c, state, user, r.context, r.as_of_ms),
                sequence=seq,
            )
            nxt += 1
        if on_progress is not None and nxt > done:
            on_progress(nxt - done)

    for user_id, e in _dedup(events):
        flush(e.time_ms)
        if nxt == len(todo):
            break
        u = users.get(user_id)
        if u is not None:
            u.apply(e)
        it = items.get(e.item_id) if e.item_id else None
        if it is not None:
            it.apply(e)
        of = offers.get((e.campaign_id, e.offer_id)) if e.offer_id else None
        if of is not None:
            of.apply(e)
        if e.offer_id and e.type == "offer_redeem":
            spent[e.campaign_id] = spent.get(e.campaign_id, 0.0) + e.discount_minor
    flush(float("inf"))
    return out


def replay_window(requests: list[ReplayRequest], spec: FeatureSpec) -> tuple[int, int]:
    """The events a replay for `requests` needs: from the start of the hour a lookback before
    the first (so lifetime totals before it can come from the hourly aggregates), to the last."""
    first = min(r.as_of_ms for r in requests)
    last = max(r.as_of_ms for r in requests)
    return hour_of(first - spec.params.lookback_hours * HOUR_MS) * HOUR_MS, last


def prior_redemptions_sql(shop_id: str, before_hour: int) -> str:
    """Redemptions per offer in the hours before `before_hour` (lifetime totals' head start)."""
    return (
        "SELECT campaign_id, offer_id, sum(redemptions) AS n FROM offer_hourly"
        f" WHERE shop_id = {sql_literal(shop_id)}"
        f" AND hour < toDateTime({sql_literal(max(0, before_hour) * 3600)})"
        " GROUP BY campaign_id, offer_id"
    )


def prior_spent_sql(shop_id: str, before_hour: int) -> str:
    """Discount cost per campaign in the hours before `before_hour`."""
    return (
        "SELECT campaign_id, sum(discount_cost_minor) AS spent FROM offer_hourly"
        f" WHERE shop_id = {sql_literal(shop_id)}"
        f" AND hour < toDateTime({sql_literal(max(0, before_hour) * 3600)})"
        " GROUP BY campaign_id"
    )
