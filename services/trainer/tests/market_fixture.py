"""A tiny stand-in for the market simulator's `dataset` command (tools/market).

Writes the same JSON lines `node tools/market/dist/cli.js dataset` writes:
`{"table": "events"|"decisions"|"decision_candidates"|"rewards", "row": {ClickHouse columns}}`
and `{"table": "truth", "row": {shop_id, user_id, user_type, p_buy_no_offer,
p_buy_with_offer: {offer_id: p}}}`, all within the 3 days before `end_ms`, feature arrays
empty, decisions under a uniformly random policy plus a holdout.

Planted ground truth: four user types (sure_thing buys either way, persuadable buys only
with an offer, sleeping_dog is put off by one, lost_cause never buys). A type shows in what
the user browses (each type keeps to its own categories) more than in how much it does, so a
model that reads the sequence has an edge over one that reads counters only.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SHOP = "shop-fixture"
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
CATEGORIES = [f"cat-{k}" for k in range(12)]
OFFERS = [("o-pct10", "c-spring"), ("o-amt5", "c-spring"), ("o-ship", "c-loyal")]
CAMPAIGNS = sorted({c for _, c in OFFERS})
WINDOW_S = 6 * 3600

TYPES = {
    # share, p_buy_no_offer, p_buy_with_offer, p_click, home categories, events per day
    "sure_thing": (0.25, 0.40, 0.42, 0.20, (0, 1, 2), 14),
    "persuadable": (0.30, 0.04, 0.36, 0.45, (3, 4, 5), 12),
    "sleeping_dog": (0.20, 0.34, 0.06, 0.10, (6, 7, 8), 12),
    "lost_cause": (0.25, 0.02, 0.03, 0.05, (9, 10, 11), 9),
}
OFFER_EFFECT = {"o-pct10": 1.1, "o-amt5": 1.0, "o-ship": 0.9}


def _event(eid: str, etype: str, user: str, t: int, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "event_id": eid,
        "event_type": etype,
        "shop_id": SHOP,
        "user_id": user,
        "session_id": "",
        "event_time": t // 1000,
        "event_time_ms": t,
        "item_id": "",
        "category_id": "",
        "order_id": "",
        "search_query": "",
        "offer_id": "",
        "campaign_id": "",
        "decision_id": "",
        "price_minor": 0,
        "currency": "EUR",
        "quantity": 0,
        "discount_minor": 0,
        "unit_cost_minor": None,
        "channel": "web",
        "device": "mobile",
        "attribute_keys": [],
        "attribute_values": [],
        "ingested_at": t // 1000 + 1,
    }
    row.update(kw)
    return row


def _decision(did: str, user: str, t: int, holdout: list[str]) -> dict[str, object]:
    return {
        "decision_id": did,
        "shop_id": SHOP,
        "user_id": user,
        "session_id": "",
        "served_at": t // 1000,
        "served_at_ms": t,
        "placement_id": "home-banner",
        "page_type": "PAGE_TYPE_PRODUCT",
        "context_item_id": "",
        "context_category_id": "",
        "cart_value_minor": 0,
        "currency": "EUR",
        "device": "DEVICE_TYPE_MOBILE",
        "channel": "CHANNEL_WEB",
        "country": "DE",
        "requested_slots": 1,
        "feature_spec_version": "",
        "features_computed_at_ms": 0,
        "user_features": [],
        "user_cold_start": 0,
        "seq_item_ids": [],
        "seq_category_ids": [],
        "seq_types": [],
        "seq_age_seconds": [],
        "seq_price_minor": [],
        "segment": "",
        "policy_version": "uniform-1",
        "model_name": "",
        "model_version": "",
        "holdout": 1 if holdout else 0,
        "holdout_campaign_ids": holdout,
        "no_offer_propensity": 0.0,
        "degraded": 0,
        "degraded_reasons": [],
        "deferred": 0,
        "activation_deadline_ms": 0,
        "served_by": "fixture",
        "kafka_partition": 0,
        "kafka_offset": 0,
        "inserted_at": t // 1000 + 1,
    }


def _candidate(
    did: str, user: str, t: int, offer: str, campaign: str, rank: int, holdout: int, p: float
) -> dict[str, object]:
    return {
        "decision_id": did,
        "shop_id": SHOP,
        "user_id": user,
        "served_at": t // 1000,
        "served_at_ms": t,
        "offer_id": offer,
        "campaign_id": campaign,
        "item_id": "",
        "feature_index": -1,
        "candidate_features": [],
        "policy_features": [],
        "scored": 0,
        "p_click": 0.0,
        "p_purchase": 0.0,
        "p_purchase_given_offer": 0.0,
        "p_purchase_no_offer": 0.0,
        "uplift": 0.0,
        "expected_value_minor": 0.0,
        "selection_probability": p,
        "policy": "POLICY_TYPE_EPSILON_GREEDY",
        "rank": rank,
        "propensity": p,
        "propensity_method": "exact",
        "explored": 1,
        "holdout": holdout,
        "segment": "",
        "attribution_window_s": WINDOW_S,
        "default_margin_rate": 0.3,
        "objective": "OBJECTIVE_INCREMENTAL_PROFIT",
        "reserved_minor": 0,
        "reserved_stock": 0,
        "currency": "EUR",
        "deferred": 0,
        "activation_deadline_ms": 0,
        "kafka_partition": 0,
        "inserted_at": t // 1000 + 1,
    }


def _reward(
    did: str, user: str, t: int, offer: str, campaign: str, rank: int, revision: int, **kw: object
) -> dict[str, object]:
    row: dict[str, object] = {
        "reward_id": f"{did}:{rank}",
        "revision": revision,
        "decision_id": did,
        "shop_id": SHOP,
        "user_id": user,
        "offer_id": offer,
        "campaign_id": campaign,
        "rank": rank,
        "holdout": 0 if rank else 1,
        "propensity": 1.0,
        "policy": "POLICY_TYPE_EPSILON_GREEDY",
        "segment": "",
        "policy_features": [],
        "clicked": 0,
        "purchased": 0,
        "redeemed": 0,
        "currency": "EUR",
        "revenue_minor": 0,
        "margin_minor": 0,
        "discount_cost_minor": 0,
        "incremental_profit_minor": 0,
        "reward_value": 0.0,
        "reward_definition": "REWARD_DEFINITION_CONVERSION",
        "served_at": t // 1000,
        "served_at_ms": t,
        "window_end_ms": t + WINDOW_S * 1000,
        "attributed_event_ids": [],
        "order_ids": [],
        "computed_at": (t + WINDOW_S * 1000) // 1000,
        "computed_at_ms": t + WINDOW_S * 1000 + revision,
        "final": 1,
        "kafka_partition": 0,
    }
    row.update(kw)
    return row


def write_dataset(path: Path, *, users: int, end_ms: int, seed: int) -> Path:
    """Writes the JSONL dataset; returns `path`."""
    rng = random.Random(seed)
    start = end_ms - 3 * DAY_MS
    names = list(TYPES)
    shares = [TYPES[n][0] for n in names]
    out: list[dict[str, object]] = []
    items = {c: [f"{c}-i{j}" for j in range(15)] for c in CATEGORIES}
    price = {i: rng.randrange(500, 9000) for c in CATEGORIES for i in items[c]}
    n_ev = 0

    def emit(table: str, row: dict[str, object]) -> None:
        out.append({"table": table, "row": row})

    for u in range(users):
        user = f"u{u:05d}"
        kind = rng.choices(names, weights=shares)[0]
        _, p_no, p_with, p_click, home, per_day = TYPES[kind]
        emit(
            "truth",
            {
                "shop_id": SHOP,
                "user_id": user,
                "user_type": kind,
                "p_buy_no_offer": p_no,
                "p_buy_with_offer": {o: min(1.0, p_with * OFFER_EFFECT[o]) for o, _ in OFFERS},
            },
        )
        # Browsing: a Poisson number of events over the 3 days, mostly in the home categories.
        n_browse = round(per_day * 3 * rng.uniform(0.6, 1.4))
        times = sorted(rng.randrange(start, end_ms - WINDOW_S * 1000) for _ in range(n_browse))
        for t in times:
            cat = CATEGORIES[rng.choice(home)] if rng.random() < 0.8 else rng.choice(CATEGORIES)
            item = rng.choice(items[cat])
            etype = rng.choice(["view", "view", "click", "add_to_cart", "search"])
            n_ev += 1
            emit(
                "events",
                _event(
                    f"e{n_ev:07d}",
                    etype,
                    user,
                    t,
                    item_id="" if etype == "search" else item,
                    category_id="" if etype == "search" else cat,
                    search_query=cat if etype == "search" else "",
                    price_minor=0 if etype == "search" else price[item],
                    quantity=1 if etype == "add_to_cart" else 0,
                ),
            )
        # Decisions: after the first events, each uniformly random among the offers, or a
        # holdout (20%) of both campaigns.
        n_dec = rng.randrange(2, 6)
        lo = times[min(3, len(times) - 1)] if times else start
        for k, t in enumerate(
            sorted(rng.randrange(lo + 1, end_ms - WINDOW_S * 1000) for _ in range(n_dec))
        ):
            did = f"d-{user}-{k}"
            held = rng.random() < 0.2
            emit("decisions", _decision(did, user, t, CAMPAIGNS if held else []))
            if held:
                for c in CAMPAIGNS:
                    emit("decision_candidates", _candidate(did, user, t, "", c, 0, 1, 1.0))
                buy = rng.random() < p_no
                for c in CAMPAIGNS:
                    emit("rewards", _reward(did, user, t, "", c, 0, 1, purchased=int(buy)))
                clicked, offer, campaign = False, "", ""
            else:
                pick = rng.randrange(len(OFFERS))
                for j, (o, c) in enumerate(OFFERS):
                    emit(
                        "decision_candidates",
                        _candidate(did, user, t, o, c, 1 if j == pick else 0, 0, 1 / len(OFFERS)),
                    )
                offer, campaign = OFFERS[pick]
                p_buy = min(1.0, p_with * OFFER_EFFECT[offer])
                clicked = rng.random() < p_click
                # P(buy) = p_buy overall; buyers mostly click first.
                p_nc = max(0.3 * p_buy, (p_buy - p_click) / (1 - p_click))
                p_c = min(1.0, (p_buy - (1 - p_click) * p_nc) / p_click)
                buy = rng.random() < (p_c if clicked else p_nc)
                n_ev += 1
                emit(
                    "events",
                    _event(
                        f"e{n_ev:07d}",
                        "offer_impression",
                        user,
                        t + 1000,
                        offer_id=offer,
                        campaign_id=campaign,
                        decision_id=did,
                    ),
                )
                if clicked:
                    n_ev += 1
                    emit(
                        "events",
                        _event(
                            f"e{n_ev:07d}",
                            "offer_click",
                            user,
                            t + 20_000,
                            offer_id=offer,
                            campaign_id=campaign,
                            decision_id=did,
                        ),
                    )
                # A provisional revision first, then the final one (readers keep the highest).
                emit("rewards", _reward(did, user, t, offer, campaign, 1, 1, final=0))
                emit(
                    "rewards",
                    _reward(
                        did,
                        user,
                        t,
                        offer,
                        campaign,
                        1,
                        2,
                        clicked=int(clicked),
                        purchased=int(buy),
                        redeemed=int(buy),
                    ),
                )
            if buy:  # the purchase itself, minutes later (same hour mostly): future to `t`
                cat = CATEGORIES[rng.choice(home)]
                item = rng.choice(items[cat])
                n_ev += 1
                emit(
                    "events",
                    _event(
                        f"e{n_ev:07d}",
                        "purchase",
                        user,
                        t + rng.randrange(60_000, 1_800_000),
                        item_id=item,
                        category_id=cat,
                        order_id=f"o{n_ev}",
                        price_minor=price[item],
                        quantity=1,
                        offer_id=offer,
                        campaign_id=campaign,
                        decision_id="" if not offer else did,
                    ),
                )
    with path.open("w", encoding="utf-8") as f:
        for line in out:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
    return path
