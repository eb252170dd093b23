"""One training run, end to end: rows -> split -> model and baselines -> evaluation -> ONNX
(parity-checked) -> gate against the current model -> model store -> announcement.

Held-out rows are those of a `test_share` of the users, chosen by a hash of the user id (by
default: campaigns change within a window, so the newest rows alone would judge one phase of
them), or the newest `test_share` of the rows (`split="time"`). Uplift is evaluated on treated
and holdout rows together; a holdout row has no offer, so its candidate vector is that of the
treated row of the same campaign served closest in time (the offer the uniformly random
policy could as well have shown), for the model and the baselines alike.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .baselines import Baselines, fit_baselines
from .export import (
    ExportError,
    ModelFileError,
    build_manifest,
    export_onnx,
    git_commit,
    input_length,
    iso,
    manifest_input_widths,
    onnx_session,
    parity_check,
    parity_rows,
    run_onnx,
    sha256_file,
    verify_model_files,
)
from .feature_spec import FeatureSpec
from .metrics import binary_metrics, uplift_metrics
from .model import ModelConfig, parameter_count
from .model_inputs import fnv1a32
from .progress import Progress
from .registry import (
    ROLLOUT_STAGES,
    Announcer,
    GateDecision,
    GateRefused,
    ModelStore,
    StoreError,
    announcement_key,
    encode_announcement,
    gate,
    read_manifest,
    relative_uri,
)
from .report import render_report
from .train import TrainConfig, TrainResult, predict, train_model
from .training_data import TrainingRows
from .uplift_forest import UpliftForestScorer

Log = Callable[[str], None]


@dataclass(frozen=True)
class TrainJob:
    start_ms: int
    end_ms: int
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    model_name: str = "offer-uplift"
    test_share: float = 0.2
    split: str = "user"
    """'user' (users held out whole, by id hash) or 'time' (the newest rows)."""
    stage: str = "ROLLOUT_STAGE_PRODUCTION"
    force: bool = False
    gate_tolerance: float = 0.005
    baseline_threads: int = 2
    refit: bool = True
    """Whether the published model is trained again on every row (the held-out users
    included) once the split has measured the recipe. The metrics, the gate and the report
    stay those of the model trained without the held-out users: the refit model has seen
    them. The same users come back, and a model that never saw a fifth of them serves them
    worse: offline, on a default-size demo run's decisions, the greedy policy of a model
    trained on 80 % of the users earned -276 and -250 EUR on phase 2's decisions (two
    seeds), the same recipe on every user +25 and +267."""


@dataclass
class Evaluation:
    metrics: dict[str, float]
    predictions: dict[str, np.ndarray]
    test: TrainingRows
    candidate: np.ndarray
    """Held-out candidate vectors as scored (holdout rows: the counterfactual offer's)."""


@dataclass
class TrainOutcome:
    version: str
    manifest: dict[str, object]
    published: bool
    gate: GateDecision
    evaluation: Evaluation
    result: TrainResult
    onnx_bytes: int


UPLIFT_FORMULATIONS = {
    "forest": "gradient-boosted S-learner in the graph (uplift_forest.py): one forest of"
    " P(purchase) on [user, treated, the offer's treatment descriptors] over treated and"
    " control rows; P(purchase | offer) with the offer, P(purchase | no offer) without;"
    " uplift = their difference. P(click) and P(purchase | click) from the neural heads",
    "heads": "treatment-aware shared trunk, T-learner-style heads:"
    " P(purchase | offer) on treated rows, P(purchase | no offer) on holdout rows;"
    " uplift = their difference",
}
"""The manifest's uplift_formulation per ModelConfig.uplift_learner."""


def split_by_time(rows: TrainingRows, test_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the older (train) and newer (test) rows."""
    order = np.argsort(rows.served_at_ms, kind="stable")
    n_test = max(1, round(len(order) * test_share))
    if len(order) - n_test < 1:
        raise ValueError(f"too few rows to split: {len(order)}")
    return np.sort(order[:-n_test]), np.sort(order[-n_test:])


def split_by_user(rows: TrainingRows, test_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the train and test rows, users held out whole by a hash of their id (the
    same users stay held out from run to run, so a current model never trained on them
    either, if it was trained with the same split)."""
    cut = round(test_share * 10_000)
    test = np.array([fnv1a32(u) % 10_000 < cut for u in rows.user_id], dtype=bool)
    if test.all() or not test.any():
        raise ValueError(f"too few users to split: {len(set(rows.user_id))}")
    return np.flatnonzero(~test), np.flatnonzero(test)


SPLITS = {"user": split_by_user, "time": split_by_time}


def counterfactual_candidates(rows: TrainingRows) -> np.ndarray:
    """Candidate vectors where each holdout row gets the vector of the treated row of its
    campaign (else of any campaign) served closest in time."""
    cand = rows.candidate.copy()
    treated = np.flatnonzero(rows.treated > 0.5)
    if len(treated) == 0:
        return cand
    by_campaign: dict[str, np.ndarray] = {}
    for c in set(rows.campaign_id):
        idx = np.array([i for i in treated if rows.campaign_id[i] == c], dtype=np.int64)
        if len(idx):
            by_campaign[c] = idx[np.argsort(rows.served_at_ms[idx], kind="stable")]
    everyone = treated[np.argsort(rows.served_at_ms[treated], kind="stable")]
    for i in np.flatnonzero(rows.treated < 0.5):
        pool = by_campaign.get(rows.campaign_id[i], everyone)
        times = rows.served_at_ms[pool]
        j = int(np.searchsorted(times, rows.served_at_ms[i]))
        near = [k for k in (j - 1, j) if 0 <= k < len(pool)]
        best = min(near, key=lambda k: abs(int(times[k]) - int(rows.served_at_ms[i])))
        cand[i] = rows.candidate[pool[best]]
    return cand


def head_metrics(
    prefix: str, preds: Mapping[str, np.ndarray], test: TrainingRows, keys: Mapping[str, str]
) -> dict[str, float]:
    """Flat metrics of one predictor: `keys` maps head (click, purchase, purchase_no_offer,
    uplift) to its prediction name."""
    t = test.treated > 0.5
    out: dict[str, float] = {}
    for head, key in keys.items():
        if key not in preds:
            continue
        p = preds[key]
        if head == "uplift":
            for k, v in uplift_metrics(p, test.purchased, test.treated).items():
                out[f"{prefix}{k}"] = v
            continue
        mask = ~t if head == "purchase_no_offer" else t
        y = test.clicked if head == "click" else test.purchased
        if mask.sum() == 0:
            continue
        for k, v in binary_metrics(y[mask], p[mask]).items():
            out[f"{prefix}{k}_{head}"] = v
    return out


def evaluate(
    predict_model: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]],
    width: int,
    id_buckets: int,
    baselines: Baselines | None,
    test: TrainingRows,
) -> Evaluation:
    """The model's metrics on `test`, its sequence inputs `width` events wide."""
    cand = counterfactual_candidates(test)
    inputs = test.inputs(width, id_buckets)
    inputs["candidate"] = cand
    preds = dict(predict_model(inputs))
    m = head_metrics(
        "",
        preds,
        test,
        {
            "click": "p_click",
            "purchase": "p_purchase_given_offer",
            "purchase_no_offer": "p_purchase_no_offer",
            "uplift": "uplift",
        },
    )
    t = test.treated > 0.5
    if t.any() and "p_purchase_given_click" in preds:
        ctcvr = preds["p_click"] * preds["p_purchase_given_click"]
        y = test.clicked * test.purchased
        m.update({f"{k}_ctcvr": v for k, v in binary_metrics(y[t], ctcvr[t]).items()})
    if baselines is not None:
        b = baselines.predict(test.user, cand)
        preds.update(b)
        m.update(head_metrics("lr_", b, test, {"click": "lr_click", "purchase": "lr_purchase"}))
        m.update(
            head_metrics(
                "gbdt_",
                b,
                test,
                {
                    "click": "gbdt_click",
                    "purchase": "gbdt_purchase",
                    "purchase_no_offer": "two_model_no_offer",
                },
            )
        )
        m.update(head_metrics("two_model_", b, test, {"uplift": "two_model_uplift"}))
        for head in ("click", "purchase"):
            m[f"auc_gain_vs_gbdt_{head}"] = m.get(f"auc_{head}", math.nan) - m.get(
                f"gbdt_auc_{head}", math.nan
            )
            m[f"auc_gain_vs_lr_{head}"] = m.get(f"auc_{head}", math.nan) - m.get(
                f"lr_auc_{head}", math.nan
            )
        m["qini_gain_vs_two_model"] = m.get("qini", math.nan) - m.get("two_model_qini", math.nan)
    return Evaluation(metrics=m, predictions=preds, test=test, candidate=cand)


