"""Baselines on the same split: logistic regression and LightGBM for the click and purchase
heads, and a two-model uplift baseline (LightGBM P(purchase | offer) on treated rows minus
LightGBM P(purchase | no offer) on holdout rows).

They read the flat feature vectors (user + candidate, the user vector alone for the control
model): everything the scorer sends except the event sequence.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


def _flat(user: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    return np.concatenate([user, candidate], axis=1).astype(np.float64)


class _Constant:
    """Predicts the base rate (a head whose labels have one class only)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = np.full(len(x), self.rate)
        return np.stack([1 - p, p], axis=1)


def _lr(x: np.ndarray, y: np.ndarray, seed: int) -> Pipeline | _Constant:
    if len(np.unique(y)) < 2:
        return _Constant(float(y.mean()) if len(y) else 0.0)
    m = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, random_state=seed))
    m.fit(x, y)
    return m


def _gbdt(x: np.ndarray, y: np.ndarray, seed: int, threads: int) -> lgb.LGBMClassifier | _Constant:
    if len(np.unique(y)) < 2:
        return _Constant(float(y.mean()) if len(y) else 0.0)
    m = lgb.LGBMClassifier(
        n_estimators=300,
        learning_rate=0.03,
        num_leaves=15,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        reg_lambda=1.0,
        random_state=seed,
        deterministic=True,
        force_col_wise=True,
        n_jobs=threads,
        verbose=-1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(x, y)
    return m


def _p(model: object, x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)  # type: ignore[attr-defined]


@dataclass
class Baselines:
    lr_click: object
    lr_purchase: object
    gbdt_click: object
    gbdt_purchase: object
    gbdt_no_offer: object

    def predict(self, user: np.ndarray, candidate: np.ndarray) -> dict[str, np.ndarray]:
        x = _flat(user, candidate)
        p_offer = _p(self.gbdt_purchase, x)
        p_none = _p(self.gbdt_no_offer, user.astype(np.float64))
        return {
            "lr_click": _p(self.lr_click, x),
            "lr_purchase": _p(self.lr_purchase, x),
            "gbdt_click": _p(self.gbdt_click, x),
            "gbdt_purchase": p_offer,
            "two_model_no_offer": p_none,
            "two_model_uplift": p_offer - p_none,
        }


def fit_baselines(
    user: np.ndarray,
    candidate: np.ndarray,
    treated: np.ndarray,
    clicked: np.ndarray,
    purchased: np.ndarray,
    seed: int,
    threads: int = 2,
) -> Baselines:
    t = treated > 0.5
    x = _flat(user[t], candidate[t])
    return Baselines(
        lr_click=_lr(x, clicked[t], seed),
        lr_purchase=_lr(x, purchased[t], seed),
        gbdt_click=_gbdt(x, clicked[t], seed, threads),
        gbdt_purchase=_gbdt(x, purchased[t], seed, threads),
        gbdt_no_offer=_gbdt(user[~t].astype(np.float64), purchased[~t], seed, threads),
    )
