"""The uplift forest: the compiled trees score as LightGBM does, the S-learner recovers planted
uplift of the right sign per group, and the forest model exports and trains as the scorer
takes it."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import lightgbm as lgb
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from offerstream_trainer.export import (
    ML_OPSET,
    OPSET,
    example_inputs,
    export_onnx,
    input_length,
    parity_check,
)
from offerstream_trainer.feature_spec import load_feature_spec
from offerstream_trainer.model import ModelConfig, OfferModel
from offerstream_trainer.train import TrainConfig, predict, train_model
from offerstream_trainer.training_data import TrainingRows
from offerstream_trainer.uplift_forest import (
    ML_DOMAIN,
    TREATMENT_FEATURES,
    ForestConfig,
    ForestError,
    TreeEnsemble,
    UpliftForestScorer,
    category_counts,
    category_vocabulary,
    design,
    fit_forest,
    fit_uplift_forest,
    treatment_columns,
)


def leaf_count(forest: TreeEnsemble) -> int:
    """Leaves the compiled forest holds (padding excluded)."""
    return int(torch.sum(forest.lefts < 1e8).item())


def onnx_scores(forest: TreeEnsemble, x: np.ndarray) -> np.ndarray:
    """The forest exported alone (one TreeEnsembleRegressor node) and run by onnxruntime."""
    buf = io.BytesIO()
    torch.onnx.export(
        forest,
        (torch.as_tensor(x[:2]),),
        buf,
        input_names=["x"],
        output_names=["score"],
        dynamic_axes={"x": {0: "batch"}, "score": {0: "batch"}},
        opset_version=OPSET,
        custom_opsets={ML_DOMAIN: ML_OPSET},
        dynamo=False,
    )
    proto = onnx.load_from_string(buf.getvalue())
    assert [n.op_type for n in proto.graph.node if n.domain == ML_DOMAIN] == [
        "TreeEnsembleRegressor"
    ]
    session = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": x})[0])


def raw_margin(booster: lgb.Booster, x: np.ndarray) -> np.ndarray:
    """LightGBM's own raw score."""
    return np.asarray(booster.predict(x.astype(np.float64), raw_score=True), np.float64)


SPEC = load_feature_spec("fs-2")
NAMES = [f.name for f in SPEC.candidate]
CFG = ModelConfig(width=16, heads=2, sequence_length=4, id_buckets=11, ffn=16, hidden=16, members=1)
SMALL = ForestConfig(trees=60, learning_rate=0.1, leaves=7, min_rows_per_leaf=20, seeds=2, events=6)
"""events > CFG.sequence_length: the graph's sequence inputs are 6 wide, the sequence model
reads their last 4."""


def x_of(d: dict[str, np.ndarray]) -> np.ndarray:
    return design(
        d["user"], np.zeros((len(d["user"]), 0), np.float32), d["cand"], d["treated"], [0, 1]
    )


def planted(n: int, seed: int) -> dict[str, np.ndarray]:
    """Users whose first feature says their group: group A (u0 > 0.5) buys at 0.05, at 0.55 with
    an offer whose saving (descriptor column 1) is deep; group B (u0 < -0.5) buys at 0.5, at
    0.2 with any offer; the rest buy at 0.3 whatever happens. Offers: half the rows, random
    depth."""
    rng = np.random.default_rng(seed)
    user = rng.normal(size=(n, 4)).astype(np.float32)
    cand = np.zeros((n, 3), np.float32)
    treated = (rng.random(n) < 0.5).astype(np.float32)
    cand[:, 0] = 1.0
    cand[:, 1] = rng.choice([0.05, 0.2], n)
    a, b = user[:, 0] > 0.5, user[:, 0] < -0.5
    p = np.full(n, 0.3)
    p[a] = 0.05 + 0.5 * treated[a] * (cand[a, 1] > 0.1)
    p[b] = 0.5 - 0.3 * treated[b]
    purchased = (rng.random(n) < p).astype(np.float32)
    cand *= treated[:, None]
    return {"user": user, "cand": cand, "treated": treated, "purchased": purchased}


