"""Shared test helpers: scratch ClickHouse databases, market datasets, the scorer via Node."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from market_fixture import write_dataset
from offerstream_trainer.clickhouse_http import ClickHouseHttp
from offerstream_trainer.feature_request import parse_request
from offerstream_trainer.features import CatalogOffer
from test_feature_store_clickhouse import MIGRATIONS, URL, split_statements

REPO = Path(__file__).resolve().parents[3]
MARKET_CLI = REPO / "tools" / "market" / "dist" / "cli.js"
SCORING_DIST = REPO / "services" / "scoring" / "dist"

needs_clickhouse = pytest.mark.skipif(
    not URL, reason="OFFERSTREAM_TRAINER_IT_CLICKHOUSE_URL not set"
)


@contextlib.contextmanager
def scratch_database(prefix: str = "trainer_it") -> Iterator[ClickHouseHttp]:
    """A new database with the migrations applied, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = ClickHouseHttp(url=URL, database="default")
    admin.execute(f"CREATE DATABASE {name}")
    try:
        ch = ClickHouseHttp(url=URL, database=name, timeout_s=120)
        for f in sorted(MIGRATIONS.glob("*.sql")):
            for statement in split_statements(f.read_text(encoding="utf-8")):
                ch.execute(statement)
        yield ch
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")


def market_dataset(
    path: Path, *, users: int, end_ms: int, seed: int, source: str = "simulator"
) -> Path:
    """The one source of market data for the tests, in the simulator's JSONL format.

    `source="simulator"`: the market simulator's `dataset` command (tools/market/dist/cli.js)
    when it is built, else the Python stand-in (market_fixture.py);
    OFFERSTREAM_TRAINER_MARKET=fixture forces the stand-in. `source="planted"`: always the
    stand-in, whose user types show in the categories they browse (a signal only the event
    sequence carries), to check that the model reads the sequence."""
    use_cli = (
        source == "simulator"
        and MARKET_CLI.exists()
        and os.environ.get("OFFERSTREAM_TRAINER_MARKET") != "fixture"
    )
    if use_cli and shutil.which("node"):
        subprocess.run(
            [
                "node",
                str(MARKET_CLI),
                "dataset",
                "--scenario",
                "double-11",
                "--seed",
                str(seed),
                "--users",
                str(users),
                "--end-ms",
                str(end_ms),
                "--out",
                str(path),
            ],
            check=True,
            cwd=REPO,
        )
        return path
    return write_dataset(path, users=users, end_ms=end_ms, seed=seed)


@dataclass(frozen=True)
class LoadedDataset:
    truth: dict[str, dict]
    """The truth rows by user id."""
    catalog: list[dict]
    """The campaign catalog (`catalog` rows): what `offerstream-train --catalog FILE` reads."""


def load_dataset(ch: ClickHouseHttp, path: Path, batch: int = 5000) -> LoadedDataset:
    """Inserts a dataset's ClickHouse rows into their tables; returns truth and catalog."""
    tables: dict[str, list[dict]] = defaultdict(list)
    truth: dict[str, dict] = {}
    catalog: list[dict] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            if d["table"] == "truth":
                truth[d["row"]["user_id"]] = d["row"]
            elif d["table"] == "catalog":
                catalog.append(d["row"])
            else:
                tables[d["table"]].append(d["row"])
    for table, rows in tables.items():
        for k in range(0, len(rows), batch):
            ch.insert_json_rows(table, rows[k : k + batch])
    return LoadedDataset(truth=truth, catalog=catalog)


def write_catalog(path: Path, entries: list[dict]) -> Path:
    """Writes a dataset's catalog as the JSON array `offerstream-train --catalog FILE` reads."""
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def read_catalog(path: Path) -> dict[str, CatalogOffer]:
    """The catalog file read as the trainer's CLI reads `--catalog FILE` (by offer id)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return dict(
        parse_request({"shop_id": "-", "user_id": "-", "as_of_ms": 0, "catalog": doc}).catalog
    )


def scorer_available() -> bool:
    return bool(shutil.which("node")) and (SCORING_DIST / "model-registry.service.js").exists()


def run_scorer(request: dict[str, object]) -> dict[str, object]:
    """Runs tests/scorer_accepts.cjs (the scoring service's own loader) on a request."""
    proc = subprocess.run(
        ["node", str(Path(__file__).with_name("scorer_accepts.cjs"))],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"scorer script failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)
