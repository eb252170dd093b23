"""End to end on market data with known ground truth: ClickHouse -> training rows -> model and
baselines -> ONNX -> gate -> model store -> announcement.

The data comes from `support.market_dataset` (the market simulator's dataset, or its
stand-in): users of four planted types (sure_thing, persuadable, sleeping_dog, lost_cause)
under a uniformly random offer policy with a holdout, and the campaign catalog the dataset
ships (offer kind and depth, read as `--catalog` reads it). The thresholds below are ones a
model that ignores the sequence, mixes up the arms or loses the sign of uplift would miss,
on the simulator's data as on the planted stand-in.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from offerstream_trainer.cli import main
from offerstream_trainer.feature_spec import CURRENT_SPEC_VERSION, load_feature_spec
from offerstream_trainer.model import ModelConfig
from offerstream_trainer.pipeline import TrainJob, TrainOutcome, run_training
from offerstream_trainer.registry import DirectoryStore, GateRefused
from offerstream_trainer.train import TrainConfig, predict, resolve_device, train_model
from offerstream_trainer.training_data import TrainingRows, load_training_rows
from support import (
    URL,
    load_dataset,
    market_dataset,
    needs_clickhouse,
    read_catalog,
    scratch_database,
    write_catalog,
)

SPEC = load_feature_spec(CURRENT_SPEC_VERSION)
DAY_MS = 86_400_000
END_MS = 1_764_547_200_000  # 2025-12-01T00:00Z
START_MS = END_MS - 3 * DAY_MS
OBSERVED_MS = END_MS + DAY_MS
SEED = 7
# The default (served) size, one member: the suite trains it several times (an ensemble is
# tested in test_export and test_model).
MODEL = ModelConfig(members=1)
TRAIN = TrainConfig(epochs=8, seed=SEED, threads=2)

pytestmark = needs_clickhouse


class Run:
    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)

    ch: object
    rows: TrainingRows
    truth: dict[str, dict]
    catalog: Path
    out: TrainOutcome
    store: DirectoryStore
    root: Path
    announced: list[tuple[str, bytes]]


@contextlib.contextmanager
def trained(tmp: Path, source: str, users: int) -> Iterator[Run]:
    torch.set_num_threads(2)
    with scratch_database("trainer_market") as ch:
        data = market_dataset(
            tmp / "market.jsonl", users=users, end_ms=END_MS, seed=SEED, source=source
        )
        loaded = load_dataset(ch, data)
        # The campaign catalog is not in ClickHouse: the dataset ships it, as --catalog reads it.
        catalog = write_catalog(tmp / "catalog.json", loaded.catalog)
        rows = load_training_rows(
            ch,
            SPEC,
            START_MS,
            END_MS,
            observed_until_ms=OBSERVED_MS,
            catalog=read_catalog(catalog),
        )
        root = tmp / "store"
        store = DirectoryStore(root)
        announced: list[tuple[str, bytes]] = []
        job = TrainJob(start_ms=START_MS, end_ms=END_MS, model=MODEL, train=TRAIN)
        out = run_training(
            rows, SPEC, job, store, lambda k, v: announced.append((k, v)), log=lambda _m: None
        )
        yield Run(
            ch=ch,
            rows=rows,
            truth=loaded.truth,
            catalog=catalog,
            out=out,
            store=store,
            root=root,
            announced=announced,
        )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """The market simulator's data (double-11: types show in what users browse and do)."""
    with trained(tmp_path_factory.mktemp("market"), "simulator", 6000) as r:
        yield r


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Planted data whose types show in the categories browsed (the sequence's signal)."""
    with trained(tmp_path_factory.mktemp("planted"), "planted", 1500) as r:
        yield r


def segment_uplift(r: Run, output: str = "uplift") -> dict[str, float]:
    """Mean predicted uplift per true type over the held-out rows; `output` "heads_uplift" is
    the sequence model's own (its heads without the uplift forest)."""
    ev = r.out.evaluation
    by_type: dict[str, list[float]] = defaultdict(list)
    for u, uplift in zip(ev.test.user_id, ev.predictions[output], strict=True):
        by_type[r.truth[u]["user_type"]].append(float(uplift))
    return {k: float(np.mean(v)) for k, v in by_type.items()}


def test_on_planted_data_the_sequence_model_beats_both_baselines_on_held_out_auc(
    planted: Run,
) -> None:
    m = planted.out.evaluation.metrics
    for head in ("click", "purchase"):
        assert m[f"heads_auc_{head}"] > 0.7, m
        assert m[f"heads_auc_{head}"] > m[f"gbdt_auc_{head}"] + 0.03, m
        assert m[f"heads_auc_{head}"] > m[f"lr_auc_{head}"] + 0.03, m
    assert m["heads_ece_purchase"] < 0.08, m


def test_on_planted_data_the_uplift_of_each_segment_has_the_right_sign(planted: Run) -> None:
    """The sequence model's heads. (The served uplift forest reads the flat vectors only, and
    here the types show in nothing but the categories browsed: it cannot tell them apart.)"""
    mean = segment_uplift(planted, "heads_uplift")
    assert mean["persuadable"] > 0.15, mean
    assert mean["sleeping_dog"] < -0.1, mean
    assert abs(mean["sure_thing"]) < 0.08, mean
    assert abs(mean["lost_cause"]) < 0.08, mean
    m = planted.out.evaluation.metrics
    assert m["heads_qini"] > 0.01 and m["heads_qini"] > m["two_model_qini"], m


def test_on_market_data_the_sequence_model_beats_both_baselines_on_held_out_auc(run: Run) -> None:
    """The simulator's types show in what users browse (outlet, premium lines, staples; the
    clearance racks for deep-discount hunters) as much as in how much they do, which the
    sequence carries and the flat counters do not. Measured (double-11, 6,000 users, seeds
    7/8/9, with the market's holdout groups of 2026-12-03 — which users are control rows
    moved): the model leads the better baseline on purchase AUC by 0.029/0.033/0.053, on
    P(purchase | no offer) by 0.016/0.029/0.019 and on click by 0.038/0.034/0.056 (before the
    holdout groups 0.035/0.063/0.033, 0.045/0.028/0.036, 0.048/0.017/0.022); the same
    model with the sequence blanked out trails the better baseline (-0.018 and -0.012 on
    purchase for seeds 7 and 9), so a model that does not read the sequence misses these."""
    m = run.out.evaluation.metrics
    best = {h: max(m[f"gbdt_auc_{h}"], m[f"lr_auc_{h}"]) for h in ("click", "purchase")}
    assert m["heads_auc_purchase"] > 0.7, m
    assert m["heads_auc_purchase"] > best["purchase"] + 0.02, m
    assert m["heads_auc_click"] > best["click"] + 0.01, m
    assert m["heads_auc_purchase_no_offer"] > m["gbdt_auc_purchase_no_offer"] + 0.01, m
    assert m["heads_ece_purchase"] < 0.08 and m["heads_ece_purchase_no_offer"] < 0.1, m
    # The served graph: P(click) is the sequence model's; the purchase outputs the forest's,
    # calibrated and as good as the flat baselines.
    assert m["auc_click"] == m["heads_auc_click"], m
    assert m["auc_purchase"] > best["purchase"] - 0.02, m
    assert m["ece_purchase"] < 0.08 and m["ece_purchase_no_offer"] < 0.1, m


def test_on_market_data_the_offers_are_known_from_the_catalog(run: Run) -> None:
    names = [f.name for f in SPEC.candidate]
    treated = run.rows.candidate[run.rows.treated > 0.5]
    assert (treated[:, names.index("o_known")] == 1).all()
    kinds = treated[:, [names.index(f"o_type_{k}") for k in ("percent", "amount", "spend_save")]]
    assert (kinds.sum(axis=0) > 0).all()
    assert treated[:, names.index("o_discount_depth")].max() > 0.1
    # fs-2: what the offer saves on the cart differs from the nominal depth (caps, thresholds,
    # free shipping), and is 0 where a spend threshold is not reached.
    saving = treated[:, names.index("o_cart_saving")]
    depth = treated[:, names.index("o_discount_depth")]
    assert saving.max() > 0.1 and (abs(saving - depth) > 0.01).any()
    spend = treated[:, names.index("o_type_spend_save")] == 1
    meets = treated[:, names.index("x_cart_meets_threshold")] == 1
    assert (saving[spend & ~meets] == 0).all() and (saving[spend & meets] > 0).all()


def test_on_market_data_the_uplift_of_each_segment_has_the_right_sign(run: Run) -> None:
    """Persuadables gain from an offer, sleeping dogs lose, sure things neither (true mean
    uplift in the data: about +0.13, -0.21 and 0). Measured on seeds 7/8/9: persuadables
    +0.093/+0.070/+0.107, sleeping dogs -0.062/-0.118/-0.027, sure things -0.060/-0.048/
    +0.032 (the two heads' calibration differs by a few points from run to run)."""
    mean = segment_uplift(run, "heads_uplift")
    assert mean["persuadable"] > 0.03, mean
    assert mean["sleeping_dog"] < 0.0, mean
    assert mean["persuadable"] - mean["sleeping_dog"] > 0.08, mean
    assert abs(mean["sure_thing"]) < 0.1, mean
    assert mean["sure_thing"] < mean["persuadable"] - 0.03, mean
    assert run.out.evaluation.metrics["heads_qini"] > 0.0, run.out.evaluation.metrics


def test_on_market_data_the_served_uplift_forest_ranks_persuadables_first(run: Run) -> None:
    """The served uplift (the forest) puts persuadables above every other type. It shrinks
    the uplift towards 0 more than the heads do (seed 7: persuadables +0.048, lost causes
    +0.019, sure things +0.014, sleeping dogs +0.009): the offer is worth its cost only where
    the uplift is large, and where the heads' uplift was, on the demo's decisions, the
    forest's policy earned 4 to 6 times as much (uplift_forest.py)."""
    mean = segment_uplift(run)
    others = max(v for k, v in mean.items() if k != "persuadable")
    assert mean["persuadable"] > others + 0.015, mean
    assert run.out.evaluation.metrics["qini"] > 0.0, run.out.evaluation.metrics


def test_model_json_describes_the_published_version(run: Run) -> None:
    out = run.out
    d = run.root / "offer-uplift" / out.version
    manifest = json.loads((d / "model.json").read_text())
    assert manifest == out.manifest
    assert manifest["feature_spec_version"] == SPEC.version == "fs-2"
    assert manifest["uri"] == f"offer-uplift/{out.version}/model.onnx"
    import hashlib

    assert manifest["sha256"] == hashlib.sha256((d / "model.onnx").read_bytes()).hexdigest()
    assert manifest["training_window_start"] == "2025-11-28T00:00:00.000Z"
    assert manifest["training_window_end"] == "2025-12-01T00:00:00.000Z"
    metrics = manifest["metrics"]
    assert metrics["onnx_parity_max_abs_err"] <= 1e-4
    for k in ("auc_click", "gbdt_auc_purchase", "lr_ece_click", "qini", "two_model_auuc"):
        assert k in metrics
    counts = manifest["data_counts"]
    assert counts["rows"] == len(run.rows) == counts["train_rows"] + counts["test_rows"]
    # The published model is the recipe trained again on every row; the metrics are the
    # split model's.
    assert manifest["refit"] is True and counts["published_model_rows"] == len(run.rows)
    assert counts["rows_treated"] > 0 and counts["rows_control"] > 0
    assert len(manifest["trainer_git_commit"]) >= 7
    assert manifest["sequence_id_buckets"] == MODEL.id_buckets
    # The sequences are as wide as the forest reads (50 events); its sequence model reads 20.
    assert MODEL.forest.events == 50 > MODEL.sequence_length == 20
    assert [t["shape"] for t in manifest["inputs"]][:3] == [[-1, 75], [-1, 34], [-1, 50]]
    assert "<svg" in (d / "report.html").read_text()
    assert run.store.production("offer-uplift") == out.version
    assert run.announced[0][0] == f"offer-uplift@{out.version}"


def test_the_gate_refuses_a_worse_model_and_force_publishes_it(run: Run) -> None:
    before = sorted(p.name for p in (run.root / "offer-uplift").iterdir())
    bad = TrainJob(
        start_ms=START_MS,
        end_ms=END_MS,
        model=MODEL,
        train=TrainConfig(epochs=1, learning_rate=1e-6, seed=SEED, threads=2),
    )
    with pytest.raises(GateRefused, match="worse than the current"):
        run_training(run.rows, SPEC, bad, run.store, None, log=lambda _m: None)
    assert sorted(p.name for p in (run.root / "offer-uplift").iterdir()) == before
    # The CLI, end to end, forced past the gate.
    code = main(
        [
            "train",
            f"--since={START_MS}",
            f"--until={END_MS}",
            f"--observed-until={OBSERVED_MS}",
            f"--out={run.root}",
            f"--clickhouse-url={URL}",
            f"--database={run.ch.database}",  # type: ignore[attr-defined]
            f"--catalog={run.catalog}",
            "--epochs=1",
            "--learning-rate=1e-6",
            "--threads=2",
            "--no-announce",
            "--no-progress",
            "--force",
        ]
    )
    assert code == 0
    forced = run.store.production("offer-uplift")
    assert forced != run.out.version
    manifest = json.loads((run.root / "offer-uplift" / str(forced) / "model.json").read_text())
    assert manifest["gate"]["passed"] is False and manifest["gate"]["forced"] is True
    assert manifest["parent_version"] == run.out.version


def test_training_is_deterministic_with_a_seed(run: Run) -> None:
    small = run.rows.take(np.arange(min(600, len(run.rows))))
    cfg = ModelConfig(width=16, sequence_length=10, id_buckets=503, ffn=32, hidden=32)
    tc = TrainConfig(epochs=1, seed=3, threads=2)
    a = train_model(small, cfg, tc, warn=lambda _m: None).model
    b = train_model(small, cfg, tc, warn=lambda _m: None).model
    x = small.inputs(cfg.sequence_length, cfg.id_buckets)
    pa, pb = predict(a, x), predict(b, x)
    assert all(np.array_equal(pa[k], pb[k]) for k in pa)


def test_device_cuda_falls_back_to_the_cpu_without_a_gpu() -> None:
    said: list[str] = []
    device = resolve_device("cuda", said.append)
    if torch.cuda.is_available():
        assert device.type == "cuda"
    else:
        assert device.type == "cpu" and "no GPU" in said[0]
