"""Command line of the trainer.

`python -m offerstream_trainer check` verifies the trainer can read ClickHouse;
`python -m offerstream_trainer features --request FILE` prints the feature vectors of one
request as they stood at its as_of_ms (see feature_request.py for the request format).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from . import __version__
from .clickhouse_http import ClickHouseError, ClickHouseHttp, SqlBindError
from .feature_request import RequestError, features_for_request, parse_request
from .feature_spec import SPEC_DIR_ENV, FeatureSpecError, load_feature_spec, resolve_spec_dir
from .feature_store import FeatureStore
from .features import ensure_computable


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="offerstream-trainer", description=__doc__)
    p.add_argument("--version", action="version", version=f"offerstream-trainer {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="connect to ClickHouse over HTTP and print its version")
    f = sub.add_parser(
        "features",
        help="print the feature vectors of one request at its as_of_ms (JSON on stdout)",
        description="Computes user, candidate and sequence features exactly as the feature "
        "service serves them, from ClickHouse as it stood at the request's as_of_ms.",
    )
    f.add_argument(
        "--clickhouse-url", help="ClickHouse HTTP URL (default: $CLICKHOUSE_URL or local)"
    )
    f.add_argument("--database", help="ClickHouse database (default: $CLICKHOUSE_DATABASE)")
    f.add_argument("--request", required=True, help="request JSON file ('-' = stdin)")
    f.add_argument(
        "--spec-dir",
        help=f"directory of the fs-N.json spec files (default: ${SPEC_DIR_ENV} or the repo's)",
    )
    return p


def clickhouse_from_env(env: dict[str, str]) -> ClickHouseHttp:
    return ClickHouseHttp(
        url=env.get("CLICKHOUSE_URL", "http://127.0.0.1:8123"),
        user=env.get("CLICKHOUSE_USER", "default"),
        password=env.get("CLICKHOUSE_PASSWORD", ""),
        database=env.get("CLICKHOUSE_DATABASE", "offerstream"),
    )


def read_request(path: str) -> object:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RequestError(f"cannot read request {path}: {e}") from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise RequestError(f"request {path} is not valid JSON: {e}") from e


def run_features(args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    req = parse_request(read_request(args.request))
    spec = load_feature_spec(req.spec_version, resolve_spec_dir(args.spec_dir, env))
    ensure_computable(spec)  # before any query: a spec this code cannot serve fails fast
    ch = clickhouse_from_env(env)
    ch = dataclasses.replace(
        ch, url=args.clickhouse_url or ch.url, database=args.database or ch.database
    )
    return features_for_request(FeatureStore(ch, spec), req)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check":
        ch = clickhouse_from_env(dict(os.environ))
        print(f"clickhouse {ch.version()} at {ch.url} (database {ch.database})")
        return 0
    if args.command == "features":
        try:
            out = run_features(args, dict(os.environ))
            # JSON has no NaN/Infinity: such a value (a float32 overflow) is an error, not output.
            text = json.dumps(out, allow_nan=False)
        except (RequestError, SqlBindError, FeatureSpecError, ClickHouseError) as e:
            print(f"offerstream-trainer features: {e}", file=sys.stderr)
            return 2
        except ValueError as e:
            print(f"offerstream-trainer features: cannot write the answer: {e}", file=sys.stderr)
            return 2
        print(text)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
