"""The offline lab: how would a learner have acted on decisions that were served, valued with
the market simulator's ground truth?

`offerstream-trainer lab --demo-run RUN` reads one `make demo` run: the uplift forest is fitted
on phase 1's logged decisions (every decision served before the model arm's first one), exactly
as `offerstream-train` fits it, then acts greedily on each of the model arm's phase-2 decisions:
it shows the offer of highest expected incremental profit, (P(purchase | offer) - P(purchase |
no offer)) x margin - P(purchase | offer) x redemption cost, with the margin and cost that
bandit-policy logged for that candidate (its modelValue), or nothing when no offer's value is
above zero. The market's decision log (`<report>-decisions.jsonl`) says what each offer would
truly have earned on that decision (truthByOffer); the greedy oracle takes the best one or
nothing. No budget and no exploration: the lab compares learners, the live run measures the
policy. "served" is the same greedy choice on the values the served model logged.

Variants (`--variant NAME:key=value,...`) refit the forest with ForestConfig fields changed,
on the same rows: a minute per variant instead of a seven-minute demo per idea, and free of
the live run's noise (the same decisions, the same truth).
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .clickhouse_http import sql_literal
from .feature_spec import FeatureSpec
from .features import CatalogOffer
from .model import ModelConfig
from .training_data import RowSource, TrainingRows, load_training_rows
from .uplift_forest import ForestConfig, fit_uplift_forest

MODEL_ARM = "offerstream-model"
"""The market's name for the arm served by the trained model (tools/demo)."""


class LabError(ValueError):
    """The run cannot be read or a variant is malformed."""


@dataclass(frozen=True)
class TruthRow:
    """What the market knows about one decision of the arm."""

    user_type: str
    sim_time_ms: int
    by_offer: Mapping[str, float]
    """True expected incremental profit (minor units) of showing each offer instead of none."""


