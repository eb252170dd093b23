"""The offline reads against a real ClickHouse (opt-in: set OFFERSTREAM_TRAINER_IT_CLICKHOUSE_URL).

Creates a scratch database, applies deploy/clickhouse/migrations, inserts events through the
HTTP interface (the materialized views fill the aggregates), and checks that the vectors read
back at as_of equal those the feature service computes in memory from the same events.
Runs on ClickHouse 18.16 and current releases.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from offerstream_trainer.clickhouse_http import ClickHouseHttp
from offerstream_trainer.feature_request import features_for_request, parse_request
from offerstream_trainer.feature_store import FeatureStore
from test_feature_store import REQUEST, SHOP, SPEC, history, in_memory

URL = os.environ.get("OFFERSTREAM_TRAINER_IT_CLICKHOUSE_URL", "")
MIGRATIONS = Path(__file__).resolve().parents[3] / "deploy" / "clickhouse" / "migrations"

needs_clickhouse = pytest.mark.skipif(
    not URL, reason="OFFERSTREAM_TRAINER_IT_CLICKHOUSE_URL not set"
)


def split_statements(text: str) -> list[str]:
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
    if quote:
        raise ValueError("unterminated quote in migration")
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def test_the_splitter_ignores_semicolons_in_quotes_and_comments() -> None:
    text = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE a (s String DEFAULT 'x;y') ENGINE = Memory;\n"
        "/* block; comment */ INSERT INTO a VALUES ('it\\'s;');\n"
    )
    assert split_statements(text) == [
        "CREATE TABLE a (s String DEFAULT 'x;y') ENGINE = Memory",
        "INSERT INTO a VALUES ('it\\'s;')",
    ]


@pytest.fixture
def database() -> Iterator[ClickHouseHttp]:
    name = f"trainer_it_{uuid.uuid4().hex[:12]}"
    admin = ClickHouseHttp(url=URL, database="default")
    admin.execute(f"CREATE DATABASE {name}")
    try:
        ch = ClickHouseHttp(url=URL, database=name)
        for f in sorted(MIGRATIONS.glob("*.sql")):
            for statement in split_statements(f.read_text(encoding="utf-8")):
                ch.execute(statement)
        yield ch
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")


@needs_clickhouse
def test_vectors_read_from_clickhouse_equal_the_in_memory_ones(database: ClickHouseHttp) -> None:
    events = history()
    rows = [
        json.dumps(
            {
                "event_id": e.event_id,
                "event_type": e.type,
                "shop_id": SHOP,
                "user_id": user,
                "session_id": "",
                "event_time": int(e.time_ms) // 1000,
                "event_time_ms": int(e.time_ms),
                "item_id": e.item_id,
                "category_id": e.category_id,
                "order_id": "",
                "search_query": "",
                "offer_id": e.offer_id,
                "campaign_id": e.campaign_id,
                "decision_id": "",
                "price_minor": int(e.price_minor),
                "currency": "EUR",
                "quantity": int(e.quantity),
                "discount_minor": int(e.discount_minor),
                "unit_cost_minor": None,
                "channel": "",
                "device": "",
                "attribute_keys": [],
                "attribute_values": [],
                "ingested_at": int(e.time_ms) // 1000,
            }
        )
        for user, e in events
    ]
    # Several insert blocks, as ingest batches arrive.
    for k in range(0, len(rows), 25):
        database.execute("INSERT INTO events FORMAT JSONEachRow\n" + "\n".join(rows[k : k + 25]))
    offline = features_for_request(FeatureStore(database, SPEC), parse_request(REQUEST))
    assert offline == in_memory(events)
