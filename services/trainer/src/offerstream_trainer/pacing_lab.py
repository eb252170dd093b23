"""The pacing lab: how much of a demo run's result is the budget pacer's, and how much is luck?

`offerstream-trainer pacing-lab --demo-run RUN` replays the model arm's phase-2 decisions of
one `make demo` run in simulated time: at each decision the values the served model logged
for its candidates (`decision_candidates`) are priced by a budget pacer against the run's
budget plan, the best priced offer above zero is shown if its hold fits in the budget, and
the market's truth for that decision (`<report>-decisions.jsonl`) says what it earned.

The pacer is bandit-policy's, written out again (a model of it, kept to its rules; a change
to bandit-policy's pacer must be carried here by hand — test_pacing_lab pins the λ rule to the
numbers of the TypeScript pacer's own tests):
- `BudgetPacer`: λ = 0 while spend - plan is below `floor` x budget, else
  ramp x ((e - floor) / (ceiling - floor))^2, at most `max_price`, e = (spend - plan) / budget;
  an offer is worth its value - λ x its expected cost.
- `PacingService`: spend = realized costs of decisions whose redemption period has ended
  (counted `count_lag` after they were shown), plus each open decision at
  w x its hold + (1 - w) x its expected cost x the realized/expected ratio so far,
  w = prior / (prior + decisions counted).
- `BudgetLedger`: a decision is refused when realized spend + open holds + its hold exceed
  the budget.

What the replay draws: whether a shown offer is redeemed. Each is redeemed with probability
min(1, k x expected cost / redemption cost) at its redemption cost, k = the run's realized
spend / the expected cost of what it showed (the model's costs run low), so the draws spend
what the run spent on average. `--seeds N` replays each variant N times with different draws:
the spread is what a live run's redemptions alone do to its result; `deterministic` counts
every shown offer at k x its expected cost instead (no draw).

Not modelled: what an offer changes downstream (a user who redeemed may not come back to the
cart; caps): each replay acts on the decisions the live arm saw. Values are the served
model's, so this compares pacers on one model, not learners (that is `lab`).
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import math
import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .clickhouse_http import sql_literal
from .lab import LabError, TruthRow
from .training_data import RowSource

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class PacerRules:
    """bandit-policy's pacing rules (defaults: its defaults; `BANDIT_PACING_*`)."""

    floor: float = -0.015
    ceiling: float = 0.005
    ramp_price: float = 1.0
    max_price: float = 10.0
    calibration_prior: float = 20.0
    """PacingService's CALIBRATION_PRIOR."""
    ratio_range: tuple[float, float] = (0.5, 3.0)
    """PacingService's CALIBRATION_RANGE."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.floor) and math.isfinite(self.ceiling)):
            raise LabError(f"floor and ceiling must be finite: {self.floor}, {self.ceiling}")
        if not self.ceiling > self.floor:
            raise LabError(f"ceiling ({self.ceiling}) must be above floor ({self.floor})")
        if not (self.ramp_price > 0 and self.max_price >= 0 and self.calibration_prior >= 0):
            raise LabError("ramp_price must be > 0, max_price and calibration_prior >= 0")

    def price(self, spend: float, plan: float, budget: float) -> float:
        """λ for a spend against its plan (BudgetPacer.observe)."""
        error = (spend - plan) / budget
        across = max(0.0, error - self.floor) / (self.ceiling - self.floor)
        return min(self.max_price, max(0.0, self.ramp_price * across * across))


@dataclass(frozen=True)
class Candidate:
    offer_id: str
    value: float
    """The served model's expected value (minor units), before the budget's price."""
    expected_cost: float
    redemption_cost: float
    hold: float
    """What the ledger holds while the offer is redeemable."""


@dataclass(frozen=True)
class PacedDecision:
    decision_id: str
    sim_time_ms: int
    candidates: tuple[Candidate, ...]
    truth: Mapping[str, float]


@dataclass(frozen=True)
class ReplayResult:
    earned: float
    """Σ truth of what was shown, decisions at or after the warm-up (minor units)."""
    spent: float
    max_above_plan: float
    """Largest realized spend above the plan, as a share of the budget."""
    priced: int
    """Decisions at which λ > 0."""


class Plan:
    """Cumulative planned spend by simulated time, linear between the report's points."""

    def __init__(self, points: Sequence[tuple[int, float]]) -> None:
        if len(points) < 2:
            raise LabError("the budget plan needs at least two points")
        self.t = [p[0] for p in points]
        self.v = [p[1] for p in points]
        if any(b <= a for a, b in zip(self.t, self.t[1:], strict=False)):
            raise LabError("the budget plan's times must increase")

    def __call__(self, t: float) -> float:
        if t <= self.t[0]:
            return self.v[0]
        if t >= self.t[-1]:
            return self.v[-1]
        lo, hi = 0, len(self.t) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.t[mid] <= t:
                lo = mid
            else:
                hi = mid
        f = (t - self.t[lo]) / (self.t[hi] - self.t[lo])
        return self.v[lo] + f * (self.v[hi] - self.v[lo])