def read_truth(lines: Iterable[str], arm: str = MODEL_ARM) -> dict[str, TruthRow]:
    """The arm's decisions outside its holdout from a market decision log (JSON lines)."""
    out: dict[str, TruthRow] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            if r["arm"] != arm or r["holdout"]:
                continue
            out[str(r["decisionId"])] = TruthRow(
                user_type=str(r["userType"]),
                sim_time_ms=int(r["simTimeMs"]),
                by_offer={str(k): float(v) for k, v in r["truthByOffer"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise LabError(f"decision log line {n}: {e}") from e
    return out


def expected_profit(
    p_offer: np.ndarray,
    p_none: np.ndarray,
    margin: np.ndarray,
    cost: np.ndarray,
    uplift_lcb: float = 0.0,
) -> np.ndarray:
    """bandit-policy's modelValue for incremental profit: uplift x margin - P(offer) x cost,
    the uplift at its lower bound uplift - uplift_lcb x sqrt(p0 (1 - p0)) (the policy's
    `uplift_lcb`)."""
    p0 = np.clip(p_none, 0.0, 1.0)
    uplift = p_offer - p_none - uplift_lcb * np.sqrt(p0 * (1.0 - p0))
    return uplift * margin - p_offer * cost


@dataclass
class TypeScore:
    """One user type's greedy choices valued with the truth (minor units)."""

    decisions: int = 0
    oracle: float = 0.0
    earned: float = 0.0
    missed: float = 0.0
    """Oracle value of decisions where the learner showed nothing."""
    harmful: float = 0.0
    """Truth of shown offers that lose money (<= 0 when any)."""
    worse_offer: float = 0.0
    """Oracle minus truth where the learner showed a profitable but not the best offer."""


@dataclass
class LabScore:
    """A learner's greedy choices valued with the truth (minor units)."""

    by_type: dict[str, TypeScore] = field(default_factory=dict)
    offered: int = 0

    @property
    def decisions(self) -> int:
        return sum(t.decisions for t in self.by_type.values())

    @property
    def earned(self) -> float:
        return sum(t.earned for t in self.by_type.values())

    @property
    def oracle(self) -> float:
        return sum(t.oracle for t in self.by_type.values())

    @property
    def share(self) -> float:
        return self.earned / self.oracle if self.oracle > 0 else 0.0


def greedy_score(
    values: Mapping[str, Sequence[tuple[str, float]]],
    truth: Mapping[str, TruthRow],
    since_sim_ms: int | None = None,
) -> LabScore:
    """Each decision of `truth` (from `since_sim_ms` on): the learner shows its highest-valued
    offer among `values[decision]` when that value is above zero, the oracle its best offer
    when that earns more than nothing. Decisions without values show nothing."""
    score = LabScore()
    for decision_id, t in truth.items():
        if since_sim_ms is not None and t.sim_time_ms < since_sim_ms:
            continue
        s = score.by_type.setdefault(t.user_type, TypeScore())
        best = max([0.0, *t.by_offer.values()])
        s.decisions += 1
        s.oracle += best
        choice = max(values.get(decision_id, ()), key=lambda c: c[1], default=None)
        if choice is None or choice[1] <= 0:
            s.missed += best
            continue
        got = t.by_offer.get(choice[0], 0.0)
        score.offered += 1
        s.earned += got
        if got < 0:
            s.harmful += got
        else:
            s.worse_offer += best - got
    return score


def parse_variant(text: str) -> tuple[str, dict[str, object]]:
    """'NAME:key=value,key=value' → (NAME, ForestConfig changes), values typed as the fields."""
    name, _, rest = text.partition(":")
    if not name:
        raise LabError(f"variant {text!r}: no name (NAME:key=value,...)")
    defaults = ForestConfig()
    types = {f.name: type(getattr(defaults, f.name)) for f in dataclasses.fields(defaults)}
    changes: dict[str, object] = {}
    for part in filter(None, rest.split(",")):
        key, eq, value = part.partition("=")
        if not eq or key not in types:
            raise LabError(
                f"variant {text!r}: {part!r} is not key=value with a key of {sorted(types)}"
            )
        if types[key] is bool:
            if value not in ("0", "1", "true", "false"):
                raise LabError(f"variant {text!r}: {key}: {value!r} is not 0, 1, true or false")
            changes[key] = value in ("1", "true")
            continue
        try:
            changes[key] = types[key](value)
        except ValueError as e:
            raise LabError(f"variant {text!r}: {key}: {e}") from e
    return name, changes


def fit_and_value(
    train: TrainingRows,
    candidates: TrainingRows,
    economics: Mapping[tuple[str, str], tuple[float, float]],
    cfg: ForestConfig,
    candidate_names: Sequence[str],
    seed: int,
    threads: int,
    model: ModelConfig | None = None,
    uplift_lcb: float = 0.0,
) -> dict[str, list[tuple[str, float]]]:
    """Fits the forest on `train` as train_model does and values every candidate row whose
    (decision, offer) has logged economics (margin, redemption cost)."""
    mc = model or ModelConfig()

    def cats(rows: TrainingRows) -> np.ndarray:
        return rows.inputs(cfg.events, mc.id_buckets)["seq_category"]

    forest = fit_uplift_forest(
        train.user,
        cats(train),
        train.candidate,
        train.treated,
        train.purchased,
        cfg,
        candidate_names,
        seed=seed,
        threads=threads,
    )
    if forest is None:
        raise LabError("phase 1's rows cannot teach an uplift (no treated or control rows)")
    seq_category = cats(candidates)
    ones = np.ones(len(candidates), np.float32)

    def prob(flag: np.ndarray) -> np.ndarray:
        return forest.probability(
            forest.design(candidates.user, seq_category, candidates.candidate, flag)
        )

    p1, p0 = prob(ones), prob(ones * 0)
    keys = list(zip(candidates.decision_id, candidates.offer_id, strict=True))
    known = [i for i, k in enumerate(keys) if k in economics]
    margin = np.array([economics[keys[i]][0] for i in known])
    cost = np.array([economics[keys[i]][1] for i in known])
    value = expected_profit(p1[known], p0[known], margin, cost, uplift_lcb)
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for i, v in zip(known, value, strict=True):
        out[keys[i][0]].append((keys[i][1], float(v)))
    return out


@dataclass(frozen=True)
class DemoRun:
    """Where one `make demo` run left its decisions: ClickHouse shops and the report files."""

    run: str
    train_since_ms: int
    train_until_ms: int
    eval_shop: str
    eval_since_ms: int
    eval_until_ms: int
    truth_path: Path
    catalog_path: Path


def locate_demo_run(ch: RowSource, root: Path, run: str) -> DemoRun:
    """The shops `demo-RUN-*`: the model arm's (`-model`) decisions are the ones acted on,
    every earlier decision of the run's shops is phase 1 (the training window)."""
    if not run.isdigit():
        raise LabError(f"--demo-run {run!r}: expected the run's digits (e.g. 20261202234512)")
    prefix = f"demo-{run}-"
    shops = {
        str(r["shop_id"]): (int(str(r["lo"])), int(str(r["hi"])))
        for r in ch.query_json_rows(
            "SELECT shop_id, min(served_at_ms) AS lo, max(served_at_ms) AS hi FROM decisions"
            f" WHERE startsWith(shop_id, {sql_literal(prefix)}) GROUP BY shop_id"
        )
    }
    model = shops.pop(prefix + "model", None)
    if model is None or not shops:
        raise LabError(
            f"run {run}: ClickHouse holds no phase-2 (model) or no phase-1 decisions of shops"
            f" {prefix}* (found {sorted(shops)})"
        )
    reports = sorted((root / ".local" / "reports").glob(f"market-*-{run}-decisions.jsonl"))
    if len(reports) != 1:
        raise LabError(
            f"run {run}: expected one market-*-{run}-decisions.jsonl, found {len(reports)}"
        )
    catalog = root / ".local" / "demo" / run / "catalog.json"
    if not catalog.is_file():
        raise LabError(f"run {run}: no campaign catalog at {catalog}")
    return DemoRun(
        run=run,
        train_since_ms=min(lo for lo, _ in shops.values()),
        train_until_ms=model[0],
        eval_shop=prefix + "model",
        eval_since_ms=model[0],
        eval_until_ms=model[1] + 1,
        truth_path=reports[0],
        catalog_path=catalog,
    )


def logged_candidates(
    ch: RowSource, shop: str
) -> tuple[dict[tuple[str, str], tuple[float, float]], dict[str, list[tuple[str, float]]]]:
    """(margin and redemption cost per (decision, offer), the served model's values per
    decision) as bandit-policy logged them for `shop`."""
    econ: dict[tuple[str, str], tuple[float, float]] = {}
    served: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for r in ch.query_json_rows(
        "SELECT decision_id, offer_id, margin_minor, redemption_cost_minor, expected_value_minor"
        f" FROM decision_candidates WHERE shop_id = {sql_literal(shop)} AND offer_id != ''"
        " AND holdout = 0"
    ):
        key = (str(r["decision_id"]), str(r["offer_id"]))
        if key in econ:
            continue
        econ[key] = (float(str(r["margin_minor"])), float(str(r["redemption_cost_minor"])))
        served[key[0]].append((key[1], float(str(r["expected_value_minor"]))))
    return econ, served


def load_rows(
    ch: RowSource, spec: FeatureSpec, demo: DemoRun, catalog: Mapping[str, CatalogOffer]
) -> tuple[TrainingRows, TrainingRows]:
    """(phase 1's training rows, phase 2's candidate rows), outcomes observed to the end."""
    observed = demo.eval_until_ms + 10 * 86_400_000
    train = load_training_rows(
        ch,
        spec,
        demo.train_since_ms,
        demo.train_until_ms,
        observed_until_ms=observed,
        catalog=catalog,
    )
    cands = load_training_rows(
        ch,
        spec,
        demo.eval_since_ms,
        demo.eval_until_ms,
        observed_until_ms=observed,
        catalog=catalog,
        every_candidate=True,
    )
    return train, cands


def format_table(results: Sequence[tuple[str, LabScore]], currency: str = "EUR") -> str:
    """The learners side by side, then where each loses, per user type."""
    lines = [
        f"{'learner':24s} {'decisions':>9s} {'offered':>7s} {'earned':>10s} {'greedy oracle':>13s}"
        f" {'share':>6s}"
    ]
    for name, s in results:
        lines.append(
            f"{name:24s} {s.decisions:9d} {s.offered:7d} {s.earned / 100:10.2f}"
            f" {s.oracle / 100:13.2f} {100 * s.share:5.1f}%"
        )
    lines.append("")
    lines.append(
        f"{'learner':24s} {'user type':14s} {'earned':>10s} {'oracle':>10s} {'missed':>10s}"
        f" {'harmful':>10s} {'worse offer':>11s}   ({currency})"
    )
    for name, s in results:
        for t, ts in sorted(s.by_type.items()):
            lines.append(
                f"{name:24s} {t:14s} {ts.earned / 100:10.2f} {ts.oracle / 100:10.2f}"
                f" {ts.missed / 100:10.2f} {ts.harmful / 100:10.2f} {ts.worse_offer / 100:11.2f}"
            )
    return "\n".join(lines)


def key_values(results: Sequence[tuple[str, LabScore]]) -> str:
    """The last line: `<learner>_share=...` per learner (names made key-safe)."""
    safe = ["".join(c if c.isalnum() else "_" for c in n) for n, _ in results]
    return " ".join(f"{k}_share={s.share:.4f}" for k, (_, s) in zip(safe, results, strict=True))


__all__ = [
    "MODEL_ARM",
    "DemoRun",
    "LabError",
    "LabScore",
    "TruthRow",
    "TypeScore",
    "expected_profit",
    "fit_and_value",
    "format_table",
    "greedy_score",
    "key_values",
    "load_rows",
    "locate_demo_run",
    "logged_candidates",
    "parse_variant",
    "read_truth",
]
