"""ClickHouse over its plain HTTP interface, which every server from 18.16 to 25.x speaks.

The trainer reads through HTTP on purpose: newer native drivers may expect newer servers.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass


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
        return [json.loads(line) for line in body.splitlines() if line.strip()]

    def version(self) -> str:
        rows = self.query_json_rows("SELECT version() AS v")
        return str(rows[0]["v"]) if rows else "unknown"

    def _post(self, sql: str, readonly: bool) -> str:
        params = {"database": self.database}
        if readonly:
            params["readonly"] = "1"
        req = urllib.request.Request(
            f"{self.url.rstrip('/')}/?{urllib.parse.urlencode(params)}",
            data=sql.encode("utf-8"),
            method="POST",
            headers={"X-ClickHouse-User": self.user, "X-ClickHouse-Key": self.password},
        )
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
            return resp.read().decode("utf-8")