def replay(
    decisions: Sequence[PacedDecision],
    plan: Callable[[float], float],
    budget: float,
    rules: PacerRules,
    *,
    warmup_end_ms: int,
    cost_ratio: float,
    count_lag_ms: int,
    rng: random.Random | None,
) -> ReplayResult:
    """One pass over the decisions (in time order); `rng` None = no draws (deterministic)."""
    if not budget > 0:
        raise LabError(f"budget must be positive: {budget}")
    realized = 0.0  # costs counted so far (their redemption periods ended)
    counted_expected = 0.0
    counted = 0
    open_: dict[str, tuple[float, float, float]] = {}  # id -> (expected, hold, realized)
    open_expected = 0.0  # Σ expected cost of the open decisions
    held = 0.0  # Σ their holds
    due: list[tuple[int, str]] = []
    earned = 0.0
    max_above = -math.inf
    priced = 0
    lo, hi = rules.ratio_range
    for d in decisions:
        t = d.sim_time_ms
        while due and due[0][0] <= t:
            _, i = heapq.heappop(due)
            expected, hold, cost = open_.pop(i)
            open_expected -= expected
            held -= hold
            realized += cost
            counted += 1
            counted_expected += expected
        ratio = realized / counted_expected if counted_expected > 0 else 1.0
        ratio = min(hi, max(lo, ratio))
        weight = rules.calibration_prior + counted
        w = rules.calibration_prior / weight if weight > 0 else 0.0
        pending = w * held + (1 - w) * ratio * open_expected
        planned = plan(t)
        max_above = max(max_above, (realized - planned) / budget)
        lam = rules.price(realized + pending, planned, budget)
        if lam > 0:
            priced += 1
        best: Candidate | None = None
        best_value = 0.0
        for c in d.candidates:
            v = c.value - lam * c.expected_cost
            if v > best_value and realized + held + c.hold <= budget:
                best, best_value = c, v
        if best is None:
            continue
        if rng is None:
            cost = cost_ratio * best.expected_cost
        else:
            p = 0.0
            if best.redemption_cost > 0:
                p = min(1.0, cost_ratio * best.expected_cost / best.redemption_cost)
            cost = best.redemption_cost if rng.random() < p else 0.0
        open_[d.decision_id] = (best.expected_cost, best.hold, cost)
        open_expected += best.expected_cost
        held += best.hold
        heapq.heappush(due, (t + count_lag_ms, d.decision_id))
        if t >= warmup_end_ms:
            earned += d.truth.get(best.offer_id, 0.0)
    realized += sum(cost for _, _, cost in open_.values())
    return ReplayResult(
        earned=earned, spent=realized, max_above_plan=max(0.0, max_above), priced=priced
    )


def unbudgeted(decisions: Iterable[PacedDecision], warmup_end_ms: int) -> float:
    """Truth of the served model's greedy choices with no budget at all (after the warm-up)."""
    total = 0.0
    for d in decisions:
        if d.sim_time_ms < warmup_end_ms:
            continue
        best = max(d.candidates, key=lambda c: c.value, default=None)
        if best is not None and best.value > 0:
            total += d.truth.get(best.offer_id, 0.0)
    return total


