"""Runs the SQL corpus (make-corpus.js) on a current ClickHouse, in-process through chDB.

The integration tests run the same SQL on the 18.16 server the local stack starts; this
proves it also runs, with the same answers, on a current release (what users run).
Usage: python run_corpus.py CORPUS.json
"""

from __future__ import annotations

import json
import sys
import tempfile

from chdb import session


def normalise(v: object) -> object:
    """64-bit integers arrive quoted or not depending on the server version; compare values."""
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return v
    if isinstance(v, list):
        return [normalise(x) for x in v]
    if isinstance(v, dict):
        return {k: normalise(x) for k, x in v.items()}
    return v


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        corpus = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        s = session.Session(tmp)
        version = str(s.query("SELECT version()", "CSV")).strip().strip('"')
        s.query("CREATE DATABASE IF NOT EXISTS compat")
        s.query("USE compat")
        for stmt in corpus["statements"]:
            s.query(stmt)
        print(f"ClickHouse {version}: applied {len(corpus['statements'])} DDL statements")
        failures = 0
        for case in corpus["cases"]:
            try:
                res = s.query(case["sql"], "JSONEachRow")
                rows = [json.loads(line) for line in str(res).splitlines() if line.strip()]
                want = case["expect"]
                if want is not None:
                    got = [{k: r.get(k) for k in w} for r, w in zip(rows, want, strict=False)]
                    if len(rows) != len(want) or normalise(got) != normalise(want):
                        raise AssertionError(f"expected {want!r}\n      got {rows!r}")
                print(f"  ok    {case['name']}")
            except Exception as exc:
                failures += 1
                print(f"  FAIL  {case['name']}: {exc}")
        n = len(corpus["cases"])
        print(f"current-clickhouse compat: {n - failures} passed, {failures} failed")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
