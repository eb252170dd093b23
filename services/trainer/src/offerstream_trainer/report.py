"""The training report: one self-contained HTML page (tables and inline SVG plots)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np

from .metrics import calibration_curve, qini_curve

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#7f7f7f")


def _svg_plot(
    title: str,
    series: Sequence[tuple[str, Sequence[float], Sequence[float]]],
    x_label: str,
    y_label: str,
    diagonal: bool = False,
    points: bool = False,
) -> str:
    """A small line plot as SVG (no plotting library needed)."""
    w, h, pad = 420, 300, 46
    xs = [x for _, sx, _ in series for x in sx] or [0.0, 1.0]
    ys = [y for _, _, sy in series for y in sy] or [0.0, 1.0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if diagonal:
        x0 = y0 = min(x0, y0, 0.0)
        x1 = y1 = max(x1, y1)
    if x1 - x0 < 1e-12:
        x1 = x0 + 1
    if y1 - y0 < 1e-12:
        y1 = y0 + 1

    def px(x: float) -> float:
        return pad + (x - x0) / (x1 - x0) * (w - 2 * pad)

    def py(y: float) -> float:
        return h - pad - (y - y0) / (y1 - y0) * (h - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'style="font:11px sans-serif;background:#fff;border:1px solid #ddd">',
        f'<text x="{w / 2}" y="16" text-anchor="middle" style="font-weight:bold">'
        f"{html.escape(title)}</text>",
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#333"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#333"/>',
        f'<text x="{w / 2}" y="{h - 8}" text-anchor="middle">{html.escape(x_label)}</text>',
        f'<text x="12" y="{h / 2}" text-anchor="middle" transform="rotate(-90 12 {h / 2})">'
        f"{html.escape(y_label)}</text>",
    ]
    for t in range(5):
        xv, yv = x0 + (x1 - x0) * t / 4, y0 + (y1 - y0) * t / 4
        parts.append(
            f'<text x="{px(xv)}" y="{h - pad + 14}" text-anchor="middle">{xv:.3g}</text>'
            f'<text x="{pad - 4}" y="{py(yv) + 4}" text-anchor="end">{yv:.3g}</text>'
        )
    if diagonal:
        parts.append(
            f'<line x1="{px(x0)}" y1="{py(y0)}" x2="{px(x1)}" y2="{py(y1)}" '
            'stroke="#aaa" stroke-dasharray="4 3"/>'
        )
    for i, (label, sx, sy) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(sx, sy, strict=True))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{pts}"/>')
        if points:
            parts.extend(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{color}"/>'
                for x, y in zip(sx, sy, strict=True)
            )
        parts.append(
            f'<rect x="{pad + 8}" y="{pad + 4 + 14 * i}" width="10" height="3" fill="{color}"/>'
            f'<text x="{pad + 22}" y="{pad + 9 + 14 * i}">{html.escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "n/a" if math.isnan(v) else f"{v:.4f}"
    return html.escape(str(v))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _downsample(y: np.ndarray, n: int = 200) -> tuple[list[float], list[float]]:
    if len(y) == 0:
        return [], []
    idx = np.unique(np.linspace(0, len(y) - 1, min(n, len(y))).astype(int))
    return [float((i + 1) / len(y)) for i in idx], [float(y[i]) for i in idx]


def comparison_rows(m: Mapping[str, float]) -> list[list[object]]:
    """Model vs baselines per head, from the flat metrics."""
    rows: list[list[object]] = []
    for head in ("click", "purchase"):
        for who, prefix in (
            ("sequence model", ""),
            ("logistic regression", "lr_"),
            ("LightGBM", "gbdt_"),
        ):
            rows.append(
                [
                    head,
                    who,
                    m.get(f"{prefix}auc_{head}", math.nan),
                    m.get(f"{prefix}logloss_{head}", math.nan),
                    m.get(f"{prefix}ece_{head}", math.nan),
                ]
            )
    rows.append(
        [
            "purchase | no offer",
            "sequence model",
            m.get("auc_purchase_no_offer", math.nan),
            m.get("logloss_purchase_no_offer", math.nan),
            m.get("ece_purchase_no_offer", math.nan),
        ]
    )
    rows.append(
        [
            "purchase | no offer",
            "LightGBM",
            m.get("gbdt_auc_purchase_no_offer", math.nan),
            m.get("gbdt_logloss_purchase_no_offer", math.nan),
            m.get("gbdt_ece_purchase_no_offer", math.nan),
        ]
    )
    return rows


def render_report(
    *,
    title: str,
    metrics: Mapping[str, float],
    counts: Mapping[str, int],
    facts: Sequence[tuple[str, object]],
    labels: Mapping[str, np.ndarray],
    predictions: Mapping[str, np.ndarray],
    history: Sequence[Mapping[str, float]],
    gate_lines: Sequence[str],
) -> str:
    """The report page. `labels` holds treated, clicked, purchased of the held-out rows;
    `predictions` the model's and baselines' held-out predictions by name."""
    t = labels["treated"] > 0.5
    y = labels["purchased"]
    cal = []
    for name, key in (
        ("sequence model", "p_purchase_given_offer"),
        ("LightGBM", "gbdt_purchase"),
        ("logistic regression", "lr_purchase"),
    ):
        c = calibration_curve(y[t], predictions[key][t])
        cal.append((name, [a for a, _, _ in c], [b for _, b, _ in c]))
    qini = []
    for name, key in (("sequence model", "uplift"), ("two-model LightGBM", "two_model_uplift")):
        xs, ys = _downsample(qini_curve(predictions[key], y, labels["treated"]))
        qini.append((name, xs, ys))
    xs, ys = _downsample(qini_curve(np.zeros_like(y), y, labels["treated"]))
    if ys:
        qini.append(("random", [0.0, 1.0], [0.0, ys[-1]]))
    loss = [
        ("train", [h["epoch"] for h in history], [h["train_loss"] for h in history]),
    ]
    if history and "val_total" in history[0]:
        loss.append(
            ("validation", [h["epoch"] for h in history], [h["val_total"] for h in history])
        )
    uplift_rows = [
        ["sequence model", metrics.get("qini", math.nan), metrics.get("auuc", math.nan)],
        [
            "two-model LightGBM",
            metrics.get("two_model_qini", math.nan),
            metrics.get("two_model_auuc", math.nan),
        ],
    ]
    css = (
        "body{font:14px sans-serif;margin:24px;max-width:1000px}"
        "table{border-collapse:collapse;margin:8px 0 18px}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}"
        ".plots{display:flex;flex-wrap:wrap;gap:12px}"
    )
    return "".join(
        [
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
            f"<style>{css}</style></head><body><h1>{html.escape(title)}</h1>",
            _table(["", ""], [[k, v] for k, v in facts]),
            "<h2>Held-out metrics: model vs baselines</h2>",
            _table(["head", "model", "AUC", "log-loss", "ECE"], comparison_rows(metrics)),
            "<h2>Uplift (held-out, treated and holdout rows)</h2>",
            _table(["model", "Qini", "AUUC"], uplift_rows),
            "<h2>Plots</h2><div class='plots'>",
            _svg_plot(
                "Calibration, P(purchase | offer)",
                cal,
                "predicted",
                "observed",
                diagonal=True,
                points=True,
            ),
            _svg_plot("Qini curve", qini, "share targeted", "incremental purchases"),
            _svg_plot("Training loss", loss, "epoch", "loss", points=True),
            "</div>",
            "<h2>Publish gate</h2><ul>",
            "".join(f"<li>{html.escape(g)}</li>" for g in gate_lines),
            "</ul><h2>Data</h2>",
            _table(["count", "value"], sorted(counts.items())),
            "</body></html>",
        ]
    )