@dataclass(frozen=True)
class VariantResult:
    name: str
    runs: tuple[ReplayResult, ...]

    @property
    def mean(self) -> float:
        return statistics.fmean(r.earned for r in self.runs)

    @property
    def sd(self) -> float:
        return statistics.stdev([r.earned for r in self.runs]) if len(self.runs) > 1 else 0.0


def run_variants(
    decisions: Sequence[PacedDecision],
    plan: Callable[[float], float],
    budget: float,
    variants: Sequence[tuple[str, PacerRules]],
    *,
    warmup_end_ms: int,
    cost_ratio: float,
    count_lag_ms: int,
    seeds: int,
) -> list[VariantResult]:
    """Each variant over the same `seeds` draws (paired), and once without draws."""
    out: list[VariantResult] = []

    def one(rules: PacerRules, rng: random.Random | None) -> ReplayResult:
        return replay(
            decisions,
            plan,
            budget,
            rules,
            warmup_end_ms=warmup_end_ms,
            cost_ratio=cost_ratio,
            count_lag_ms=count_lag_ms,
            rng=rng,
        )

    for name, rules in variants:
        out.append(VariantResult(f"{name} (deterministic)", (one(rules, None),)))
        out.append(VariantResult(name, tuple(one(rules, random.Random(s)) for s in range(seeds))))
    return out


def parse_rules(text: str) -> tuple[str, PacerRules]:
    """`NAME:floor=-0.03,ceiling=0.01,...` -> (NAME, PacerRules with those fields)."""
    name, _, body = text.partition(":")
    if not name or not all(ch.isalnum() or ch in "-_." for ch in name):
        raise LabError(f"--variant {text!r}: expected NAME:key=value,...")
    fields = {f.name for f in dataclasses.fields(PacerRules)} - {"ratio_range"}
    changes: dict[str, float] = {}
    for part in filter(None, body.split(",")):
        key, eq, value = part.partition("=")
        if not eq or key not in fields:
            raise LabError(f"--variant {text!r}: {key!r} is not one of {sorted(fields)}")
        try:
            changes[key] = float(value)
        except ValueError as e:
            raise LabError(f"--variant {text!r}: {key}={value!r} is not a number") from e
    return name, dataclasses.replace(PacerRules(), **changes)


@dataclass(frozen=True)
class RunReport:
    """What the pacing lab needs from a demo run's report (`market-*-RUN.json`)."""

    budget: float
    plan: Plan
    warmup_end_ms: int
    oracle: float
    """The oracle's truth after the warm-up."""
    arm_earned: float
    arm_spent: float


