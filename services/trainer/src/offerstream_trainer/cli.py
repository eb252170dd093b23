"""Command line: `python -m offerstream_trainer check` verifies the trainer can read ClickHouse."""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .clickhouse_http import ClickHouseHttp


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="offerstream-trainer", description=__doc__)
    p.add_argument("--version", action="version", version=f"offerstream-trainer {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="connect to ClickHouse over HTTP and print its version")
    return p


def clickhouse_from_env(env: dict[str, str]) -> ClickHouseHttp:
    return ClickHouseHttp(
        url=env.get("CLICKHOUSE_URL", "http://127.0.0.1:8123"),
        user=env.get("CLICKHOUSE_USER", "default"),
        password=env.get("CLICKHOUSE_PASSWORD", ""),
        database=env.get("CLICKHOUSE_DATABASE", "offerstream"),
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check":
        ch = clickhouse_from_env(dict(os.environ))
        print(f"clickhouse {ch.version()} at {ch.url} (database {ch.database})")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