def test_the_compiled_trees_score_exactly_as_lightgbm_does() -> None:
    d = planted(3000, 1)
    boosters = fit_forest(x_of(d), d["treated"], d["purchased"], SMALL, 3)
    assert boosters is not None and len(boosters) == 2
    forest = TreeEnsemble(boosters)
    x = x_of(d)
    # Inputs on the split thresholds themselves, and just either side of them, as well.
    thr = forest.threshold[torch.isfinite(forest.threshold)].numpy()
    edge = np.repeat(x[:1], 3 * len(thr), axis=0)
    feats = forest.feature.reshape(forest.threshold.shape)[torch.isfinite(forest.threshold)]
    for i, (f, t) in enumerate(zip(feats.numpy(), thr, strict=True)):
        for k, v in enumerate(
            (t, np.nextafter(t, np.float32(-1e9)), np.nextafter(t, np.float32(1e9)))
        ):
            edge[3 * i + k, f] = v
    x = np.concatenate([x, edge])
    with torch.no_grad():
        got = forest(torch.as_tensor(x)).numpy()
    want = np.mean([raw_margin(b, x) for b in boosters], axis=0)
    assert np.abs(got - want).max() < 1e-5
    # The exported operator takes the same branches, on the thresholds too.
    assert np.abs(onnx_scores(forest, x) - want).max() < 1e-5
    assert leaf_count(forest) == sum(
        t["num_leaves"] for b in boosters for t in b.dump_model()["tree_info"]
    )


def test_the_s_learner_recovers_the_planted_uplift_of_each_group() -> None:
    d = planted(6000, 2)
    boosters = fit_forest(x_of(d), d["treated"], d["purchased"], ForestConfig(), 5)
    assert boosters is not None
    forest = TreeEnsemble(boosters)
    test = planted(3000, 3)
    n = len(test["user"])
    deep = np.tile(np.array([[1.0, 0.2, 0.0]], np.float32), (n, 1))
    shallow = np.tile(np.array([[1.0, 0.05, 0.0]], np.float32), (n, 1))
    scorer = UpliftForestScorer(OfferModel(CFG, 4, 3).eval(), forest, [0, 1], np.zeros(0, np.int64))
    seq = torch.zeros((n, 4), dtype=torch.int64)
    with torch.no_grad():
        p_deep, p0 = (
            v.numpy()
            for v in scorer.purchase(torch.as_tensor(test["user"]), torch.as_tensor(deep), seq)
        )
        p_shallow, _ = (
            v.numpy()
            for v in scorer.purchase(torch.as_tensor(test["user"]), torch.as_tensor(shallow), seq)
        )
    a, b = test["user"][:, 0] > 0.7, test["user"][:, 0] < -0.7
    rest = np.abs(test["user"][:, 0]) < 0.3
    assert (p_deep - p0)[a].mean() > 0.3  # planted +0.5
    assert abs((p_shallow - p0)[a].mean()) < 0.1  # a shallow offer does not move group A
    assert (p_deep - p0)[b].mean() < -0.15  # planted -0.3
    assert abs((p_deep - p0)[rest].mean()) < 0.08
    assert abs(p0[a].mean() - 0.05) < 0.05 and abs(p0[b].mean() - 0.5) < 0.08


def test_purchase_never_falls_with_a_deeper_offer_when_monotone() -> None:
    """Rows where the shallowest offer happened to sell best (noise, or a real dip the market
    never has): unconstrained, the forest learns the dip; monotone, P(purchase | offer) rises
    or stays flat with the depth for every user, and the offer still beats no offer."""
    rng = np.random.default_rng(4)
    n = 6000
    user = rng.normal(size=(n, 3)).astype(np.float32)
    treated = (rng.random(n) < 0.6).astype(np.float32)
    depth = rng.choice([0.1, 0.2, 0.3], n).astype(np.float32)
    p = 0.3 + treated * np.where(depth < 0.15, 0.3, 0.1)
    purchased = (rng.random(n) < p).astype(np.float32)
    cand = np.stack([depth * treated, np.full(n, 2.0, np.float32)], axis=1)
    names = ["o_discount_depth", "i_price"]
    seq = np.zeros((n, 4), np.int64)
    grid = np.array([0.1, 0.15, 0.2, 0.25, 0.3], np.float32)

    def by_depth(monotone: bool) -> np.ndarray:
        cfg = ForestConfig(
            trees=60, leaves=7, min_rows_per_leaf=20, seeds=1, categories=0, monotone=monotone
        )
        f = fit_uplift_forest(user, seq, cand, treated, purchased, cfg, names, seed=1)
        assert f is not None
        ones = np.ones(500, np.float32)
        return np.stack(
            [
                f.probability(
                    f.design(user[:500], seq[:500], np.stack([ones * g, ones * 2], 1), ones)
                )
                for g in grid
            ],
            axis=1,
        )

    free, rising = by_depth(False), by_depth(True)
    assert (np.diff(free, axis=1) < -0.05).any()
    assert (np.diff(rising, axis=1) >= -1e-6).all()
    assert rising[:, 0].mean() > 0.4


