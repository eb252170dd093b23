import numpy as np
import pytest
from offerstream_trainer.metrics import binary_metrics, ece, uplift_metrics


def test_a_calibrated_predictor_has_a_small_ece_and_a_shifted_one_does_not() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 20_000)
    y = (rng.uniform(0, 1, p.shape) < p).astype(float)
    assert ece(y, p) < 0.02
    assert ece(y, np.clip(p + 0.2, 0, 1)) > 0.1
    m = binary_metrics(y, p)
    assert 0.8 < m["auc"] < 0.9 and m["logloss"] < 0.6


def test_qini_and_auuc_reward_ranking_by_true_uplift() -> None:
    rng = np.random.default_rng(2)
    n = 40_000
    true_uplift = np.where(rng.uniform(size=n) < 0.5, 0.3, -0.1)
    treated = (rng.uniform(size=n) < 0.5).astype(float)
    p = 0.3 + treated * true_uplift
    y = (rng.uniform(size=n) < p).astype(float)
    good = uplift_metrics(true_uplift, y, treated)
    bad = uplift_metrics(-true_uplift, y, treated)
    rand = uplift_metrics(rng.uniform(size=n), y, treated)
    assert good["qini"] > 0.02 > abs(rand["qini"])
    assert bad["qini"] < -0.02
    assert good["auuc"] > rand["auuc"] > bad["auuc"]


def test_uplift_metrics_need_both_arms() -> None:
    m = uplift_metrics(np.zeros(3), np.ones(3), np.ones(3))
    assert np.isnan(m["qini"]) and np.isnan(m["auuc"])
    with pytest.raises(ValueError):
        binary_metrics(np.array([0.0, 1.0]), np.array([0.5]))