def _current_metrics(
    store: ModelStore, job: TrainJob, spec: FeatureSpec, test: TrainingRows, work: Path
) -> tuple[str | None, dict[str, float] | None, str]:
    """The production model's held-out metrics on the same rows, or None with the reason."""
    version = store.production(job.model_name)
    if version is None:
        return None, None, "no current model in the store: nothing to compare with"
    d = work / "current"
    d.mkdir(exist_ok=True)
    mj = store.get(job.model_name, version, "model.json", d / "model.json")
    mo = store.get(job.model_name, version, "model.onnx", d / "model.onnx")
    if mj is None or mo is None:
        return version, None, f"current model {version} is missing from the store"
    manifest = read_manifest(mj)
    try:
        verify_model_files(mo, manifest, spec)
    except ModelFileError as e:
        return version, None, f"current model {version} is not comparable: {e}"
    widths = manifest_input_widths(manifest)
    L = int(widths.get("seq_type", 1))
    buckets = int(manifest.get("sequence_id_buckets", 100_003))  # type: ignore[call-overload]
    session = onnx_session(mo)

    def run(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return run_onnx(session, {k: v for k, v in inputs.items() if k in widths})

    ev = evaluate(run, L, buckets, None, test)
    return version, ev.metrics, ""


def run_training(
    rows: TrainingRows,
    spec: FeatureSpec,
    job: TrainJob,
    store: ModelStore,
    announce: Announcer | None,
    log: Log = print,
    progress: Progress | None = None,
) -> TrainOutcome:
    """Trains, evaluates, exports, gates and (unless refused) publishes one model version.

    Raises ExportError when the ONNX graph fails the parity check and GateRefused when the
    model is worse than the current one and `job.force` is not set; nothing is published then.
    """
    train_idx, test_idx = SPLITS[job.split](rows, job.test_share)
    train, test = rows.take(train_idx), rows.take(test_idx)
    log(f"rows: {len(train)} train, {len(test)} held out ({json.dumps(rows.counts)})")
    names = [f.name for f in spec.candidate]
    result = train_model(
        train, job.model, job.train, progress=progress, warn=log, candidate_names=names
    )
    log(
        f"trained on {result.device}: {result.examples_per_second:,.0f} examples/s,"
        f" best epoch {result.best_epoch}/{result.epochs_run}"
    )
    baselines = fit_baselines(
        train.user,
        train.candidate,
        train.treated,
        train.clicked,
        train.purchased,
        seed=job.train.seed,
        threads=job.baseline_threads,
    )
    model = result.model

    def run_torch(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return predict(model, inputs)

    width, buckets = input_length(model), job.model.id_buckets
    ev = evaluate(run_torch, width, buckets, baselines, test)
    if isinstance(model, UpliftForestScorer):
        # The sequence model's own heads, as they would serve without the forest: their
        # purchase AUC is the sequence's contribution, the forest's is the served one.
        base = model.base

        def run_heads(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            L = base.cfg.sequence_length  # the last events, as the forest's graph gives them
            tail = {k: v[:, -L:] if k.startswith("seq_") else v for k, v in inputs.items()}
            return predict(base, tail)

        heads = evaluate(run_heads, width, buckets, None, test)
        ev.metrics.update({f"heads_{k}": v for k, v in heads.metrics.items()})
        ev.predictions.update({f"heads_{k}": v for k, v in heads.predictions.items()})
    metrics = dict(ev.metrics)

    if job.refit:
        log(f"refitting on all {len(rows)} rows (the held-out users included)")
        model = train_model(
            rows, job.model, job.train, progress=progress, warn=log, candidate_names=names
        ).model

    with tempfile.TemporaryDirectory(prefix="offerstream-train-") as tmp:
        work = Path(tmp)
        onnx_path = work / "model.onnx"
        export_onnx(model, onnx_path, spec)
        held_out = test.inputs(input_length(model), buckets)
        held_out["candidate"] = ev.candidate
        parity = parity_check(
            model, onnx_path, parity_rows(held_out, job.model, spec, job.train.seed)
        )
        metrics["onnx_parity_max_abs_err"] = parity
        onnx_sha = sha256_file(onnx_path)
        onnx_bytes = onnx_path.stat().st_size
        metrics["model_bytes"] = float(onnx_bytes)
        metrics["model_parameters"] = float(parameter_count(model))
        metrics["train_examples_per_s"] = result.examples_per_second
        log(f"ONNX parity max abs diff {parity:.2e} over the held-out rows")

        current_version, current, why = _current_metrics(store, job, spec, test, work)
        decision = gate(metrics, current, current_version, job.gate_tolerance, note=why)
        for k, v in decision.current_metrics.items():
            if k in ("auc_click", "auc_purchase", "qini", "auuc"):
                metrics[f"current_{k}"] = v
        trained_at = int(time.time() * 1000)
        version = (
            time.strftime("%Y-%m-%dT%H-%M-%SZ", time.gmtime(trained_at / 1000)) + f"-{onnx_sha[:6]}"
        )
        stage = job.stage
        reason = "; ".join(decision.reasons)
        if not decision.passed and job.force:
            reason = "forced past the gate: " + reason
        manifest = build_manifest(
            model_name=job.model_name,
            model_version=version,
            uri=relative_uri(job.model_name, version),
            onnx_sha256=onnx_sha,
            spec=spec,
            cfg=job.model,
            sequence_width=input_length(model),
            metrics=metrics,
            trained_at_ms=trained_at,
            window_start_ms=job.start_ms,
            window_end_ms=job.end_ms,
            stage=stage,
            reason=reason,
            parent_version=current_version or "",
            extra={
                "trainer_git_commit": git_commit(),
                "trainer_version": __version__,
                "data_counts": {
                    **rows.counts,
                    "train_rows": len(train),
                    "test_rows": len(test),
                    "published_model_rows": len(rows) if job.refit else len(train),
                },
                "refit": job.refit,
                "training_window_start_ms": job.start_ms,
                "training_window_end_ms": job.end_ms,
                "model_config": job.model.to_json(),
                "train_config": job.train.to_json(),
                "best_epoch": result.best_epoch,
                "uplift_formulation": UPLIFT_FORMULATIONS[job.model.uplift_learner],
                "gate": {
                    "passed": decision.passed,
                    "forced": job.force and not decision.passed,
                    "current_version": current_version,
                    "reasons": list(decision.reasons),
                    "tolerance": job.gate_tolerance,
                },
                "report": "report.html",
            },
        )
        verify_model_files(onnx_path, manifest, spec)
        json_path = work / "model.json"
        json_path.write_text(
            json.dumps(manifest, indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
        report_path = work / "report.html"
        report_path.write_text(
            render_report(
                title=f"{job.model_name}@{version}",
                metrics=metrics,
                counts=manifest["data_counts"],  # type: ignore[arg-type]
                facts=[
                    ("feature spec", spec.version),
                    ("training window", f"{iso(job.start_ms)} to {iso(job.end_ms)}"),
                    ("model", json.dumps(job.model.to_json())),
                    ("parameters", parameter_count(model)),
                    ("model.onnx bytes", onnx_bytes),
                    ("ONNX parity max abs diff", f"{parity:.2e}"),
                    ("training examples/s", f"{result.examples_per_second:,.0f} ({result.device})"),
                    ("git commit", manifest["trainer_git_commit"]),
                ],
                labels={
                    "treated": test.treated,
                    "clicked": test.clicked,
                    "purchased": test.purchased,
                },
                predictions=ev.predictions,
                history=result.history,
                gate_lines=[
                    ("passed: " if decision.passed else "refused: ") + r for r in decision.reasons
                ],
            ),
            encoding="utf-8",
        )
        if not decision.passed and not job.force:
            raise GateRefused(
                f"not publishing {job.model_name}@{version}: worse than the current"
                f" {current_version} ({'; '.join(decision.reasons)}); --force publishes anyway"
            )
        store.put(
            job.model_name,
            version,
            {"model.onnx": onnx_path, "model.json": json_path, "report.html": report_path},
        )
        log(f"stored {job.model_name}@{version} in {store.describe()}")
        if stage == "ROLLOUT_STAGE_PRODUCTION":
            store.set_production(job.model_name, version)
        if announce is not None:
            announce(announcement_key(manifest), encode_announcement(manifest))
            if (
                stage == "ROLLOUT_STAGE_PRODUCTION"
                and current_version
                and current_version != version
            ):
                _retire(store, job.model_name, current_version, version, trained_at, announce, work)
            log(f"announced {announcement_key(manifest)} ({stage})")
    return TrainOutcome(
        version=version,
        manifest=manifest,
        published=True,
        gate=decision,
        evaluation=ev,
        result=result,
        onnx_bytes=onnx_bytes,
    )


def _retire(
    store: ModelStore,
    name: str,
    old: str,
    new: str,
    at_ms: int,
    announce: Announcer,
    work: Path,
) -> None:
    """Re-publishes the previous production version as RETIRED (models.proto's rule)."""
    try:
        path = store.get(name, old, "model.json", work / "retired.json")
    except StoreError:
        path = None
    if path is None:
        return
    m = read_manifest(path)
    m["rollout"] = {
        "stage": "ROLLOUT_STAGE_RETIRED",
        "traffic_share": 0.0,
        "updated_at": iso(at_ms),
        "updated_by": "trainer",
        "reason": f"superseded by {new}",
    }
    announce(announcement_key(m), encode_announcement(m))


STAGES = {
    "production": "ROLLOUT_STAGE_PRODUCTION",
    "canary": "ROLLOUT_STAGE_CANARY",
    "shadow": "ROLLOUT_STAGE_SHADOW",
}
assert all(v in ROLLOUT_STAGES for v in STAGES.values())

__all__ = [
    "STAGES",
    "Evaluation",
    "ExportError",
    "GateRefused",
    "TrainJob",
    "TrainOutcome",
    "evaluate",
    "run_training",
    "split_by_time",
    "split_by_user",
]
