"""Command line of the trainer.

`offerstream-train --since 7d --out STORE` (= `offerstream-trainer train ...`) trains,
evaluates, exports, gates and publishes a model (see `--help`);
`offerstream-trainer verify DIR` checks a model.onnx + model.json pair as the scorer would;
`offerstream-trainer check` verifies the trainer can read ClickHouse;
`offerstream-trainer features --request FILE` prints the feature vectors of one request as
they stood at its as_of_ms (see feature_request.py for the request format);
`offerstream-trainer lab --demo-run RUN` compares uplift learners offline on one `make demo`
run's decisions, valued with the market's ground truth (lab.py);
`offerstream-trainer pacing-lab --demo-run RUN` replays that run's model arm under budget
pacers with redemption draws (pacing_lab.py).

Exit codes: 0 done; 2 an error (message on stderr); 3 the gate refused to publish.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from . import __version__
from .clickhouse_http import ClickHouseError, ClickHouseHttp, SqlBindError
from .feature_request import RequestError, features_for_request, parse_request
from .feature_spec import (
    CURRENT_SPEC_VERSION,
    SPEC_DIR_ENV,
    FeatureSpecError,
    load_feature_spec,
    resolve_spec_dir,
)
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
    add_train_arguments(
        sub.add_parser(
            "train",
            help="train, evaluate, export and publish a model (also: offerstream-train)",
            description=TRAIN_DESCRIPTION,
        )
    )
    v = sub.add_parser(
        "verify",
        help="check a model.onnx + model.json pair against the feature spec, as the scorer does",
    )
    v.add_argument("path", help="a version directory, or its model.onnx")
    v.add_argument(
        "--spec-dir",
        help=f"directory of the fs-N.json spec files (default: ${SPEC_DIR_ENV} or the repo's)",
    )
    add_lab_arguments(
        sub.add_parser(
            "lab",
            help="compare uplift learners offline on a `make demo` run's decisions (ground truth)",
            description="Fits the uplift forest on the run's phase-1 decisions (and each"
            " --variant of it), acts greedily on the model arm's phase-2 decisions and values"
            " every choice with the market's ground truth (see lab.py). Prints a table and,"
            " last, its figures as key=value.",
        )
    )
    pl = sub.add_parser(
        "pacing-lab",
        help="replay a `make demo` run's model arm under budget pacers, with redemption draws",
        description="Replays the model arm's phase-2 decisions of a demo run in simulated time"
        " under bandit-policy's budget pacer (and each --variant of its rules), drawing each"
        " shown offer's redemption --seeds times, and values every choice with the market's"
        " ground truth (see pacing_lab.py). Prints a table and, last, its figures as"
        " key=value.",
    )
    add_demo_run_arguments(pl)
    pl.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME:key=value,... the pacer with these PacerRules fields changed (floor,"
        " ceiling, ramp_price, max_price, calibration_prior; repeatable)",
    )
    pl.add_argument("--seeds", type=int, default=24, help="redemption draws per pacer (24)")
    pl.add_argument(
        "--count-lag-minutes",
        type=float,
        default=81.0,
        help="simulated minutes from a shown offer to its cost being counted (default 81: the"
        " demo's 1 h offer, 0.5 s grace and half a 250 ms settlement tick at its speed-up)",
    )
    return p


def clickhouse_from_args(args: argparse.Namespace, env: dict[str, str]) -> ClickHouseHttp:
    """ClickHouse from the environment, with --clickhouse-url / --database over it."""
    ch = clickhouse_from_env(env)
    return dataclasses.replace(
        ch, url=args.clickhouse_url or ch.url, database=args.database or ch.database
    )


def add_demo_run_arguments(p: argparse.ArgumentParser) -> None:
    """Which `make demo` run a lab reads, and from which ClickHouse."""
    p.add_argument("--demo-run", required=True, help="the run's digits (its report's name)")
    p.add_argument("--root", default=".", help="repository root holding .local (default .)")
    p.add_argument("--clickhouse-url", help="ClickHouse HTTP URL (default: $CLICKHOUSE_URL)")
    p.add_argument("--database", help="ClickHouse database (default: $CLICKHOUSE_DATABASE)")


def add_lab_arguments(lab: argparse.ArgumentParser) -> None:
    add_demo_run_arguments(lab)
    lab.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME:key=value,... a forest with these ForestConfig fields changed (repeatable)",
    )
    lab.add_argument(
        "--after-hours",
        type=float,
        default=0.0,
        help="value only decisions this many simulated hours after the arm's first (warm-up)",
    )
    lab.add_argument("--seed", type=int, default=7, help="forest seed (default 7, as train)")
    lab.add_argument(
        "--uplift-lcb",
        type=float,
        default=0.04,
        help="value uplifts at uplift - k x sqrt(p0 (1 - p0)), as the policy's uplift_lcb"
        " (default 0.04, bandit-policy's default; 0 = the estimate as it is)",
    )
    lab.add_argument("--threads", type=int, default=2, help="LightGBM threads (default 2)")
    lab.add_argument(
        "--spec-version", default=CURRENT_SPEC_VERSION, help="feature spec of the rows"
    )
    lab.add_argument("--spec-dir", help=f"spec directory (default: ${SPEC_DIR_ENV} or the repo's)")


TRAIN_DESCRIPTION = (
    "Reads the decisions of a window and their outcomes from ClickHouse, trains the "
    "behaviour-sequence model and the baselines on a time split, exports ONNX (parity-checked), "
    "writes model.onnx + model.json + report.html into the model store and announces the "
    "version on offerstream.models.v1, unless the gate finds it worse than the current model."
)

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)([smhdw])")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}


def parse_instant(text: str, now_ms: int) -> int:
    """'7d' / '36h' (that long before now), epoch ms, or an ISO 8601 time -> epoch ms."""
    t = text.strip()
    m = _DURATION.fullmatch(t)
    if m:
        return now_ms - round(float(m[1]) * _UNIT_MS[m[2]])
    if t.isdigit():
        return int(t)
    try:
        from datetime import UTC, datetime

        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return round(dt.timestamp() * 1000)
    except ValueError as e:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration (7d, 36h), epoch ms or ISO time"
        ) from e


def add_train_arguments(t: argparse.ArgumentParser) -> None:
    t.add_argument(
        "--since",
        default="7d",
        help="window start: a duration before --until (7d, 36h), epoch ms or ISO time (default 7d)",
    )
    t.add_argument("--until", help="window end, exclusive (default: now)")
    t.add_argument(
        "--observed-until",
        help="how far outcomes are known; rows whose attribution window is still open then "
        "and whose reward is not final are left out (default: now)",
    )
    t.add_argument(
        "--out",
        help="model store: a directory, file:// or s3://bucket/prefix (default: "
        "$MODEL_STORE_URI or .local/models)",
    )
    t.add_argument("--model-name", default="offer-uplift", help="model name (default offer-uplift)")
    t.add_argument("--config", help="JSON file {'model': {...}, 'train': {...}} (flags override)")
    t.add_argument("--device", choices=("cpu", "cuda"), help="cuda = the GPU when present")
    t.add_argument("--seed", type=int, help="random seed (default 7): same data, same model")
    t.add_argument(
        "--epochs", type=int, help="training passes (default 8, raised to reach --min-steps)"
    )
    t.add_argument(
        "--min-steps",
        type=int,
        help="least optimiser steps: passes are raised to reach it on few rows (default 200;"
        " 0 = exactly --epochs)",
    )
    t.add_argument(
        "--validation-share",
        type=float,
        help="newest share of the training rows held back to pick the best epoch"
        " (default 0: keep the last epoch)",
    )
    t.add_argument("--batch-size", type=int)
    t.add_argument("--learning-rate", type=float)
    t.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    t.add_argument("--width", type=int, help="token width (default 32)")
    t.add_argument("--depth", type=int, help="transformer layers (default 1)")
    t.add_argument("--heads", type=int, help="attention heads (default 2)")
    t.add_argument("--sequence-length", type=int, help="events read (default 20)")
    t.add_argument("--id-buckets", type=int, help="id hash buckets (default 10007)")
    t.add_argument("--hidden", type=int, help="MLP width (default 64)")
    t.add_argument(
        "--members",
        type=int,
        help="models trained with their own seeds and averaged in one graph (default 3)",
    )
    t.add_argument(
        "--uplift-learner",
        choices=("forest", "heads"),
        help="where the uplift comes from: the gradient-boosted S-learner in the graph"
        " (default) or the neural treatment/control heads",
    )
    t.add_argument("--test-share", type=float, default=0.2, help="share held out (default 0.2)")
    t.add_argument(
        "--split",
        choices=("user", "time"),
        default="user",
        help="hold out whole users by id hash (default) or the newest rows",
    )
    t.add_argument(
        "--missing-reward",
        choices=("negative", "drop"),
        default="negative",
        help="rows whose window closed without a reward: no outcome (default) or left out",
    )
    t.add_argument("--catalog", help="JSON file: the campaign catalog (features request format)")
    t.add_argument(
        "--stage",
        choices=("production", "canary", "shadow"),
        default="production",
        help="rollout stage to announce (default production)",
    )
    t.add_argument(
        "--no-refit",
        action="store_true",
        help="publish the model trained without the held-out users (default: train it again"
        " on every row once the split has measured it)",
    )
    t.add_argument("--force", action="store_true", help="publish even if the gate refuses")
    t.add_argument(
        "--gate-tolerance",
        type=float,
        default=0.005,
        help="how much worse than the current model a held-out metric may be (default 0.005)",
    )
    t.add_argument("--no-announce", action="store_true", help="store only, no Kafka message")
    t.add_argument("--kafka-brokers", help="default: $KAFKA_BROKERS or 127.0.0.1:9092")
    t.add_argument("--clickhouse-url", help="default: $CLICKHOUSE_URL or local")
    t.add_argument("--database", help="default: $CLICKHOUSE_DATABASE or offerstream")
    t.add_argument(
        "--spec-version",
        default=CURRENT_SPEC_VERSION,
        help=f"feature spec (default {CURRENT_SPEC_VERSION})",
    )
    t.add_argument("--spec-dir", help=f"spec directory (default: ${SPEC_DIR_ENV} or the repo's)")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")


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
    ch = clickhouse_from_args(args, env)
    return features_for_request(FeatureStore(ch, spec), req)


def _configs(args: argparse.Namespace) -> tuple[Any, Any]:
    from .model import ModelConfig
    from .train import TrainConfig

    doc: dict[str, Any] = {}
    if args.config:
        try:
            doc = json.loads(Path(args.config).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"cannot read --config {args.config}: {e}") from e
    model = dict(doc.get("model", {}))
    train = dict(doc.get("train", {}))
    for flag, key in (
        ("width", "width"),
        ("depth", "depth"),
        ("heads", "heads"),
        ("sequence_length", "sequence_length"),
        ("id_buckets", "id_buckets"),
        ("hidden", "hidden"),
        ("members", "members"),
        ("uplift_learner", "uplift_learner"),
    ):
        if getattr(args, flag) is not None:
            model[key] = getattr(args, flag)
    for flag in (
        "epochs",
        "min_steps",
        "validation_share",
        "batch_size",
        "learning_rate",
        "seed",
        "device",
        "threads",
    ):
        if getattr(args, flag) is not None:
            train[flag] = getattr(args, flag)
    try:
        return ModelConfig(**model), TrainConfig(**train)
    except TypeError as e:
        raise ValueError(f"bad model/train configuration: {e}") from e


def _catalog(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    from .feature_request import parse_request

    doc = read_request(path)
    if not isinstance(doc, list):
        raise RequestError(f"--catalog {path}: expected a JSON array of catalog offers")
    req = parse_request({"shop_id": "-", "user_id": "-", "as_of_ms": 0, "catalog": doc})
    return dict(req.catalog)


def run_train(args: argparse.Namespace, env: dict[str, str]) -> int:
    from .export import ExportError, ModelFileError
    from .pipeline import STAGES, TrainJob, run_training
    from .progress import tqdm_progress
    from .registry import AnnounceError, GateRefused, StoreError, kafka_announcer, open_store
    from .training_data import TrainingDataError, load_training_rows

    def log(msg: str) -> None:
        print(f"offerstream-train: {msg}", file=sys.stderr)

    try:
        now = int(time.time() * 1000)
        until = parse_instant(args.until, now) if args.until else now
        since = parse_instant(args.since, until)
        observed = parse_instant(args.observed_until, now) if args.observed_until else now
        if since >= until:
            raise ValueError(f"empty window: --since {args.since} is not before --until")
        model_cfg, train_cfg = _configs(args)
        spec = load_feature_spec(args.spec_version, resolve_spec_dir(args.spec_dir, env))
        ensure_computable(spec)
        reads = max(model_cfg.sequence_length, model_cfg.forest.events)
        if reads > spec.sequence.max_length:
            raise ValueError(
                f"the model reads {reads} events (--sequence-length"
                f" {model_cfg.sequence_length}, forest events {model_cfg.forest.events}),"
                f" more than the spec's {spec.sequence.max_length}"
            )
        store = open_store(args.out or env.get("MODEL_STORE_URI", ".local/models"))
        ch = clickhouse_from_args(args, env)
        progress = tqdm_progress(not args.no_progress)
        log(f"reading decisions served {since} .. {until} from {ch.url} ({ch.database})")
        rows = load_training_rows(
            ch,
            spec,
            since,
            until,
            observed_until_ms=observed,
            missing_reward=args.missing_reward,
            catalog=_catalog(args.catalog),
            progress=progress,
        )
        job = TrainJob(
            start_ms=since,
            end_ms=until,
            model=model_cfg,
            train=train_cfg,
            model_name=args.model_name,
            test_share=args.test_share,
            split=args.split,
            stage=STAGES[args.stage],
            force=args.force,
            gate_tolerance=args.gate_tolerance,
            refit=not args.no_refit,
        )
        announce = None if args.no_announce else kafka_announcer(env, args.kafka_brokers)
        out = run_training(rows, spec, job, store, announce, log=log, progress=progress)
    except GateRefused as e:
        log(str(e))
        return 3
    except (
        ValueError,
        RequestError,
        FeatureSpecError,
        ClickHouseError,
        TrainingDataError,
        ExportError,
        ModelFileError,
        StoreError,
        AnnounceError,
    ) as e:
        log(str(e))
        return 2
    m = out.manifest["metrics"]
    assert isinstance(m, dict)
    print(
        json.dumps(
            {
                "model": f"{args.model_name}@{out.version}",
                "published": out.published,
                "metrics": {k: round(v, 6) for k, v in sorted(m.items())},
            },
            indent=2,
        )
    )
    return 0


def run_verify(args: argparse.Namespace, env: dict[str, str]) -> int:
    from .export import ModelFileError, verify_model_files
    from .registry import StoreError, read_manifest

    p = Path(args.path)
    onnx_path = p if p.suffix == ".onnx" else p / "model.onnx"
    try:
        manifest = read_manifest(onnx_path.parent / "model.json")
        version = manifest.get("feature_spec_version")
        spec = load_feature_spec(
            str(version) if isinstance(version, str) and version else "fs-1",
            resolve_spec_dir(args.spec_dir, env),
        )
        verify_model_files(onnx_path, manifest, spec)
    except (ModelFileError, StoreError, FeatureSpecError) as e:
        print(f"offerstream-trainer verify: {e}", file=sys.stderr)
        return 2
    print(f"{onnx_path}: ok ({manifest.get('model_name')}@{manifest.get('model_version')})")
    return 0


def run_lab(args: argparse.Namespace, env: dict[str, str]) -> int:
    from .lab import (
        LabError,
        fit_and_value,
        format_table,
        greedy_score,
        key_values,
        load_rows,
        locate_demo_run,
        logged_candidates,
        parse_variant,
        read_truth,
    )
    from .training_data import TrainingDataError
    from .uplift_forest import ForestConfig

    def log(msg: str) -> None:
        print(f"offerstream-trainer lab: {msg}", file=sys.stderr, flush=True)

    try:
        variants = [("forest", {}), *(parse_variant(v) for v in args.variant)]
        configs = [(name, dataclasses.replace(ForestConfig(), **ch)) for name, ch in variants]
        spec = load_feature_spec(args.spec_version, resolve_spec_dir(args.spec_dir, env))
        ensure_computable(spec)
        ch = clickhouse_from_args(args, env)
        root = Path(args.root)
        demo = locate_demo_run(ch, root, args.demo_run)
        truth = read_truth(demo.truth_path.read_text(encoding="utf-8").splitlines())
        if not truth:
            raise LabError(f"{demo.truth_path}: no decisions of the model arm")
        since = min(t.sim_time_ms for t in truth.values()) + int(args.after_hours * 3_600_000)
        log(f"run {demo.run}: training window {demo.train_since_ms} .. {demo.train_until_ms}")
        train, cands = load_rows(ch, spec, demo, _catalog(str(demo.catalog_path)))
        treated = int(train.treated.sum())
        log(f"{len(train)} training rows ({treated} treated), {len(cands)} candidates")
        econ, served = logged_candidates(ch, demo.eval_shop)
        names = [f.name for f in spec.candidate]
        results = [("served", greedy_score(served, truth, since))]
        for name, cfg in configs:
            started = time.perf_counter()
            values = fit_and_value(
                train,
                cands,
                econ,
                cfg,
                names,
                args.seed,
                args.threads,
                uplift_lcb=args.uplift_lcb,
            )
            results.append((name, greedy_score(values, truth, since)))
            log(f"{name}: fitted and valued in {time.perf_counter() - started:.1f} s")
    except (
        TrainingDataError,
        FeatureSpecError,
        ClickHouseError,
        OSError,
        TypeError,
        ValueError,
    ) as e:
        # LabError and SqlBindError are ValueErrors.
        print(f"offerstream-trainer lab: {e}", file=sys.stderr)
        return 2
    print(f"offline lab, run {demo.run}: greedy choices on {demo.eval_shop}'s decisions")
    print(format_table(results))
    print(key_values(results))
    return 0


def run_pacing_lab(args: argparse.Namespace, env: dict[str, str]) -> int:
    from .lab import LabError, locate_demo_run, read_truth
    from .pacing_lab import (
        PacerRules,
        format_table,
        key_values,
        load_decisions,
        parse_rules,
        read_report,
        run_variants,
        unbudgeted,
    )

    try:
        if not 1 <= args.seeds <= 10_000:
            raise LabError(f"--seeds must be 1..10000: {args.seeds}")
        if not args.count_lag_minutes >= 0:
            raise LabError(f"--count-lag-minutes must be >= 0: {args.count_lag_minutes}")
        variants = [("bandit-policy", PacerRules()), *(parse_rules(v) for v in args.variant)]
        ch = clickhouse_from_args(args, env)
        demo = locate_demo_run(ch, Path(args.root), args.demo_run)
        report_path = demo.truth_path.with_name(
            demo.truth_path.name.removesuffix("-decisions.jsonl") + ".json"
        )
        report = read_report(report_path)
        truth = read_truth(demo.truth_path.read_text(encoding="utf-8").splitlines())
        decisions, shown_expected = load_decisions(ch, demo.eval_shop, truth)
        if not decisions or not shown_expected > 0:
            raise LabError(f"run {demo.run}: the model arm showed nothing to pace")
        ratio = report.arm_spent / shown_expected
        started = time.perf_counter()
        results = run_variants(
            decisions,
            report.plan,
            report.budget,
            variants,
            warmup_end_ms=report.warmup_end_ms,
            cost_ratio=ratio,
            count_lag_ms=int(args.count_lag_minutes * 60_000),
            seeds=args.seeds,
        )
        print(
            f"offerstream-trainer pacing-lab: {len(variants)} pacer(s) x {args.seeds} draws in"
            f" {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    except (ClickHouseError, OSError, TypeError, ValueError) as e:
        print(f"offerstream-trainer pacing-lab: {e}", file=sys.stderr)
        return 2
    print(
        f"pacing lab, run {demo.run}: {len(decisions)} decisions of {demo.eval_shop}, budget"
        f" {report.budget / 100:.2f}, realized/expected cost {ratio:.2f}"
    )
    print(format_table(results, report, unbudgeted(decisions, report.warmup_end_ms)))
    print(key_values(results, report))
    return 0


def train_main(argv: list[str] | None = None) -> int:
    """`offerstream-train`: the train command on its own."""
    p = argparse.ArgumentParser(prog="offerstream-train", description=TRAIN_DESCRIPTION)
    p.add_argument("--version", action="version", version=f"offerstream-trainer {__version__}")
    add_train_arguments(p)
    return run_train(p.parse_args(argv), dict(os.environ))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train":
        return run_train(args, dict(os.environ))
    if args.command == "verify":
        return run_verify(args, dict(os.environ))
    if args.command == "lab":
        return run_lab(args, dict(os.environ))
    if args.command == "pacing-lab":
        return run_pacing_lab(args, dict(os.environ))
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
