"""sql_literal: the one place values enter SQL text (ClickHouse 18.16 has no query parameters)."""

from __future__ import annotations

import random

import pytest
from offerstream_trainer.clickhouse_http import (
    ClickHouseError,
    SqlBindError,
    parse_int,
    sql_literal,
)
from offerstream_trainer.feature_store import (
    campaign_spent_sql,
    item_hourly_sql,
    item_latest_sql,
    offer_hourly_sql,
    offer_lifetime_sql,
    user_hourly_sql,
    user_recency_sql,
    user_sequence_sql,
)


def parse_quoted(text: str) -> tuple[str, str]:
    """A reference parser for ClickHouse single-quoted literals: (value, rest of the text)."""
    assert text[0] == "'"
    i, value = 1, []
    while i < len(text):
        ch = text[i]
        if ch == "'":
            return "".join(value), text[i + 1 :]
        if ch == "\\":
            n = text[i + 1]
            if n == "x":
                value.append(chr(int(text[i + 2 : i + 4], 16)))
                i += 4
                continue
            value.append(n)
            i += 2
            continue
        value.append(ch)
        i += 1
    raise AssertionError("unterminated literal")


HOSTILE = [
    "",
    "it's",
    "a\\b",
    "\\",
    "'",
    "\\'",
    "'; DROP TABLE events; --",
    "\\'; DROP TABLE events; --",
    "nul\x00tab\tnewline\nreturn\r",
    "del\x7f",
    "ünïcödé ✓ 😀 中文",
    "\u2028\u2029\ufeff",
    "trailing backslash \\",
    "x' OR '1'='1",
    "/* comment */ -- comment",
]


@pytest.mark.parametrize("s", HOSTILE)
def test_a_string_becomes_exactly_one_literal_that_decodes_back(s: str) -> None:
    value, rest = parse_quoted(sql_literal(s))
    assert (value, rest) == (s, "")


def test_quotes_backslashes_and_control_characters_are_escaped() -> None:
    assert sql_literal("it's") == "'it\\'s'"
    assert sql_literal("a\\b") == "'a\\\\b'"
    assert sql_literal("nul\x00tab\t") == "'nul\\x00tab\\x09'"
    assert sql_literal("'; DROP TABLE events; --") == "'\\'; DROP TABLE events; --'"
    assert sql_literal("ü😀") == "'ü😀'"  # sent as UTF-8, unescaped


def test_random_strings_round_trip_and_never_leave_a_quote_unescaped() -> None:
    rng = random.Random(1)
    alphabet = ["'", "\\", "\x00", "\n", "a", "ü", "😀", '"', "`", ";", "\x1f", "\x7f"]
    for _ in range(2000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 24)))
        text = sql_literal(s)
        assert parse_quoted(text) == (s, "")
        body = text[1:-1]
        for i, ch in enumerate(body):
            assert ord(ch) >= 0x20 and ord(ch) != 0x7F, repr(text)
            if ch == "'":  # preceded by an odd number of backslashes
                n = len(body[:i]) - len(body[:i].rstrip("\\"))
                assert n % 2 == 1, repr(text)


def test_integers_are_rendered_via_int_and_negatives_are_parenthesised() -> None:
    assert sql_literal(0) == "0"
    assert sql_literal(1764000000000) == "1764000000000"
    assert sql_literal(-1) == "(-1)"
    assert sql_literal(2**63) == "9223372036854775808"


@pytest.mark.parametrize("v", [True, 1.5, None, b"x", ["a"], "\ud800"])
def test_values_that_cannot_be_bound_faithfully_are_refused(v: object) -> None:
    with pytest.raises(SqlBindError):
        sql_literal(v)  # type: ignore[arg-type]


def test_64_bit_integers_arrive_quoted_and_are_parsed() -> None:
    assert parse_int("9007199254740993") == 9007199254740993
    assert parse_int(-5) == -5
    assert parse_int("-12") == -12
    for bad in ("1.5", "", "x", True, None, 1.0):
        with pytest.raises(ClickHouseError):
            parse_int(bad)


def test_every_feature_query_takes_its_values_through_the_literal_helper() -> None:
    evil = "s'\\x"
    quoted = sql_literal(evil)
    queries = [
        user_hourly_sql(evil, evil, 10, 20),
        user_recency_sql(evil, evil, 1000, 5000),
        user_sequence_sql(evil, evil, 1000, 5000, 50),
        item_hourly_sql(evil, evil, 10, 20),
        item_latest_sql(evil, evil),
        offer_hourly_sql(evil, evil, evil, 10, 20),
        offer_lifetime_sql(evil, evil, evil, 20),
        campaign_spent_sql(evil, evil, 20),
    ]
    for q in queries:
        assert evil not in q.replace(quoted, "")
        assert q.count(quoted) >= 2
        assert "toDateTime(" in q or "item_latest" in q
    assert "hour >= toDateTime(36000) AND hour <= toDateTime(72000)" in queries[0]
    assert "event_time_ms >= 1000 AND event_time_ms <= 5000" in queries[1]
    assert "LIMIT 50" in queries[2]
    assert "hour <= toDateTime(72000)" in queries[6]
