"""ClickHouse over its plain HTTP interface, which every server from 18.16 to 25.x speaks.

The trainer reads through HTTP on purpose: newer native drivers may expect newer servers.

ClickHouse 18.16 has no server-side query parameters, so values enter SQL text as literals,
and `sql_literal` is the one place that renders them (the counterpart of `literal()` in
libs/clickhouse/src/sql.ts). Never put a value into SQL any other way.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass


class ClickHouseError(Exception):
    """ClickHouse could not be reached, refused a query, or answered something unreadable."""


class SqlBindError(ValueError):
    """A value that cannot be rendered as a ClickHouse literal faithfully."""


def sql_literal(value: str | int) -> str:
    """Renders a string or an integer as a ClickHouse literal.

    Strings: backslash and single quote are backslash-escaped, control characters (and DEL)
    become ``\\xNN`` escapes, everything else (any Unicode) is kept and sent as UTF-8. A lone
    surrogate has no UTF-8 form and is refused rather than silently replaced.
    Integers: rendered via ``int()``; a negative one is parenthesised so ``x - -1`` stays
    unambiguous. Anything else (bool, float, None, ...) is refused: callers convert first.
    """
    if isinstance(value, bool):
        raise SqlBindError("cannot bind a bool; pass 0 or 1")
    if isinstance(value, int):
        n = int(value)
        return f"({n})" if n < 0 else str(n)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise SqlBindError(
                "string contains a lone surrogate and cannot be stored as UTF-8"
            ) from e
        out = ["'"]
        for ch in value:
            c = ord(ch)
            if ch == "\\":
                out.append("\\\\")
            elif ch == "'":
                out.append("\\'")
            elif c < 0x20 or c == 0x7F:
                out.append(f"\\x{c:02x}")
            else:
                out.append(ch)
        out.append("'")
        return "".join(out)
    raise SqlBindError(f"cannot bind a value of type {type(value).__name__}")


def parse_int(value: object) -> int:
    """An integer from ClickHouse JSON: 64-bit integers arrive quoted ("5"), others as numbers."""
    if isinstance(value, bool):
        raise ClickHouseError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 10)
        except ValueError:
            pass
    raise ClickHouseError(f"expected an integer, got {value!r}")


@dataclass(frozen=True)
class ClickHouseHttp:
    url: str = "http://127.0.0.1:8123"
    user: str = "default"
    password: str = ""
    database: str = "offerstream"
    timeout_s: float = 30.0

    def query_json_rows(self, sql: str) -> list[dict[str, object]]:
        """Runs a read-only query and returns its rows (FORMAT JSONEachRow is appended)."""
        body = self._post(f"{sql.rstrip().rstrip(';')} FORMAT JSONEachRow", readonly=True)
        try:
            return [json.loads(line) for line in body.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise ClickHouseError(f"unreadable answer from ClickHouse: {e}") from e

    def iter_json_rows(self, sql: str) -> Iterator[dict[str, object]]:
        """Like `query_json_rows`, streamed: rows are parsed as they arrive (large reads)."""
        params = {"database": self.database, "readonly": "1"}
        req = self._request(f"{sql.rstrip().rstrip(';')} FORMAT JSONEachRow", params)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                for raw in resp:
                    line = raw.decode("utf-8").strip()
                    if line:
                        yield json.loads(line)
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", errors="replace").strip()
            raise ClickHouseError(f"ClickHouse at {self.url} answered {e.code}: {detail}") from e
        except (urllib.error.URLError, OSError) as e:
            raise ClickHouseError(f"cannot reach ClickHouse at {self.url}: {e}") from e
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ClickHouseError(f"unreadable answer from ClickHouse: {e}") from e

    def insert_json_rows(self, table: str, rows: list[dict[str, object]]) -> None:
        """Inserts rows (JSON objects keyed by column) into `table` (FORMAT JSONEachRow)."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
            raise SqlBindError(f"not a table name: {table!r}")
        if not rows:
            return
        body = "\n".join(json.dumps(r, separators=(",", ":")) for r in rows)
        self.execute(f"INSERT INTO {table} FORMAT JSONEachRow\n{body}")

    def execute(self, sql: str) -> None:
        """Runs a statement that may write (DDL, INSERT ... FORMAT ... with its data)."""
        self._post(sql, readonly=False)

    def version(self) -> str:
        rows = self.query_json_rows("SELECT version() AS v")
        return str(rows[0]["v"]) if rows else "unknown"

    def _request(self, sql: str, params: dict[str, str]) -> urllib.request.Request:
        return urllib.request.Request(
            f"{self.url.rstrip('/')}/?{urllib.parse.urlencode(params)}",
            data=sql.encode("utf-8"),
            method="POST",
            headers={"X-ClickHouse-User": self.user, "X-ClickHouse-Key": self.password},
        )

    def _post(self, sql: str, readonly: bool) -> str:
        params = {"database": self.database}
        if readonly:
            params["readonly"] = "1"
        req = self._request(sql, params)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                return resp.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", errors="replace").strip()
            raise ClickHouseError(f"ClickHouse at {self.url} answered {e.code}: {detail}") from e
        except (urllib.error.URLError, OSError) as e:
            raise ClickHouseError(f"cannot reach ClickHouse at {self.url}: {e}") from e
        except UnicodeDecodeError as e:
            raise ClickHouseError(f"ClickHouse answered invalid UTF-8: {e}") from e
