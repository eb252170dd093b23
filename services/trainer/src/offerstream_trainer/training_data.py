"""Training rows from ClickHouse: logged decisions joined with their attributed outcomes.

A row is one arm of one decision (tables of migration 0004):
- *treated*: a `decision_candidates` row with rank = 1 (the offer shown in the first slot);
- *control*: a holdout row (holdout = 1, offer_id '', rank 0): the user was held out of that
  campaign, so its outcome is the outcome without an offer.

Labels come from `rewards`, highest revision per reward (then latest computed_at_ms), matched
on (decision_id, rank, campaign_id, offer_id): a reward_id of "<decision_id>:<rank>" alone
cannot tell two held-out campaigns of one decision apart. A row is used once its outcome is
known: its reward is final, or its attribution window closed before `observed_until`. A row
whose window closed without any reward has no outcome (all labels 0) under the default
`missing_reward="negative"`; `"drop"` leaves such rows out instead. Rows with an open window
and no final reward are left out (their outcome may still come).

Features are those the decision saw: the arrays logged with it when they are present and of
the trainer's feature spec (decisions.user_features + seq_*, decision_candidates.
candidate_features); otherwise they are recomputed as of served_at_ms by replaying the shop's
raw events (replay.py: nothing after served_at_ms is used). Recomputation knows no campaign
catalog unless one is given (offer kind, depth, budget and stock then take their "unknown"
values) and no cart item ids (not logged).

Every query is plain SQL that ClickHouse 18.16 and current releases run (no JOIN: the join is
done here), values enter it only through `sql_literal`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from .clickhouse_http import ClickHouseError, parse_int, sql_literal
from .feature_spec import FeatureSpec
from .features import CandidateInput, CatalogOffer, ContextInput
from .model_inputs import (
    SequenceEvent,
    age_seconds,
    buckets_of,
    encode_sequence,
    event_type_number,
)
from .progress import Progress, Tick
from .replay import (
    ReplayRequest,
    prior_redemptions_sql,
    prior_spent_sql,
    replay,
    replay_window,
    shop_events_sql,
)

MissingReward = Literal["negative", "drop"]


class TrainingDataError(Exception):
    """The window holds no usable rows, or ClickHouse answered rows that make no sense."""


class RowSource(Protocol):
    def query_json_rows(self, sql: str) -> list[dict[str, object]]: ...

    def iter_json_rows(self, sql: str) -> Iterable[dict[str, object]]: ...


# --- SQL ------------------------------------------------------------------------------------


def _served_range(start_ms: int, end_ms: int) -> str:
    """served_at_ms in [start_ms, end_ms); the served_at bounds let the partition key prune."""
    return (
        f"served_at >= toDateTime({sql_literal(max(0, start_ms) // 1000)})"
        f" AND served_at <= toDateTime({sql_literal(max(0, end_ms) // 1000)})"
        f" AND served_at_ms >= {sql_literal(start_ms)} AND served_at_ms < {sql_literal(end_ms)}"
    )


def decisions_sql(start_ms: int, end_ms: int) -> str:
    return (
        "SELECT decision_id, shop_id, user_id, served_at_ms, page_type, device, channel,"
        " cart_value_minor, feature_spec_version, user_features, seq_item_ids,"
        " seq_category_ids, seq_types, seq_age_seconds"
        f" FROM decisions WHERE {_served_range(start_ms, end_ms)}"
    )


def candidates_sql(start_ms: int, end_ms: int, every_candidate: bool = False) -> str:
    """The treated and control arms (rank 1, or no offer); with `every_candidate`, every
    offer the decision scored and did not hold out instead, shown or not (what a policy could
    have chosen: the offline lab, lab.py)."""
    arms = "offer_id != '' AND holdout = 0" if every_candidate else "(rank = 1 OR offer_id = '')"
    return (
        "SELECT decision_id, shop_id, user_id, served_at_ms, offer_id, campaign_id, item_id,"
        " candidate_features, rank, holdout, propensity, attribution_window_s"
        f" FROM decision_candidates WHERE {_served_range(start_ms, end_ms)} AND {arms}"
    )


def rewards_sql(start_ms: int, end_ms: int) -> str:
    return (
        "SELECT reward_id, revision, computed_at_ms, decision_id, offer_id, campaign_id, rank,"
        " holdout, clicked, purchased, redeemed, final, window_end_ms"
        f" FROM rewards WHERE {_served_range(start_ms, end_ms)}"
    )


# --- rows -----------------------------------------------------------------------------------


def _s(row: Mapping[str, object], k: str) -> str:
    v = row.get(k, "")
    if not isinstance(v, str):
        raise ClickHouseError(f"ClickHouse column {k} is not a string: {v!r}")
    return v


def _i(row: Mapping[str, object], k: str) -> int:
    if k not in row:
        raise ClickHouseError(f"ClickHouse row lacks column {k}: {sorted(row)}")
    return parse_int(row[k])


def _f(row: Mapping[str, object], k: str) -> float:
    v = row.get(k, 0)
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise ClickHouseError(f"ClickHouse column {k} is not a number: {v!r}")
    return float(v)


def _floats(row: Mapping[str, object], k: str) -> list[float]:
    v = row.get(k, [])
    if not isinstance(v, list):
        raise ClickHouseError(f"ClickHouse column {k} is not an array: {v!r}")
    return [float(x) for x in v]


def _strs(row: Mapping[str, object], k: str) -> list[str]:
    v = row.get(k, [])
    if not isinstance(v, list):
        raise ClickHouseError(f"ClickHouse column {k} is not an array: {v!r}")
    return [str(x) for x in v]


def _enum(value: str, prefix: str) -> str:
    """'DEVICE_TYPE_MOBILE' or 'mobile' -> 'mobile' (the names ContextInput uses)."""
    v = value.strip()
    if v.upper().startswith(prefix):
        v = v[len(prefix) :]
    v = v.lower()
    return "" if v == "unspecified" else v


@dataclass(frozen=True)
class Decision:
    decision_id: str
    shop_id: str
    user_id: str
    served_at_ms: int
    context: ContextInput
    spec_version: str
    user_features: list[float]
    sequence: list[SequenceEvent]


@dataclass(frozen=True)
class Outcome:
    clicked: int
    purchased: int
    redeemed: int
    final: bool
    window_end_ms: int


@dataclass
class TrainingRows:
    """Columnar training rows (one per treated or control arm), model inputs included."""

    user: np.ndarray  # float32 [N, U]
    candidate: np.ndarray  # float32 [N, C]
    seq_item_hash: np.ndarray  # int64 [N, Lmax]: FNV-1a of the item id, -1 = none/padding
    seq_category_hash: np.ndarray  # int64 [N, Lmax]
    seq_type: np.ndarray  # int64 [N, Lmax]
    seq_age: np.ndarray  # float32 [N, Lmax]
    treated: np.ndarray  # float32 [N]: 1 = offer shown, 0 = held out (control)
    clicked: np.ndarray  # float32 [N]
    purchased: np.ndarray  # float32 [N]
    redeemed: np.ndarray  # float32 [N]
    propensity: np.ndarray  # float64 [N]
    served_at_ms: np.ndarray  # int64 [N]
    user_id: list[str]
    decision_id: list[str]
    offer_id: list[str]
    campaign_id: list[str]
    counts: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.user_id)

    def inputs(self, sequence_length: int, id_buckets: int) -> dict[str, np.ndarray]:
        """Model inputs for a model reading `sequence_length` events with `id_buckets`."""
        if sequence_length > self.seq_type.shape[1]:
            raise ValueError(
                f"rows hold {self.seq_type.shape[1]} events, the model reads {sequence_length}"
            )
        tail = slice(self.seq_type.shape[1] - sequence_length, None)
        return {
            "user": self.user,
            "candidate": self.candidate,
            "seq_item": buckets_of(self.seq_item_hash[:, tail], id_buckets),
            "seq_category": buckets_of(self.seq_category_hash[:, tail], id_buckets),
            "seq_type": np.ascontiguousarray(self.seq_type[:, tail]),
            "seq_age": np.ascontiguousarray(self.seq_age[:, tail]),
        }

    def take(self, idx: np.ndarray) -> TrainingRows:
        """The rows at `idx` (counts are not carried over)."""
        ids = [int(i) for i in idx]
        return TrainingRows(
            user=self.user[idx],
            candidate=self.candidate[idx],
            seq_item_hash=self.seq_item_hash[idx],
            seq_category_hash=self.seq_category_hash[idx],
            seq_type=self.seq_type[idx],
            seq_age=self.seq_age[idx],
            treated=self.treated[idx],
            clicked=self.clicked[idx],
            purchased=self.purchased[idx],
            redeemed=self.redeemed[idx],
            propensity=self.propensity[idx],
            served_at_ms=self.served_at_ms[idx],
            user_id=[self.user_id[i] for i in ids],
            decision_id=[self.decision_id[i] for i in ids],
            offer_id=[self.offer_id[i] for i in ids],
            campaign_id=[self.campaign_id[i] for i in ids],
        )


def _decision(row: Mapping[str, object]) -> Decision:
    served = _i(row, "served_at_ms")
    items = _strs(row, "seq_item_ids")
    cats = _strs(row, "seq_category_ids")
    types = _strs(row, "seq_types")
    ages = row.get("seq_age_seconds", [])
    if not isinstance(ages, list) or not len(items) == len(cats) == len(types) == len(ages):
        raise ClickHouseError(f"decision {row.get('decision_id')!r}: seq_* arrays disagree")
    return Decision(
        decision_id=_s(row, "decision_id"),
        shop_id=_s(row, "shop_id"),
        user_id=_s(row, "user_id"),
        served_at_ms=served,
        context=ContextInput(
            device=_enum(_s(row, "device"), "DEVICE_TYPE_"),
            channel=_enum(_s(row, "channel"), "CHANNEL_"),
            page_type=_enum(_s(row, "page_type"), "PAGE_TYPE_"),
            cart_value_minor=float(_i(row, "cart_value_minor")),
        ),
        spec_version=_s(row, "feature_spec_version"),
        user_features=_floats(row, "user_features"),
        sequence=[
            SequenceEvent(item_id=i, category_id=c, type=event_type_number(t), age_seconds=int(a))
            for i, c, t, a in zip(items, cats, types, ages, strict=True)
        ],
    )


def latest_outcomes(
    rows: Iterable[Mapping[str, object]],
) -> dict[tuple[str, int, str, str], Outcome]:
    """The highest revision (then latest computed_at_ms) of every reward, by
    (decision_id, rank, campaign_id, offer_id)."""
    best: dict[tuple[str, int, str, str], tuple[tuple[int, int], Outcome]] = {}
    for r in rows:
        key = (_s(r, "decision_id"), _i(r, "rank"), _s(r, "campaign_id"), _s(r, "offer_id"))
        order = (_i(r, "revision"), _i(r, "computed_at_ms"))
        if key in best and best[key][0] >= order:
            continue
        best[key] = (
            order,
            Outcome(
                clicked=1 if _i(r, "clicked") else 0,
                purchased=1 if _i(r, "purchased") else 0,
                redeemed=1 if _i(r, "redeemed") else 0,
                final=bool(_i(r, "final")),
                window_end_ms=_i(r, "window_end_ms"),
            ),
        )
    return {k: v for k, (_, v) in best.items()}


@dataclass(frozen=True)
class _Arm:
    decision: Decision
    offer_id: str
    campaign_id: str
    item_id: str
    treated: bool
    propensity: float
    candidate_features: list[float]
    outcome: Outcome


def load_training_rows(
    ch: RowSource,
    spec: FeatureSpec,
    start_ms: int,
    end_ms: int,
    *,
    observed_until_ms: int | None = None,
    missing_reward: MissingReward = "negative",
    catalog: Mapping[str, CatalogOffer] | None = None,
    progress: Progress | None = None,
    every_candidate: bool = False,
) -> TrainingRows:
    """Training rows of the decisions served in [start_ms, end_ms) (see the module doc).

    `every_candidate` reads one row per offer each decision could have shown instead of its
    treated and control arms (candidates_sql; their `treated` flag says which was shown first).

    `observed_until_ms` (default end_ms) is how far outcomes are known: a row whose window
    closes later and whose reward is not final yet is left out. `progress(label, total)`
    returns a callback advanced by the number of rows done (progress bars, see train.py).
    """
    observed = end_ms if observed_until_ms is None else observed_until_ms
    counts: dict[str, int] = defaultdict(int)
    decisions: dict[str, Decision] = {}
    for r in ch.query_json_rows(decisions_sql(start_ms, end_ms)):
        d = _decision(r)
        decisions.setdefault(d.decision_id, d)
    counts["decisions"] = len(decisions)
    outcomes = latest_outcomes(ch.query_json_rows(rewards_sql(start_ms, end_ms)))
    counts["rewards"] = len(outcomes)

    arms: list[_Arm] = []
    seen: set[tuple[str, int, str, str]] = set()
    for r in ch.query_json_rows(candidates_sql(start_ms, end_ms, every_candidate)):
        rank, holdout = _i(r, "rank"), _i(r, "holdout")
        key = (_s(r, "decision_id"), rank, _s(r, "campaign_id"), _s(r, "offer_id"))
        if key in seen:  # a re-delivered row not merged away yet
            continue
        seen.add(key)
        d = decisions.get(key[0])
        if d is None:
            counts["rows_without_decision"] += 1
            continue
        treated = rank == 1 and holdout == 0
        out = outcomes.get(key)
        window_end = d.served_at_ms + _i(r, "attribution_window_s") * 1000
        if out is not None and (out.final or out.window_end_ms <= observed):
            pass
        elif window_end > observed:
            counts["rows_window_open"] += 1
            continue
        elif out is None:
            counts["rows_without_reward"] += 1
            if missing_reward == "drop":
                continue
            out = Outcome(0, 0, 0, True, window_end)
        arms.append(
            _Arm(
                decision=d,
                offer_id=key[3],
                campaign_id=key[2],
                item_id=_s(r, "item_id"),
                treated=treated,
                propensity=_f(r, "propensity"),
                candidate_features=_floats(r, "candidate_features"),
                outcome=out,
            )
        )
    if not arms:
        raise TrainingDataError(
            f"no usable training rows among the decisions served in [{start_ms}, {end_ms})"
            f" ({dict(counts)})"
        )
    arms.sort(key=lambda a: (a.decision.served_at_ms, a.decision.decision_id, a.campaign_id))

    # Which arms need their features recomputed, per shop.
    U, C = len(spec.user), len(spec.candidate)

    def logged_user(a: _Arm) -> bool:
        return a.decision.spec_version == spec.version and len(a.decision.user_features) == U

    def logged_candidate(a: _Arm) -> bool:
        return a.decision.spec_version == spec.version and len(a.candidate_features) == C

    by_shop: dict[str, list[ReplayRequest]] = defaultdict(list)
    for i, a in enumerate(arms):
        if not (logged_user(a) and logged_candidate(a)):
            by_shop[a.decision.shop_id].append(
                ReplayRequest(
                    key=i,
                    user_id=a.decision.user_id,
                    as_of_ms=a.decision.served_at_ms,
                    context=a.decision.context,
                    candidate=CandidateInput(
                        offer_id=a.offer_id, campaign_id=a.campaign_id, item_id=a.item_id
                    ),
                )
            )
    replayed: dict[object, object] = {}
    for shop, reqs in sorted(by_shop.items()):
        lo, hi = replay_window(reqs, spec)
        before = lo // 3_600_000
        prior_red = {
            (_s(r, "campaign_id"), _s(r, "offer_id")): float(_i(r, "n"))
            for r in ch.query_json_rows(prior_redemptions_sql(shop, before))
        }
        prior_spent = {
            _s(r, "campaign_id"): float(_i(r, "spent"))
            for r in ch.query_json_rows(prior_spent_sql(shop, before))
        }
        bar = progress(f"features {shop}", len(reqs)) if progress else None

        def tick(n: int, bar: Tick | None = bar) -> None:
            if bar is not None:
                bar(n, None)

        replayed.update(
            replay(
                spec,
                ch.iter_json_rows(shop_events_sql(shop, lo, hi)),
                reqs,
                catalog,
                on_progress=tick,
                prior_redemptions=prior_red,
                prior_spent=prior_spent,
            )
        )

    n, L = len(arms), spec.sequence.max_length
    user = np.zeros((n, U), dtype=np.float32)
    cand = np.zeros((n, C), dtype=np.float32)
    seq = {
        "item": np.zeros((n, L), dtype=np.int64),
        "category": np.zeros((n, L), dtype=np.int64),
        "type": np.zeros((n, L), dtype=np.int64),
        "age": np.zeros((n, L), dtype=np.float32),
    }
    for i, a in enumerate(arms):
        d = a.decision
        rep = replayed.get(i)
        if logged_user(a):
            user[i] = d.user_features
            events: Sequence[SequenceEvent] = d.sequence
            counts["user_features_logged"] += 1
        else:
            user[i] = rep.user.values  # type: ignore[attr-defined]
            events = [
                SequenceEvent(
                    item_id=s.item_id,
                    category_id=s.category_id,
                    type=event_type_number(s.type),
                    age_seconds=age_seconds(d.served_at_ms, s.time_ms),
                )
                for s in rep.sequence  # type: ignore[attr-defined]
            ]
            counts["user_features_recomputed"] += 1
        if logged_candidate(a):
            cand[i] = a.candidate_features
            counts["candidate_features_logged"] += 1
        else:
            cand[i] = rep.candidate.values  # type: ignore[attr-defined]
            counts["candidate_features_recomputed"] += 1
        enc = encode_sequence(events, L)
        seq["item"][i], seq["category"][i] = enc.item_hash, enc.category_hash
        seq["type"][i], seq["age"][i] = enc.type, enc.age
    if not np.all(np.isfinite(user)) or not np.all(np.isfinite(cand)):
        raise TrainingDataError("non-finite feature values in the training rows")

    treated = np.array([a.treated for a in arms], dtype=np.float32)
    counts["rows"] = n
    counts["rows_treated"] = int(treated.sum())
    counts["rows_control"] = n - int(treated.sum())
    counts["users"] = len({a.decision.user_id for a in arms})
    return TrainingRows(
        user=user,
        candidate=cand,
        seq_item_hash=seq["item"],
        seq_category_hash=seq["category"],
        seq_type=seq["type"],
        seq_age=seq["age"],
        treated=treated,
        clicked=np.array([a.outcome.clicked for a in arms], dtype=np.float32),
        purchased=np.array([a.outcome.purchased for a in arms], dtype=np.float32),
        redeemed=np.array([a.outcome.redeemed for a in arms], dtype=np.float32),
        propensity=np.array(
            [a.propensity if math.isfinite(a.propensity) else 0.0 for a in arms], dtype=np.float64
        ),
        served_at_ms=np.array([a.decision.served_at_ms for a in arms], dtype=np.int64),
        user_id=[a.decision.user_id for a in arms],
        decision_id=[a.decision.decision_id for a in arms],
        offer_id=[a.offer_id for a in arms],
        campaign_id=[a.campaign_id for a in arms],
        counts=dict(counts),
    )
