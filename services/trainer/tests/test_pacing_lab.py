"""The pacing lab's pure parts: the pacer's rules, the replay, variants."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from offerstream_trainer.lab import LabError, TruthRow
from offerstream_trainer.pacing_lab import (
    Candidate,
    PacedDecision,
    PacerRules,
    Plan,
    key_values,
    load_decisions,
    parse_rules,
    read_report,
    replay,
    run_variants,
    unbudgeted,
)
from support import needs_clickhouse, scratch_database

HOUR = 3_600_000


def test_the_rules_price_as_bandit_policys_pacer() -> None:
    # budget-pacer.service.spec / pacing.service.spec: 4 % of the budget above the plan.
    rules = PacerRules()
    assert rules.price(5_400, 5_000, 10_000) == pytest.approx(((0.04 + 0.015) / 0.02) ** 2)
    # Below the floor (1.5 % under the plan): no price; far above: capped at 10.
    assert rules.price(4_800, 5_000, 10_000) == 0.0
    assert rules.price(9_000, 5_000, 10_000) == 10.0
    assert PacerRules(max_price=1.0).price(9_000, 5_000, 10_000) == 1.0


def test_rules_and_variants_are_validated() -> None:
    with pytest.raises(LabError):
        PacerRules(floor=0.01, ceiling=0.0)
    with pytest.raises(LabError):
        PacerRules(ramp_price=0.0)
    name, rules = parse_rules("wide:floor=-0.05,ceiling=0.01,max_price=2")
    assert name == "wide"
    assert (rules.floor, rules.ceiling, rules.max_price) == (-0.05, 0.01, 2.0)
    for bad in ["nocolon=1", "x:floor", "x:speed=2", "x:floor=abc", ":floor=1"]:
        with pytest.raises(LabError):
            parse_rules(bad)


def test_the_plan_interpolates_between_its_points() -> None:
    plan = Plan([(0, 0.0), (10, 100.0), (20, 100.0)])
    assert plan(-5) == 0.0
    assert plan(5) == 50.0
    assert plan(15) == 100.0
    assert plan(25) == 100.0
    with pytest.raises(LabError):
        Plan([(0, 0.0), (0, 1.0)])


def decisions(n: int, value: float = 100.0, cost: float = 50.0) -> list[PacedDecision]:
    """n decisions an hour apart, one offer worth `value` (truth the same) costing `cost`."""
    return [
        PacedDecision(
            f"d{i}",
            i * HOUR,
            (Candidate("o", value, cost, 2 * cost, 2 * cost),),
            {"o": value},
        )
        for i in range(n)
    ]


def test_without_pressure_the_replay_is_the_greedy_choice() -> None:
    ds = decisions(10)
    plan = Plan([(0, 1e9), (10 * HOUR, 1e9)])  # the whole budget planned from the start
    r = replay(
        ds, plan, 1e9, PacerRules(), warmup_end_ms=0, cost_ratio=1.0, count_lag_ms=HOUR, rng=None
    )
    assert r.earned == unbudgeted(ds, 0) == 1000.0
    assert r.spent == 500.0
    assert r.priced == 0


def test_a_tight_budget_is_never_overspent_and_its_plan_prices() -> None:
    ds = decisions(100)
    budget = 1_000.0  # twenty offers' expected cost, fewer holds
    plan = Plan([(0, 0.0), (100 * HOUR, budget)])
    for seed in range(5):
        r = replay(
            ds,
            plan,
            budget,
            PacerRules(),
            warmup_end_ms=50 * HOUR,
            cost_ratio=1.0,
            count_lag_ms=HOUR,
            rng=random.Random(seed),
        )
        assert r.spent <= budget
        assert r.priced > 0
        assert r.earned < unbudgeted(ds, 50 * HOUR)


def test_draws_are_paired_by_seed_and_spread_the_result() -> None:
    ds = decisions(200)
    budget = 2_000.0
    plan = Plan([(0, 0.0), (200 * HOUR, budget)])
    kw = {"warmup_end_ms": 0, "cost_ratio": 1.0, "count_lag_ms": 2 * HOUR, "seeds": 8}
    a = run_variants(ds, plan, budget, [("a", PacerRules())], **kw)  # type: ignore[arg-type]
    b = run_variants(ds, plan, budget, [("a", PacerRules())], **kw)  # type: ignore[arg-type]
    assert [r.earned for r in a[1].runs] == [r.earned for r in b[1].runs]
    assert a[0].name == "a (deterministic)" and len(a[0].runs) == 1
    assert len(a[1].runs) == 8 and a[1].sd > 0


def test_read_report_and_key_values(tmp_path: Path) -> None:
    p = tmp_path / "market-double-11-1.json"
    p.write_text(
        json.dumps(
            {
                "settings": {
                    "totalBudgetMinor": 1000,
                    "budgetPlan": [{"tMs": 0, "value": 0}, {"tMs": 10, "value": 1000}],
                    "warmupEndMs": 5,
                },
                "arms": [
                    {"name": "oracle", "trueAfterWarmupMinor": 400, "spentMinor": 1000},
                    {"name": "offerstream-model", "trueAfterWarmupMinor": 300, "spentMinor": 900},
                ],
            }
        ),
        encoding="utf-8",
    )
    report = read_report(p)
    assert (report.budget, report.oracle, report.arm_spent) == (1000.0, 400.0, 900.0)
    assert report.plan(5) == 500.0
    results = run_variants(
        decisions(4),
        report.plan,
        report.budget,
        [("bandit-policy", PacerRules())],
        warmup_end_ms=0,
        cost_ratio=1.0,
        count_lag_ms=1,
        seeds=2,
    )
    line = key_values(results, report)
    assert line.startswith("bandit_policy_share=")
    assert "deterministic" not in line
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(LabError):
        read_report(tmp_path / "bad.json")


@needs_clickhouse
def test_load_decisions_reads_the_logged_candidates_from_clickhouse() -> None:
    # Two decisions of the arm's shop: d1 shown offer "a" (held 1.5 x its redemption cost,
    # the cart headroom), "b" unscored; d2 shown nothing. A replica's re-delivered row of d1's
    # "a" collapses; another shop's decision and the holdout are not read.
    def cand(d: str, offer: str, **kw: object) -> dict[str, object]:
        row: dict[str, object] = {
            "decision_id": d,
            "shop_id": "demo-1-model",
            "offer_id": offer,
            "served_at": 1_700_000_000,
            "served_at_ms": 1_700_000_000_000,
            "scored": 1,
            "expected_value_minor": 120.0,
            "expected_cost_minor": 40.0,
            "redemption_cost_minor": 200.0,
            "reserved_minor": 0,
            "rank": 0,
            "holdout": 0,
        }
        row.update(kw)
        return row

    with scratch_database("pacing_it") as ch:
        ch.insert_json_rows(
            "decision_candidates",
            [
                cand("d1", "a", rank=1, reserved_minor=300),
                cand("d1", "a", rank=1, reserved_minor=300),
                cand("d1", "b", scored=0),
                cand("d2", "a", expected_value_minor=-5.0),
                cand("d3", "a", shop_id="other"),
                cand("d4", "a", holdout=1),
            ],
        )
        truth = {
            "d2": TruthRow("persuadable", 2_000, {"a": 7.0}),
            "d1": TruthRow("sure_thing", 1_000, {"a": -3.0, "b": 1.0}),
        }
        decisions, shown_expected = load_decisions(ch, "demo-1-model", truth)
    assert [d.decision_id for d in decisions] == ["d1", "d2"]
    assert shown_expected == 40.0
    (a,) = decisions[0].candidates
    assert (a.offer_id, a.value, a.expected_cost, a.redemption_cost) == ("a", 120.0, 40.0, 200.0)
    assert a.hold == 300.0
    # The hold factor is the offer's, learned where it was shown: d2's "a" holds 1.5 x too.
    assert decisions[1].candidates[0].hold == 300.0
    assert decisions[1].truth == {"a": 7.0}
