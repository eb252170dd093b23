"""The offline lab's pure parts: reading the market's truth, the greedy valuation, variants."""

from __future__ import annotations

import json

import numpy as np
import pytest
from offerstream_trainer.lab import (
    LabError,
    TruthRow,
    expected_profit,
    greedy_score,
    key_values,
    parse_variant,
    read_truth,
)


def line(decision: str, **kw: object) -> str:
    row = {
        "arm": "offerstream-model",
        "decisionId": decision,
        "userId": "u-1",
        "userType": "persuadable",
        "simTimeMs": 1000,
        "holdout": False,
        "offerId": None,
        "truthByOffer": {"a": 100.0, "b": 250.0},
    }
    row.update(kw)
    return json.dumps(row)


def test_read_truth_keeps_the_arms_decisions_outside_its_holdout() -> None:
    rows = read_truth(
        [
            line("d1"),
            line("d2", holdout=True),
            line("d3", arm="oracle"),
            "",
            line("d4", userType="sure_thing", truthByOffer={"a": -50}),
        ]
    )
    assert sorted(rows) == ["d1", "d4"]
    assert rows["d1"].by_offer == {"a": 100.0, "b": 250.0}
    assert rows["d4"].user_type == "sure_thing"


def test_read_truth_names_the_bad_line() -> None:
    with pytest.raises(LabError, match="line 2"):
        read_truth([line("d1"), '{"arm": "offerstream-model"}'])


def test_expected_profit_is_bandit_policys_model_value() -> None:
    v = expected_profit(np.array([0.5]), np.array([0.1]), np.array([2000.0]), np.array([600.0]))
    assert v[0] == pytest.approx(0.4 * 2000 - 0.5 * 600)


def test_expected_profit_values_the_uplift_at_its_lower_bound() -> None:
    # bandit-policy's uplift_lcb: k x sqrt(p0 (1 - p0)) off the uplift; much off a user who
    # buys anyway (p0 0.6), little off one who rarely does (p0 0.05).
    sure = expected_profit(
        np.array([0.8]), np.array([0.6]), np.array([3500.0]), np.array([1000.0]), 0.04
    )
    assert sure[0] == pytest.approx((0.2 - 0.04 * np.sqrt(0.24)) * 3500 - 0.8 * 1000)
    hunter = expected_profit(
        np.array([0.45]), np.array([0.05]), np.array([3500.0]), np.array([1000.0]), 0.04
    )
    assert hunter[0] == pytest.approx((0.4 - 0.04 * np.sqrt(0.0475)) * 3500 - 0.45 * 1000)


def test_greedy_score_takes_the_best_valued_offer_or_nothing() -> None:
    truth = {
        "best": TruthRow("persuadable", 1000, {"a": 100.0, "b": 250.0}),
        "worse": TruthRow("persuadable", 1000, {"a": 100.0, "b": 250.0}),
        "none": TruthRow("persuadable", 1000, {"a": 100.0, "b": 250.0}),
        "harm": TruthRow("sleeping_dog", 1000, {"a": -300.0}),
        "early": TruthRow("persuadable", 10, {"a": 900.0}),
    }
    values = {
        "best": [("a", 5.0), ("b", 9.0)],
        "worse": [("a", 9.0), ("b", 5.0)],
        "none": [("a", -1.0), ("b", 0.0)],
        "harm": [("a", 2.0)],
        "early": [("a", 1.0)],
    }
    s = greedy_score(values, truth, since_sim_ms=100)
    assert s.decisions == 4 and s.offered == 3
    p = s.by_type["persuadable"]
    assert (p.earned, p.oracle, p.missed, p.worse_offer) == (350.0, 750.0, 250.0, 150.0)
    assert s.by_type["sleeping_dog"].harmful == -300.0
    assert s.by_type["sleeping_dog"].oracle == 0.0
    assert s.earned == 50.0 and s.share == pytest.approx(50 / 750)


def test_greedy_score_of_a_decision_without_values_is_a_miss() -> None:
    s = greedy_score({}, {"d": TruthRow("persuadable", 0, {"a": 40.0})})
    assert (s.earned, s.oracle, s.by_type["persuadable"].missed, s.offered) == (0, 40.0, 40.0, 0)


def test_parse_variant_types_the_forest_fields() -> None:
    assert parse_variant("deep:leaves=31,learning_rate=0.05") == (
        "deep",
        {"leaves": 31, "learning_rate": 0.05},
    )
    assert parse_variant("same") == ("same", {})
    assert parse_variant("free:monotone=0") == ("free", {"monotone": False})
    assert parse_variant("m:monotone=true") == ("m", {"monotone": True})
    for bad in (":leaves=3", "x:leaves", "x:depth=3", "x:leaves=many", "x:monotone=yes"):
        with pytest.raises(LabError):
            parse_variant(bad)


def test_key_values_are_key_safe() -> None:
    s = greedy_score({"d": [("a", 1.0)]}, {"d": TruthRow("persuadable", 0, {"a": 40.0})})
    assert key_values([("served", s), ("deep-15", s)]) == "served_share=1.0000 deep_15_share=1.0000"
