"""The versioned feature spec (libs/features/spec/fs-N.json), read by the trainer.

The same file the feature service reads (libs/features/src/feature-spec.ts): names, order,
defaults and parameters of every value. Validation mirrors the TypeScript schema, so a spec
the service refuses is refused here too.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SPEC_DIR_ENV = "OFFERSTREAM_FEATURE_SPEC_DIR"
"""Environment variable that overrides where the spec files are read from."""

CURRENT_SPEC_VERSION = "fs-2"

_VERSION = re.compile(r"fs-[0-9]+")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


class FeatureSpecError(Exception):
    """The spec file is unreadable, invalid, or names features no code computes."""


@dataclass(frozen=True)
class FeatureDef:
    name: str
    definition: str
    default: float


@dataclass(frozen=True)
class SpecParams:
    lookback_hours: int
    decay_half_life_hours: float
    user_cold_start_max_events: int
    candidate_cold_start_max_events: int
    recency_cap_hours: float


@dataclass(frozen=True)
class SequenceSpec:
    max_length: int
    default_length: int
    event_types: tuple[str, ...]
    order: str


@dataclass(frozen=True)
class FeatureSpec:
    version: str
    description: str
    params: SpecParams
    sequence: SequenceSpec
    user: tuple[FeatureDef, ...]
    candidate: tuple[FeatureDef, ...]
    user_index: Mapping[str, int] = field(compare=False, repr=False)
    candidate_index: Mapping[str, int] = field(compare=False, repr=False)


def default_spec_dir() -> Path:
    """libs/features/spec of the repository this package lives in."""
    return Path(__file__).resolve().parents[4] / "libs" / "features" / "spec"


def resolve_spec_dir(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """The spec directory: `explicit`, else $OFFERSTREAM_FEATURE_SPEC_DIR, else the repo's."""
    if explicit:
        return Path(explicit)
    from_env = (os.environ if env is None else env).get(SPEC_DIR_ENV, "")
    return Path(from_env) if from_env else default_spec_dir()


# --- validation (mirrors the zod schema of feature-spec.ts) ---------------------------------


def _object(doc: object, path: str, keys: tuple[str, ...]) -> Mapping[str, object]:
    if not isinstance(doc, dict):
        raise FeatureSpecError(f"invalid feature spec: {path}: expected an object")
    unknown = sorted(set(doc) - set(keys))
    if unknown:
        raise FeatureSpecError(f"invalid feature spec: {path}: unknown keys {unknown}")
    missing = [k for k in keys if k not in doc]
    if missing:
        raise FeatureSpecError(f"invalid feature spec: {path}: missing keys {missing}")
    return doc


def _number(v: object, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise FeatureSpecError(f"invalid feature spec: {path}: expected a finite number")
    return v


def _int(v: object, path: str, minimum: int) -> int:
    n = _number(v, path)
    if n != int(n) or n < minimum:
        raise FeatureSpecError(f"invalid feature spec: {path}: expected an integer >= {minimum}")
    return int(n)


def _positive(v: object, path: str) -> float:
    n = _number(v, path)
    if n <= 0:
        raise FeatureSpecError(f"invalid feature spec: {path}: expected a positive number")
    return n


def _string(v: object, path: str, pattern: re.Pattern[str] | None = None, min_len: int = 0) -> str:
    if not isinstance(v, str) or len(v) < min_len:
        raise FeatureSpecError(f"invalid feature spec: {path}: expected a string")
    if pattern is not None and not pattern.fullmatch(v):
        raise FeatureSpecError(
            f"invalid feature spec: {path}: {v!r} does not match {pattern.pattern}"
        )
    return v


def _defs(v: object, path: str) -> tuple[tuple[FeatureDef, ...], dict[str, int]]:
    if not isinstance(v, list) or not v:
        raise FeatureSpecError(f"invalid feature spec: {path}: expected a non-empty array")
    defs: list[FeatureDef] = []
    index: dict[str, int] = {}
    for i, d in enumerate(v):
        p = f"{path}.{i}"
        o = _object(d, p, ("name", "definition", "default"))
        fd = FeatureDef(
            name=_string(o["name"], f"{p}.name", _NAME),
            definition=_string(o["definition"], f"{p}.definition", min_len=1),
            default=float(_number(o["default"], f"{p}.default")),
        )
        if fd.name in index:
            raise FeatureSpecError(f"{path} feature {fd.name} is listed twice")
        index[fd.name] = i
        defs.append(fd)
    return tuple(defs), index


def parse_feature_spec(doc: object) -> FeatureSpec:
    """Validates a parsed spec document."""
    root = _object(
        doc, "(root)", ("version", "description", "params", "sequence", "user", "candidate")
    )
    p = _object(
        root["params"],
        "params",
        (
            "lookback_hours",
            "decay_half_life_hours",
            "user_cold_start_max_events",
            "candidate_cold_start_max_events",
            "recency_cap_hours",
        ),
    )
    params = SpecParams(
        lookback_hours=_int(p["lookback_hours"], "params.lookback_hours", 1),
        decay_half_life_hours=_positive(p["decay_half_life_hours"], "params.decay_half_life_hours"),
        user_cold_start_max_events=_int(
            p["user_cold_start_max_events"], "params.user_cold_start_max_events", 0
        ),
        candidate_cold_start_max_events=_int(
            p["candidate_cold_start_max_events"], "params.candidate_cold_start_max_events", 0
        ),
        recency_cap_hours=_positive(p["recency_cap_hours"], "params.recency_cap_hours"),
    )
    s = _object(
        root["sequence"], "sequence", ("max_length", "default_length", "event_types", "order")
    )
    max_length = _int(s["max_length"], "sequence.max_length", 1)
    if max_length > 200:
        raise FeatureSpecError("invalid feature spec: sequence.max_length: at most 200")
    types = s["event_types"]
    if not isinstance(types, list) or not types:
        raise FeatureSpecError("invalid feature spec: sequence.event_types: expected strings")
    sequence = SequenceSpec(
        max_length=max_length,
        default_length=_int(s["default_length"], "sequence.default_length", 0),
        event_types=tuple(_string(t, f"sequence.event_types.{i}") for i, t in enumerate(types)),
        order=_string(s["order"], "sequence.order"),
    )
    if sequence.default_length > sequence.max_length:
        raise FeatureSpecError("sequence.default_length exceeds sequence.max_length")
    user, user_index = _defs(root["user"], "user")
    candidate, candidate_index = _defs(root["candidate"], "candidate")
    return FeatureSpec(
        version=_string(root["version"], "version", _VERSION),
        description=_string(root["description"], "description"),
        params=params,
        sequence=sequence,
        user=user,
        candidate=candidate,
        user_index=user_index,
        candidate_index=candidate_index,
    )


def load_feature_spec(
    version: str = CURRENT_SPEC_VERSION, spec_dir: str | os.PathLike[str] | None = None
) -> FeatureSpec:
    """Loads spec `version` (e.g. "fs-1") from `spec_dir` (see `resolve_spec_dir`)."""
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise FeatureSpecError(f"feature spec version {json.dumps(version)} is malformed")
    directory = resolve_spec_dir(spec_dir)
    path = directory / f"{version}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise FeatureSpecError(f"feature spec {version} is not known here ({path}: {e})") from e
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise FeatureSpecError(f"feature spec {path} is not valid JSON: {e}") from e
    spec = parse_feature_spec(doc)
    if spec.version != version:
        raise FeatureSpecError(f"file {version}.json declares version {spec.version}")
    return spec