def test_the_forest_grows_with_its_rows_up_to_its_cap() -> None:
    cfg = ForestConfig(trees=10, trees_per_1000_rows=20, max_trees=50, leaves=7, seeds=1)
    assert [cfg.trees_for(n) for n in (0, 400, 1000, 1990, 5000)] == [10, 10, 20, 40, 50]
    assert ForestConfig(trees=10, trees_per_1000_rows=0).trees_for(10**6) == 10
    assert ForestConfig(trees=500, max_trees=50).trees_for(10**6) == 500
    d = planted(1500, 5)
    seq = np.zeros((1500, 4), np.int64)
    f = fit_uplift_forest(
        d["user"], seq, d["cand"], d["treated"], d["purchased"], cfg, None, seed=1
    )
    assert f is not None
    assert [b.num_trees() for b in f.boosters] == [30]


def test_no_forest_without_both_arms_or_both_outcomes() -> None:
    d = planted(500, 4)
    for treated, purchased in (
        (np.ones_like(d["treated"]), d["purchased"]),
        (np.zeros_like(d["treated"]), d["purchased"]),
        (d["treated"], np.zeros_like(d["purchased"])),
    ):
        assert fit_forest(x_of(d), treated, purchased, SMALL, 1) is None


def test_the_treatment_descriptors_are_found_by_name() -> None:
    cols = treatment_columns(NAMES, len(NAMES))
    assert [NAMES[c] for c in cols] == list(TREATMENT_FEATURES)
    assert treatment_columns(None, 5) == [0, 1, 2, 3, 4]
    assert treatment_columns(["o_cart_saving", "i_price"], 2) == [0]


def test_bad_forest_and_learner_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="trees"):
        ForestConfig(trees=0)
    with pytest.raises(ValueError, match="leaves"):
        ForestConfig(leaves=1)
    with pytest.raises(ValueError, match="seeds"):
        ForestConfig(seeds=0)
    with pytest.raises(ValueError, match="categories"):
        ForestConfig(categories=-1)
    with pytest.raises(ValueError, match="events"):
        ForestConfig(events=0)
    with pytest.raises(ValueError, match="trees_per_1000_rows"):
        ForestConfig(trees_per_1000_rows=-1)
    with pytest.raises(ValueError, match="max_trees"):
        ForestConfig(max_trees=0)
    with pytest.raises(ValueError, match="uplift_learner"):
        ModelConfig(uplift_learner="magic")
    assert ModelConfig(forest={"trees": 9}).forest == ForestConfig(trees=9)  # type: ignore[arg-type]


def test_a_split_the_graph_cannot_run_is_refused() -> None:
    class Fake:
        def dump_model(self) -> dict[str, object]:
            node = {
                "split_feature": 0,
                "threshold": 1.0,
                "decision_type": "==",
                "missing_type": "None",
                "left_child": {"leaf_value": 1.0},
                "right_child": {"leaf_value": 0.0},
            }
            return {"tree_info": [{"tree_structure": node, "num_leaves": 2}]}

        def num_feature(self) -> int:
            return 1

    with pytest.raises(ForestError, match="unsupported split"):
        TreeEnsemble([Fake()])  # type: ignore[list-item]


def test_the_category_vocabulary_is_the_most_frequent_buckets_and_counts_are_per_row() -> None:
    seq = np.array([[0, 5, 5, 7], [3, 5, 7, 7], [0, 0, 9, 7]], np.int64)
    vocab = category_vocabulary(seq, 3)
    assert vocab.tolist() == [7, 5, 3]  # 7 four times, 5 three times, then 3 before 9 (ties)
    assert category_vocabulary(seq, 10).tolist() == [7, 5, 3, 9]
    assert category_counts(seq, vocab).tolist() == [[1, 2, 0], [2, 1, 1], [1, 0, 0]]
    assert category_vocabulary(np.zeros((2, 3), np.int64), 4).size == 0


def tail_of(x: dict[str, np.ndarray], length: int) -> dict[str, np.ndarray]:
    """The inputs with only the last `length` events of each sequence (what the sequence model
    of a forest scorer reads)."""
    return {k: (v[:, -length:] if k.startswith("seq_") else v) for k, v in x.items()}


def rows_of(d: dict[str, np.ndarray], width: int) -> TrainingRows:
    n = len(d["user"])
    rng = np.random.default_rng(0)
    cand = np.zeros((n, width), np.float32)
    for k, name in enumerate(("o_type_percent", "o_cart_saving")):
        cand[:, NAMES.index(name)] = d["cand"][:, k]
    cand[:, NAMES.index("i_views_7d")] = rng.normal(size=n)  # not a treatment descriptor
    user = np.zeros((n, len(SPEC.user)), np.float32)
    user[:, :4] = d["user"]
    L = SMALL.events
    return TrainingRows(
        user=user,
        candidate=cand,
        seq_item_hash=rng.integers(-1, 50, size=(n, L)).astype(np.int64),
        seq_category_hash=rng.integers(-1, 50, size=(n, L)).astype(np.int64),
        seq_type=rng.integers(0, 5, size=(n, L)).astype(np.int64),
        seq_age=rng.random(size=(n, L)).astype(np.float32),
        treated=d["treated"],
        clicked=(rng.random(n) < 0.3).astype(np.float32) * d["treated"],
        purchased=d["purchased"],
        redeemed=np.zeros(n, dtype=np.float32),
        propensity=np.full(n, 0.5),
        served_at_ms=np.arange(n, dtype=np.int64),
        user_id=[f"u{i % 97}" for i in range(n)],
        decision_id=[f"d{i}" for i in range(n)],
        offer_id=["o" if t else "" for t in d["treated"]],
        campaign_id=["c"] * n,
    )


