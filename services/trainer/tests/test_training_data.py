"""The training-data query against a real ClickHouse: point-in-time features and labels.

Opt-in like test_feature_store_clickhouse.py (OFFERSTREAM_TRAINER_IT_CLICKHOUSE_URL).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from market_fixture import _candidate, _decision, _event, _reward
from offerstream_trainer.clickhouse_http import ClickHouseHttp
from offerstream_trainer.feature_request import features_for_request, parse_request
from offerstream_trainer.feature_spec import load_feature_spec
from offerstream_trainer.feature_store import FeatureStore
from offerstream_trainer.features import HOUR_MS, hour_of
from offerstream_trainer.training_data import TrainingRows, load_training_rows
from support import needs_clickhouse, scratch_database
from test_feature_store import AS_OF, REQUEST, ev, history, in_memory

SPEC = load_feature_spec("fs-1")
T = AS_OF  # 14:30 UTC: the decision's instant, mid-hour
START, END = T - 6 * HOUR_MS, T + 6 * HOUR_MS
WINDOW_MS = 6 * 3600 * 1000
USER = "u-pit"


def past_events() -> list[dict[str, object]]:
    rows = []
    for k in range(8):
        t = T - (k + 1) * 1_700_000  # every ~28 min back from T, some in T's own hour
        rows.append(
            _event(
                f"p{k}",
                "view",
                USER,
                t,
                item_id=f"sku-{k % 3}",
                category_id="shoes",
                price_minor=1000 + k,
            )
        )
    rows.append(
        _event("imp0", "offer_impression", "u-else", T - 600_000, offer_id="o1", campaign_id="c1")
    )
    return rows


def decision_rows() -> dict[str, list[dict[str, object]]]:
    return {
        "decisions": [_decision("d1", USER, T, [])],
        "decision_candidates": [
            _candidate("d1", USER, T, "o1", "c1", 1, 0, 0.5),
            _candidate("d1", USER, T, "o2", "c1", 0, 0, 0.5),
        ],
        "rewards": [_reward("d1", USER, T, "o1", "c1", 1, 1, clicked=1, purchased=1)],
    }


def load(ch: ClickHouseHttp, tables: dict[str, list[dict[str, object]]]) -> TrainingRows:
    for table, rows in tables.items():
        ch.insert_json_rows(table, rows)
    return load_training_rows(ch, SPEC, START, END, observed_until_ms=END + WINDOW_MS)


def row_features(rows: TrainingRows, i: int = 0) -> dict[str, object]:
    x = rows.inputs(SPEC.sequence.max_length, 1009)
    return {k: v[i].tolist() for k, v in x.items()}


@needs_clickhouse
def test_a_planted_future_event_does_not_reach_the_training_row() -> None:
    # The future: the outcome of the decision itself and more, minutes after T and in T's
    # hour bucket (which the hourly aggregates hold in full), for the user, the offer and
    # the item.
    planted = [
        _event(
            "f1",
            "purchase",
            USER,
            T + 120_000,
            item_id="sku-0",
            category_id="bags",
            order_id="x",
            price_minor=99999,
            quantity=3,
            offer_id="o1",
            campaign_id="c1",
            decision_id="d1",
        ),
        _event(
            "f2", "offer_click", USER, T + 60_000, offer_id="o1", campaign_id="c1", decision_id="d1"
        ),
        _event("f3", "offer_impression", "u-else", T + 30_000, offer_id="o1", campaign_id="c1"),
        _event(
            "f4",
            "add_to_cart",
            USER,
            T + 1,
            item_id="sku-9",
            category_id="hats",
            price_minor=5,
            quantity=1,
        ),
    ]
    assert all(hour_of(int(e["event_time_ms"])) == hour_of(T) for e in planted)  # type: ignore[arg-type]
    with scratch_database() as clean, scratch_database() as leaky, scratch_database() as past:
        a = load(clean, {"events": past_events(), **decision_rows()})
        b = load(leaky, {"events": past_events() + planted, **decision_rows()})
        assert len(a) == len(b) == 1
        assert row_features(a) == row_features(b)
        assert b.purchased[0] == 1 and b.clicked[0] == 1  # the outcome is the label, not a feature
        # The same events a minute before T do change the row: the check is not vacuous.
        moved = [
            dict(e, event_time_ms=T - 60_000, event_time=(T - 60_000) // 1000) for e in planted
        ]
        c = load(past, {"events": past_events() + moved, **decision_rows()})
        assert row_features(c) != row_features(a)


@needs_clickhouse
def test_labels_take_the_latest_revision_and_each_held_out_campaign_its_own_reward() -> None:
    t2, t3, t4 = T + 1000, T + 2000, END - 1000  # t4: window still open at observed_until
    rows = {
        "events": past_events(),
        "decisions": [
            _decision("d1", USER, T, []),
            _decision("d2", USER, t2, ["c1", "c2"]),
            _decision("d3", "u-3", t3, []),
            _decision("d4", "u-4", t4, []),
        ],
        "decision_candidates": [
            _candidate("d1", USER, T, "o1", "c1", 1, 0, 0.5),
            _candidate("d1", USER, T, "o1", "c1", 1, 0, 0.5),  # re-delivered
            _candidate("d2", USER, t2, "", "c1", 0, 1, 1.0),
            _candidate("d2", USER, t2, "", "c2", 0, 1, 1.0),
            _candidate("d3", "u-3", t3, "o2", "c1", 1, 0, 0.5),
            _candidate("d4", "u-4", t4, "o2", "c1", 1, 0, 0.5),
        ],
        "rewards": [
            _reward("d1", USER, T, "o1", "c1", 1, 1, clicked=1, final=0),
            _reward("d1", USER, T, "o1", "c1", 1, 2, clicked=1, purchased=1, redeemed=1),
            _reward("d2", USER, t2, "", "c1", 0, 1, purchased=1),
            _reward("d2", USER, t2, "", "c2", 0, 1, purchased=0),
        ],
    }
    with scratch_database() as ch:
        for table, r in rows.items():
            ch.insert_json_rows(table, r)
        observed = T + WINDOW_MS + 10_000  # d1-d3's windows have closed by then, d4's not
        got = load_training_rows(ch, SPEC, START, END, observed_until_ms=observed)
        by = {
            (d, c): i for i, (d, c) in enumerate(zip(got.decision_id, got.campaign_id, strict=True))
        }
        assert sorted(by) == [("d1", "c1"), ("d2", "c1"), ("d2", "c2"), ("d3", "c1")]
        i = by[("d1", "c1")]
        assert (got.treated[i], got.clicked[i], got.purchased[i], got.redeemed[i]) == (1, 1, 1, 1)
        assert (got.treated[by[("d2", "c1")]], got.purchased[by[("d2", "c1")]]) == (0, 1)
        assert got.purchased[by[("d2", "c2")]] == 0
        assert got.purchased[by[("d3", "c1")]] == 0  # window closed, no reward: no outcome
        assert got.counts["rows_window_open"] == 1 and got.counts["rows_without_reward"] == 1
        dropped = load_training_rows(
            ch, SPEC, START, END, observed_until_ms=observed, missing_reward="drop"
        )
        assert "d3" not in dropped.decision_id and len(dropped) == 3


@needs_clickhouse
def test_every_candidate_reads_each_offer_the_decision_could_have_shown() -> None:
    """The offline lab (lab.py) values every scored offer, shown or not; held-out rows and
    the no-offer arm are not choices."""
    rows = {
        "events": past_events(),
        "decisions": [_decision("d1", USER, T, ["c2"])],
        "decision_candidates": [
            _candidate("d1", USER, T, "o1", "c1", 1, 0, 0.5),
            _candidate("d1", USER, T, "o2", "c1", 0, 0, 0.5),
            _candidate("d1", USER, T, "o3", "c2", 0, 1, 1.0),
            _candidate("d1", USER, T, "", "c2", 0, 1, 1.0),
        ],
        "rewards": [_reward("d1", USER, T, "o1", "c1", 1, 1, purchased=1)],
    }
    with scratch_database() as ch:
        for table, r in rows.items():
            ch.insert_json_rows(table, r)
        observed = END + WINDOW_MS
        every = load_training_rows(
            ch, SPEC, START, END, observed_until_ms=observed, every_candidate=True
        )
        assert sorted(zip(every.offer_id, every.treated.tolist(), strict=True)) == [
            ("o1", 1.0),
            ("o2", 0.0),
        ]
        arms = load_training_rows(ch, SPEC, START, END, observed_until_ms=observed)
        assert sorted(arms.offer_id) == ["", "o1"]


@needs_clickhouse
def test_features_logged_with_the_decision_are_used_as_logged() -> None:
    user = [float(k) / 10 for k in range(len(SPEC.user))]
    cand = [float(k) / 100 for k in range(len(SPEC.candidate))]
    d = _decision("d1", USER, T, [])
    d.update(
        feature_spec_version="fs-1",
        user_features=user,
        seq_item_ids=["sku-1", ""],
        seq_category_ids=["shoes", ""],
        seq_types=["EVENT_TYPE_VIEW", "EVENT_TYPE_SEARCH"],
        seq_age_seconds=[7200, 60],
        seq_price_minor=[100, 0],
    )
    c = _candidate("d1", USER, T, "o1", "c1", 1, 0, 0.5)
    c["candidate_features"] = cand
    with scratch_database() as ch:
        got = load(
            ch,
            {
                "events": past_events(),
                "decisions": [d],
                "decision_candidates": [c],
                "rewards": decision_rows()["rewards"],
            },
        )
    assert got.counts["user_features_logged"] == 1 and "user_features_recomputed" not in got.counts
    assert np.allclose(got.user[0], user) and np.allclose(got.candidate[0], cand)
    x = got.inputs(4, 1009)
    assert x["seq_type"][0].tolist() == [0, 0, 1, 3]
    assert x["seq_age"][0][2] == pytest.approx(np.log1p(2.0), rel=1e-6)


@needs_clickhouse
def test_the_feature_store_does_not_read_events_later_in_the_hour_of_as_of() -> None:
    events = history()
    late = [
        ("u'me\\", ev("soon1", "purchase", -0.2, price_minor=5000, quantity=3)),
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

    def row(user: str, e: object) -> dict[str, object]:
        return _event(
            e.event_id,
            e.type,
            user,
            int(e.time_ms),
            item_id=e.item_id,  # type: ignore[attr-defined]
            category_id=e.category_id,
            offer_id=e.offer_id,  # type: ignore[attr-defined]
            campaign_id=e.campaign_id,
            price_minor=int(e.price_minor),  # type: ignore[attr-defined]
            quantity=int(e.quantity),
            discount_minor=int(e.discount_minor),  # type: ignore[attr-defined]
        ) | {"shop_id": REQUEST["shop_id"]}

    with scratch_database() as ch:
        ch.insert_json_rows("events", [row(u, e) for u, e in events + late])
        offline = features_for_request(FeatureStore(ch, SPEC), parse_request(REQUEST))
    assert json.dumps(offline, sort_keys=True) == json.dumps(in_memory(events), sort_keys=True)