def read_report(path: Path, arm: str = "offerstream-model") -> RunReport:
    try:
        r = json.loads(path.read_text(encoding="utf-8"))
        s = r["settings"]
        arms = {a["name"]: a for a in r["arms"]}
        return RunReport(
            budget=float(s["totalBudgetMinor"]),
            plan=Plan([(int(p["tMs"]), float(p["value"])) for p in s["budgetPlan"]]),
            warmup_end_ms=int(s["warmupEndMs"]),
            oracle=float(arms["oracle"]["trueAfterWarmupMinor"]),
            arm_earned=float(arms[arm]["trueAfterWarmupMinor"]),
            arm_spent=float(arms[arm]["spentMinor"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise LabError(f"{path}: not a market report with a budget: {e}") from e


def load_decisions(
    ch: RowSource, shop: str, truth: Mapping[str, TruthRow]
) -> tuple[list[PacedDecision], float]:
    """The arm's decisions in time order with their logged candidates, and the expected cost
    of what the arm showed (to scale the draws)."""
    rows = ch.query_json_rows(
        "SELECT decision_id, offer_id, any(scored) AS scored,"
        " any(expected_value_minor) AS value, any(expected_cost_minor) AS expected_cost,"
        " any(redemption_cost_minor) AS redemption_cost, max(reserved_minor) AS reserved,"
        " min(rank) AS rank"
        f" FROM decision_candidates WHERE shop_id = {sql_literal(shop)} AND offer_id != ''"
        " AND holdout = 0 GROUP BY decision_id, offer_id"
    )
    raw: dict[str, list[dict[str, float | str]]] = defaultdict(list)
    # How much more than its redemption cost each offer holds (cart headroom), from the
    # holds the ledger made for the offers it served.
    factors: dict[str, list[float]] = defaultdict(list)
    shown_expected = 0.0
    for r in rows:
        d, o = str(r["decision_id"]), str(r["offer_id"])
        c = {
            "offer": o,
            "scored": float(str(r["scored"])),
            "value": float(str(r["value"])),
            "expected": float(str(r["expected_cost"])),
            "redemption": float(str(r["redemption_cost"])),
            "reserved": float(str(r["reserved"])),
        }
        raw[d].append(c)
        if int(str(r["rank"])) == 1:
            shown_expected += float(c["expected"])
            if float(c["reserved"]) > 0 and float(c["redemption"]) > 0:
                factors[o].append(float(c["reserved"]) / float(c["redemption"]))
    factor = {o: max(1.0, statistics.median(f)) for o, f in factors.items()}
    out: list[PacedDecision] = []
    for d, t in truth.items():
        cands = tuple(
            Candidate(
                offer_id=str(c["offer"]),
                value=float(c["value"]),
                expected_cost=float(c["expected"]),
                redemption_cost=float(c["redemption"]),
                hold=float(c["redemption"]) * factor.get(str(c["offer"]), 1.0),
            )
            for c in raw.get(d, [])
            if float(c["scored"]) > 0
        )
        out.append(PacedDecision(d, t.sim_time_ms, cands, t.by_offer))
    out.sort(key=lambda x: (x.sim_time_ms, x.decision_id))
    return out, shown_expected


def format_table(
    results: Sequence[VariantResult], report: RunReport, free: float, currency: str = "EUR"
) -> str:
    o = report.oracle

    def share(x: float) -> str:
        return f"{100 * x / o:5.1f}%" if o > 0 else "    -"

    lines = [
        f"{'pacer':34s} {'runs':>4s} {'earned':>9s} {'of oracle':>9s} {'sd':>7s} {'min':>9s}"
        f" {'max':>9s} {'spent':>6s} {'above plan':>10s} {'priced':>6s}   ({currency})"
    ]
    for v in results:
        e = [r.earned for r in v.runs]
        lines.append(
            f"{v.name:34s} {len(v.runs):4d} {v.mean / 100:9.2f} {share(v.mean):>9s}"
            f" {v.sd / 100:7.2f} {min(e) / 100:9.2f} {max(e) / 100:9.2f}"
            f" {100 * statistics.fmean(r.spent for r in v.runs) / report.budget:5.1f}%"
            f" {100 * max(r.max_above_plan for r in v.runs):9.2f}%"
            f" {statistics.fmean(r.priced for r in v.runs):6.0f}"
        )
    lines.append("")
    lines.append(
        f"the live arm: {report.arm_earned / 100:.2f} ({share(report.arm_earned).strip()});"
        f" its values with no budget: {free / 100:.2f} ({share(free).strip()});"
        f" the oracle: {o / 100:.2f}"
    )
    return "\n".join(lines)


def key_values(results: Sequence[VariantResult], report: RunReport) -> str:
    """The last line: `<variant>_share` (mean) and `<variant>_sd_share` per variant."""
    parts = []
    for v in results:
        if v.name.endswith("(deterministic)"):
            continue
        k = "".join(c if c.isalnum() else "_" for c in v.name)
        o = report.oracle if report.oracle > 0 else math.nan
        parts.append(f"{k}_share={v.mean / o:.4f} {k}_sd_share={v.sd / o:.4f}")
    return " ".join(parts)


__all__ = [
    "Candidate",
    "PacedDecision",
    "PacerRules",
    "Plan",
    "ReplayResult",
    "RunReport",
    "VariantResult",
    "format_table",
    "key_values",
    "load_decisions",
    "parse_rules",
    "read_report",
    "replay",
    "run_variants",
    "unbudgeted",
]
