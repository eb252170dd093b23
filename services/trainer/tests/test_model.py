"""The model's input standardisation, the training rows' weights and which epoch is kept."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest
import torch
from offerstream_trainer.model import STD_FLOOR, ModelConfig, OfferEnsemble, OfferModel
from offerstream_trainer.train import TrainConfig, epochs_for, ipw_weights, predict, train_model
from offerstream_trainer.training_data import TrainingRows

CFG = ModelConfig(
    width=16,
    heads=2,
    sequence_length=4,
    id_buckets=11,
    ffn=16,
    hidden=16,
    members=1,
    uplift_learner="heads",  # the neural model alone (the forest: test_uplift_forest.py)
)


def test_a_feature_that_barely_moved_in_training_is_not_blown_up_by_its_tiny_spread() -> None:
    """The hour of day over a few compressed minutes, the day of week over one day: its
    drift at serving time must stay a small input, not many deviations off."""
    rng = np.random.default_rng(1)
    user = rng.normal(0.0, 1.0, size=(500, 3)).astype(np.float32)
    user[:, 1] = 0.82 + rng.normal(0.0, 0.001, size=500)  # nearly constant while training
    user[:, 2] = 0.5  # constant
    m = OfferModel(CFG, 3, 2)
    m.set_normalization(user, rng.normal(size=(500, 2)).astype(np.float32))
    std = m.user_std.numpy()
    assert abs(std[0] - user[:, 0].std()) < 1e-5  # a feature that varies keeps its own std
    assert std[1] == np.float32(STD_FLOOR) and std[2] == np.float32(STD_FLOOR)
    drifted = torch.tensor([[0.0, 0.81, 0.5]])  # the hour moved by 0.01 after training
    z = (drifted - m.user_mean) / m.user_std
    assert abs(float(z[0, 1])) < 0.25, z  # 10 deviations with the raw std


def test_inverse_propensity_weights_are_clipped_and_average_one_within_treated_and_control() -> (
    None
):
    rows = cast(
        TrainingRows,
        SimpleNamespace(
            treated=np.array([1, 1, 1, 0, 0, 0], dtype=np.float32),
            # a rare choice, a likely one, one below the clip; certain holdout, a likely
            # "nothing shown", one without a logged propensity
            propensity=np.array([0.1, 0.5, 0.001, 1.0, 0.8, np.nan]),
        ),
    )
    w = ipw_weights(rows, 0.05)
    raw_t = np.array([10.0, 2.0, 20.0])  # 1 / max(p, 0.05)
    raw_c = np.array([1.0, 1.25, 1.0])
    np.testing.assert_allclose(w[:3], raw_t / raw_t.mean(), rtol=1e-6)
    np.testing.assert_allclose(w[3:], raw_c / raw_c.mean(), rtol=1e-6)
    assert np.all(ipw_weights(rows, 0.0) == 1.0)


def _rows(n: int, seed: int = 5) -> TrainingRows:
    rng = np.random.default_rng(seed)
    L = CFG.sequence_length
    treated = (rng.random(n) < 0.5).astype(np.float32)
    return TrainingRows(
        user=rng.normal(size=(n, 3)).astype(np.float32),
        candidate=rng.normal(size=(n, 2)).astype(np.float32),
        seq_item_hash=rng.integers(-1, 50, size=(n, L)).astype(np.int64),
        seq_category_hash=rng.integers(-1, 50, size=(n, L)).astype(np.int64),
        seq_type=rng.integers(0, 5, size=(n, L)).astype(np.int64),
        seq_age=rng.random(size=(n, L)).astype(np.float32),
        treated=treated,
        clicked=(rng.random(n) < 0.3).astype(np.float32) * treated,
        purchased=(rng.random(n) < 0.2).astype(np.float32),
        redeemed=np.zeros(n, dtype=np.float32),
        propensity=np.full(n, 0.5),
        served_at_ms=np.arange(n, dtype=np.int64),
        user_id=[f"u{i % 40}" for i in range(n)],
        decision_id=[f"d{i}" for i in range(n)],
        offer_id=["o" if t else "" for t in treated],
        campaign_id=["c"] * n,
    )


def test_training_keeps_the_last_epoch_unless_a_validation_share_is_asked_for() -> None:
    rows = _rows(300)
    last = train_model(
        rows, CFG, TrainConfig(epochs=3, min_steps=0, batch_size=64, threads=1), warn=print
    )
    assert TrainConfig().validation_share == 0.0
    assert last.best_epoch == 3
    assert all("val_total" not in h for h in last.history)
    picked = train_model(
        rows,
        CFG,
        TrainConfig(epochs=3, min_steps=0, batch_size=64, threads=1, validation_share=0.2),
        warn=print,
    )
    assert all("val_total" in h for h in picked.history)
    best = min(picked.history, key=lambda h: h["val_total"])
    assert picked.best_epoch == int(best["epoch"])


def test_few_rows_train_for_at_least_min_steps_steps() -> None:
    rows = _rows(300)  # 5 batches of 64 per pass
    assert epochs_for(300, TrainConfig(epochs=3, min_steps=22, batch_size=64)) == 5
    assert epochs_for(300, TrainConfig(epochs=3, min_steps=10, batch_size=64)) == 3
    assert epochs_for(300, TrainConfig(epochs=3, min_steps=0, batch_size=64)) == 3
    assert epochs_for(10_000, TrainConfig()) == 8  # 40 batches a pass: 320 steps >= 200
    assert epochs_for(1_250, TrainConfig()) == 40  # the default demo's rows: 5 batches a pass
    ticks: list[int] = []

    def progress(label: str, total: int):  # type: ignore[no-untyped-def]
        ticks.append(total)
        return lambda *_: None

    res = train_model(
        rows,
        CFG,
        TrainConfig(epochs=3, min_steps=22, batch_size=64, threads=1),
        progress=progress,
        warn=print,
    )
    assert (res.epochs_run, res.best_epoch, len(res.history)) == (5, 5, 5)
    assert ticks == [25]


def test_members_train_with_their_own_seeds_and_are_averaged() -> None:
    rows = _rows(200)
    tc = TrainConfig(epochs=2, min_steps=0, batch_size=64, threads=1, seed=5)
    labels: list[str] = []

    def progress(label: str, total: int):  # type: ignore[no-untyped-def]
        labels.append(label)
        return lambda *_: None

    res = train_model(rows, replace(CFG, members=3), tc, progress=progress, warn=print)
    assert isinstance(res.model, OfferEnsemble)
    assert labels == ["train 1/3", "train 2/3", "train 3/3"]
    assert [h["member"] for h in res.history] == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    single = train_model(rows, CFG, tc, warn=print)  # member 0 is the seed's own model
    assert isinstance(single.model, OfferModel)
    x = rows.inputs(CFG.sequence_length, CFG.id_buckets)
    first = predict(res.model.members[0], x)  # type: ignore[arg-type]
    assert np.allclose(first["uplift"], predict(single.model, x)["uplift"], atol=1e-6)
    second = predict(res.model.members[1], x)  # type: ignore[arg-type]
    assert not np.allclose(first["uplift"], second["uplift"])
    mean = predict(res.model, x)
    each = [predict(m, x) for m in res.model.members]  # type: ignore[arg-type]
    assert np.allclose(mean["p_click"], np.mean([e["p_click"] for e in each], axis=0), atol=1e-6)
    with pytest.raises(ValueError, match="members"):
        replace(CFG, members=0)


@pytest.mark.parametrize(
    "bad",
    [
        {"validation_share": 1.0},
        {"validation_share": -0.1},
        {"epochs": 0},
        {"min_steps": -1},
        {"batch_size": 0},
    ],
)
def test_a_train_configuration_out_of_range_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TrainConfig(**bad)  # type: ignore[arg-type]
