"""The trainer's half of `make bench-trainer` (bench/src/trainer.bench.ts runs it).

`python -m offerstream_trainer.bench --dataset FILE --clickhouse-url URL --out DIR` loads a
market dataset (the simulator's JSONL) into a scratch ClickHouse database with the
migrations applied (its campaign catalog, which is not in ClickHouse, goes to the feature
replay as `--catalog` would), trains the default model on it (CPU), evaluates it against
the baselines, exports and publishes it into the store DIR, drops the database and prints
one JSON object: training examples/s, model size, held-out metrics, ONNX parity, where
model.onnx is.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import torch

from .clickhouse_http import ClickHouseHttp
from .export import manifest_input_widths
from .feature_request import parse_request
from .feature_spec import CURRENT_SPEC_VERSION, load_feature_spec
from .model import ModelConfig
from .pipeline import TrainJob, run_training
from .registry import DirectoryStore
from .train import TrainConfig
from .training_data import load_training_rows

MIGRATIONS = Path(__file__).resolve().parents[4] / "deploy" / "clickhouse" / "migrations"


def _statements(text: str) -> list[str]:
    """Splits a migration at `;` outside quotes and comments (libs/clickhouse migrations.ts)."""
    out: list[str] = []
    cur: list[str] = []
    i, quote = 0, ""
    while i < len(text):
        ch, nxt = text[i], text[i + 1 : i + 2]
        if quote:
            cur.append(ch)
            if ch == "\\" and nxt:
                cur.append(nxt)
                i += 2
                continue
            if ch == quote:
                quote = ""
            i += 1
            continue
        if ch == "-" and nxt == "-":
            end = text.find("\n", i)
            i = len(text) if end == -1 else end
            continue
        if ch == "/" and nxt == "*":
            end = text.find("*/", i + 2)
            i = len(text) if end == -1 else end + 2
            continue
        if ch in "'\"`":
            quote = ch
        if ch == ";":
            if "".join(cur).strip():
                out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m offerstream_trainer.bench")
    p.add_argument("--dataset", required=True)
    p.add_argument("--clickhouse-url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    spec = load_feature_spec(CURRENT_SPEC_VERSION)
    name = f"trainer_bench_{uuid.uuid4().hex[:10]}"
    admin = ClickHouseHttp(url=args.clickhouse_url, database="default")
    admin.execute(f"CREATE DATABASE {name}")
    try:
        ch = ClickHouseHttp(url=args.clickhouse_url, database=name, timeout_s=300)
        for f in sorted(MIGRATIONS.glob("*.sql")):
            for s in _statements(f.read_text(encoding="utf-8")):
                ch.execute(s)
        tables: dict[str, list[dict[str, object]]] = defaultdict(list)
        catalog: list[dict[str, object]] = []
        served: list[int] = []
        with open(args.dataset, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    d = json.loads(line)
                    if d["table"] == "catalog":  # the campaign catalog: not a ClickHouse table
                        catalog.append(d["row"])
                    elif d["table"] != "truth":
                        tables[d["table"]].append(d["row"])
                    if d["table"] == "decisions":
                        served.append(int(d["row"]["served_at_ms"]))
        for table, rows in tables.items():
            for k in range(0, len(rows), 5000):
                ch.insert_json_rows(table, rows[k : k + 5000])
        start, end = min(served), max(served) + 1
        t0 = time.perf_counter()
        offers = parse_request({"shop_id": "-", "user_id": "-", "as_of_ms": 0, "catalog": catalog})
        rows = load_training_rows(
            ch,
            spec,
            start,
            end,
            observed_until_ms=end + 86_400_000,
            catalog=dict(offers.catalog),
        )
        read_s = time.perf_counter() - t0
        job = TrainJob(
            start_ms=start,
            end_ms=end,
            model=ModelConfig(),
            train=TrainConfig(epochs=args.epochs, threads=args.threads),
        )
        out = run_training(
            rows,
            spec,
            job,
            DirectoryStore(Path(args.out)),
            None,
            log=lambda m: print(m, file=sys.stderr),
        )
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
    m = out.evaluation.metrics
    print(
        json.dumps(
            {
                "onnx": str(Path(args.out) / job.model_name / out.version / "model.onnx"),
                # The graph's sequence width (the forest may read more events than the
                # sequence model): what a client encodes.
                "sequence_length": manifest_input_widths(out.manifest)["seq_type"],
                "id_buckets": job.model.id_buckets,
                "rows": len(rows),
                "training_rows_read_s": read_s,
                "train_examples_per_s": out.result.examples_per_second,
                "model_bytes": out.onnx_bytes,
                "model_parameters": out.manifest["metrics"]["model_parameters"],  # type: ignore[index]
                "onnx_max_abs_diff": out.manifest["metrics"]["onnx_parity_max_abs_err"],  # type: ignore[index]
                "metrics": {k: v for k, v in m.items() if v == v},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
