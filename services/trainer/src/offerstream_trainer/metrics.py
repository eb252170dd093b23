"""Offline metrics: AUC, log-loss, expected calibration error, and Qini / AUUC for uplift.

Uplift metrics rank held-out rows (treated and control together) by predicted uplift and
follow the top-k fraction:
- Qini curve Q(k) = Y_T(k) - Y_C(k) * N_T(k) / N_C(k) (incremental purchases among the top k,
  counted in treated units), Y = purchases, N = rows, T/C = treated/control;
- `qini` = mean over k of (Q(k) - k/n * Q(n)) / n: the area between the Qini curve and the
  random-targeting line, per row (0 = no better than random, > 0 = the ranking finds uplift);
- `auuc` = mean over k of (Y_T(k)/N_T(k) - Y_C(k)/N_C(k)) * k / n: the area under the uplift
  (cumulative gain) curve, per row (its random-targeting value is half the overall uplift).
Prefixes of k with no treated or no control row count as 0.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score

EPS = 1e-7


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC; NaN when only one class is present."""
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, p))


def logloss(y: np.ndarray, p: np.ndarray) -> float:
    return float(log_loss(y, np.clip(p, EPS, 1 - EPS), labels=[0, 1]))


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins."""
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            total += m.sum() * abs(p[m].mean() - y[m].mean())
    return float(total / max(1, len(p)))


def calibration_curve(
    y: np.ndarray, p: np.ndarray, bins: int = 10
) -> list[tuple[float, float, int]]:
    """(mean prediction, observed rate, rows) per non-empty bin."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        m = which == b
        if m.any():
            out.append((float(p[m].mean()), float(y[m].mean()), int(m.sum())))
    return out


def binary_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {"auc": auc(y, p), "logloss": logloss(y, p), "ece": ece(y, p)}


def _cumulative(
    uplift: np.ndarray, y: np.ndarray, treated: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(-uplift, kind="stable")
    t = treated[order].astype(np.float64)
    yy = y[order].astype(np.float64)
    n_t = np.cumsum(t)
    n_c = np.cumsum(1 - t)
    y_t = np.cumsum(yy * t)
    y_c = np.cumsum(yy * (1 - t))
    return n_t, n_c, y_t, y_c


def qini_curve(uplift: np.ndarray, y: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Q(k) for k = 1..n (see the module doc)."""
    n_t, n_c, y_t, y_c = _cumulative(uplift, y, treated)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = y_t - np.where(n_c > 0, y_c * n_t / n_c, 0.0)
    return np.where((n_t > 0) & (n_c > 0), q, 0.0)


def uplift_curve(uplift: np.ndarray, y: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """(rate_T(k) - rate_C(k)) * k for k = 1..n."""
    n_t, n_c, y_t, y_c = _cumulative(uplift, y, treated)
    k = np.arange(1, len(uplift) + 1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (y_t / n_t - y_c / n_c) * k
    return np.where((n_t > 0) & (n_c > 0), g, 0.0)


def uplift_metrics(uplift: np.ndarray, y: np.ndarray, treated: np.ndarray) -> dict[str, float]:
    n = len(uplift)
    if n == 0 or treated.min() == treated.max():
        return {"qini": float("nan"), "auuc": float("nan")}
    q = qini_curve(uplift, y, treated)
    k = np.arange(1, n + 1, dtype=np.float64)
    qini = float(np.mean(q - k / n * q[-1]) / n)
    auuc = float(np.mean(uplift_curve(uplift, y, treated)) / n)
    return {"qini": qini, "auuc": auuc}