def test_training_wraps_the_sequence_model_and_the_graph_exports_with_parity(
    tmp_path: Path,
) -> None:
    rows = rows_of(planted(1500, 6), len(NAMES))
    tc = TrainConfig(epochs=1, min_steps=0, batch_size=256, threads=1, seed=2)
    cfg = replace(CFG, forest=SMALL)
    res = train_model(rows, cfg, tc, warn=print, candidate_names=NAMES)
    model = res.model
    assert isinstance(model, UpliftForestScorer) and isinstance(model.base, OfferModel)
    assert [NAMES[c] for c in model.columns.tolist()] == list(TREATMENT_FEATURES)
    seq_category = rows.inputs(cfg.forest.events, cfg.id_buckets)["seq_category"]
    assert model.vocabulary.tolist() == category_vocabulary(seq_category, 32).tolist() != []
    assert input_length(model) == SMALL.events > cfg.sequence_length
    assert input_length(model.base) == cfg.sequence_length
    x = example_inputs(cfg, SPEC, 1200, 4, SMALL.events)
    assert x["seq_category"].shape[1] == SMALL.events
    got = predict(model, x)
    base = predict(model.base, tail_of(x, cfg.sequence_length))
    assert np.array_equal(got["p_click"], base["p_click"])
    assert np.array_equal(got["p_purchase_given_click"], base["p_purchase_given_click"])
    assert np.allclose(got["uplift"], got["p_purchase_given_offer"] - got["p_purchase_no_offer"])
    assert np.array_equal(got["p_purchase"], got["p_purchase_given_offer"])
    # What the user would do without an offer does not depend on the offer.
    y = dict(x, candidate=np.zeros_like(x["candidate"]))
    assert np.array_equal(predict(model, y)["p_purchase_no_offer"], got["p_purchase_no_offer"])
    path = tmp_path / "forest.onnx"
    export_onnx(model, path, SPEC)
    assert parity_check(model, path, x) <= 1e-5
    ops = [n.op_type for n in onnx.load(path).graph.node]
    # The trees as onnxruntime's operator, run for the treated rows and the distinct users'
    # control rows (example_inputs repeats users, so Unique has rows to merge).
    assert ops.count("TreeEnsembleRegressor") == 2 and "Unique" in ops
    widths = {
        i.name: i.type.tensor_type.shape.dim[1].dim_value for i in onnx.load(path).graph.input
    }
    assert widths["seq_category"] == widths["seq_type"] == SMALL.events


def test_the_forest_counts_the_wider_sequence_and_the_sequence_model_its_tail() -> None:
    rows = rows_of(planted(1500, 6), len(NAMES))
    tc = TrainConfig(epochs=1, min_steps=0, batch_size=256, threads=1, seed=2)
    model = train_model(rows, replace(CFG, forest=SMALL), tc, candidate_names=NAMES).model
    assert isinstance(model, UpliftForestScorer)
    x = example_inputs(model.cfg, SPEC, 400, 5, SMALL.events)
    old = SMALL.events - CFG.sequence_length
    # The oldest events, the ones only the forest reads, all in the most frequent category.
    y = {k: v.copy() for k, v in x.items()}
    y["seq_category"][:, :old] = int(model.vocabulary[0])
    got, moved = predict(model, x), predict(model, y)
    tail = tail_of(x, CFG.sequence_length)
    assert np.array_equal(got["p_click"], predict(model.base, tail)["p_click"])
    assert np.array_equal(got["p_click"], moved["p_click"])
    assert not np.allclose(got["p_purchase_no_offer"], moved["p_purchase_no_offer"])


def test_rows_without_a_control_arm_keep_the_neural_heads() -> None:
    d = planted(300, 7)
    d["treated"] = np.ones_like(d["treated"])
    said: list[str] = []
    res = train_model(
        rows_of(d, len(NAMES)),
        replace(CFG, forest=SMALL),
        TrainConfig(epochs=1, min_steps=0, batch_size=128, threads=1),
        warn=said.append,
        candidate_names=NAMES,
    )
    assert isinstance(res.model, OfferModel)
    assert any("uplift forest" in s for s in said)
