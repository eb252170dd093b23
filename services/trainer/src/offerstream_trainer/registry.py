"""The model store, the publish gate, and announcements on offerstream.models.v1.

Store layout (what services/scoring/src/model-store.repository.ts reads):
`<store>/<model_name>/<version>/model.onnx` with model.json (and report.html) beside it, plus
`<store>/<model_name>/PRODUCTION` holding the version the trainer last promoted (the gate
compares against it). A store is a directory (a path or file:// URI) or an S3-compatible
bucket (`s3://bucket/prefix`; boto3 is imported only then, endpoint from $S3_ENDPOINT_URL
or $AWS_ENDPOINT_URL, credentials the usual AWS way). Announcements carry the version's URI
relative to the store ("<name>/<version>/model.onnx"): the scorer resolves it against its
own MODEL_STORE_URI (in Kubernetes a volume synced from the bucket).

ModelAnnouncement is encoded by the small protobuf writer below (the fields of
proto/offerstream/v1/models.proto; a test decodes it with the generated TypeScript codec).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

MODELS_TOPIC = "offerstream.models.v1"
_NAME = re.compile(r"[a-z0-9-]+")
_VERSION = re.compile(r"[A-Za-z0-9._-]+")


class StoreError(Exception):
    """The model store cannot be read or written."""


class GateRefused(Exception):
    """The new model is worse than the current one on the held-out metrics (not forced)."""


class AnnounceError(Exception):
    """The announcement could not be published."""


# --- store ----------------------------------------------------------------------------------


class ModelStore(Protocol):
    def put(self, name: str, version: str, files: Mapping[str, Path]) -> None: ...

    def get(self, name: str, version: str, filename: str, dest: Path) -> Path | None: ...

    def production(self, name: str) -> str | None: ...

    def set_production(self, name: str, version: str) -> None: ...

    def describe(self) -> str: ...


def relative_uri(name: str, version: str) -> str:
    return f"{name}/{version}/model.onnx"


def _check(name: str, version: str) -> None:
    if not _NAME.fullmatch(name):
        raise StoreError(f"model name {name!r} must be lower-case [a-z0-9-]+")
    if not _VERSION.fullmatch(version):
        raise StoreError(f"model version {version!r} must be [A-Za-z0-9._-]+")


@dataclass(frozen=True)
class DirectoryStore:
    root: Path

    def describe(self) -> str:
        return str(self.root)

    def put(self, name: str, version: str, files: Mapping[str, Path]) -> None:
        """Writes the version's files into a temporary folder, then renames it into place, so
        a reader never sees half a version."""
        _check(name, version)
        final = self.root / name / version
        if final.exists():
            raise StoreError(f"{final} already exists")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=final.parent))
            for fname, src in files.items():
                shutil.copyfile(src, tmp / fname)
            tmp.chmod(0o755)
            tmp.rename(final)
        except OSError as e:
            raise StoreError(f"cannot write {final}: {e}") from e

    def get(self, name: str, version: str, filename: str, dest: Path) -> Path | None:
        _check(name, version)
        src = self.root / name / version / filename
        if not src.exists():
            return None
        try:
            shutil.copyfile(src, dest)
        except OSError as e:
            raise StoreError(f"cannot read {src}: {e}") from e
        return dest

    def production(self, name: str) -> str | None:
        p = self.root / name / "PRODUCTION"
        try:
            v = p.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StoreError(f"cannot read {p}: {e}") from e
        return v or None

    def set_production(self, name: str, version: str) -> None:
        _check(name, version)
        p = self.root / name / "PRODUCTION"
        try:
            tmp = p.with_name(".PRODUCTION.tmp")
            tmp.write_text(version + "\n", encoding="utf-8")
            tmp.replace(p)
        except OSError as e:
            raise StoreError(f"cannot write {p}: {e}") from e


@dataclass
class S3Store:
    bucket: str
    prefix: str
    client: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.client is None:
            try:
                import boto3  # type: ignore[import-not-found]
            except ImportError as e:
                raise StoreError(
                    "an s3:// model store needs boto3 (pip install 'offerstream-trainer[s3]')"
                ) from e
            endpoint = os.environ.get("S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
            self.client = boto3.client("s3", endpoint_url=endpoint or None)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix.strip("/"), *parts) if p)

    def put(self, name: str, version: str, files: Mapping[str, Path]) -> None:
        _check(name, version)
        # model.json last: a reader that finds it finds model.onnx too.
        order = sorted(files, key=lambda f: f == "model.json")
        try:
            for fname in order:
                self.client.upload_file(
                    str(files[fname]), self.bucket, self._key(name, version, fname)
                )  # type: ignore[attr-defined]
        except Exception as e:  # botocore raises many types
            raise StoreError(f"cannot write {self.describe()}/{name}/{version}: {e}") from e

    def get(self, name: str, version: str, filename: str, dest: Path) -> Path | None:
        _check(name, version)
        try:
            self.client.download_file(self.bucket, self._key(name, version, filename), str(dest))  # type: ignore[attr-defined]
        except Exception as e:
            if "404" in str(e) or "NoSuchKey" in str(e) or "Not Found" in str(e):
                return None
            raise StoreError(
                f"cannot read {self.describe()}/{name}/{version}/{filename}: {e}"
            ) from e
        return dest

    def production(self, name: str) -> str | None:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._key(name, "PRODUCTION"))  # type: ignore[attr-defined]
        except Exception as e:
            if "NoSuchKey" in str(e) or "404" in str(e):
                return None
            raise StoreError(f"cannot read {self.describe()}/{name}/PRODUCTION: {e}") from e
        return obj["Body"].read().decode("utf-8").strip() or None

    def set_production(self, name: str, version: str) -> None:
        _check(name, version)
        try:
            self.client.put_object(  # type: ignore[attr-defined]
                Bucket=self.bucket,
                Key=self._key(name, "PRODUCTION"),
                Body=(version + "\n").encode(),
            )
        except Exception as e:
            raise StoreError(f"cannot write {self.describe()}/{name}/PRODUCTION: {e}") from e


def open_store(uri: str) -> ModelStore:
    """A store from a directory path, a file:// URI or an s3://bucket/prefix URI."""
    if re.match(r"^s3://", uri, re.IGNORECASE):
        u = urlparse(uri)
        if not u.netloc:
            raise StoreError(f"model store {uri}: no bucket")
        return S3Store(bucket=u.netloc, prefix=u.path.lstrip("/"))
    if uri.startswith("file://"):
        return DirectoryStore(Path(urlparse(uri).path))
    if "://" in uri:
        raise StoreError(f"model store {uri}: only directories, file:// and s3:// are supported")
    return DirectoryStore(Path(uri))


# --- gate -----------------------------------------------------------------------------------

GATE_METRICS = ("auc_click", "auc_purchase", "qini")
"""Held-out metrics (higher is better) a new model must not lose on."""


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    current_version: str | None
    reasons: tuple[str, ...]
    current_metrics: Mapping[str, float]


def gate(
    new: Mapping[str, float],
    current: Mapping[str, float] | None,
    current_version: str | None,
    tolerance: float,
    note: str = "",
) -> GateDecision:
    """Passes when there is no comparable current model, or when the new one is no worse
    than it (by more than `tolerance`) on every GATE_METRICS metric, both measured on the
    same held-out rows."""
    if current is None:
        why = note or "no current model to compare with"
        return GateDecision(True, current_version, (why,), {})
    worse = []
    for k in GATE_METRICS:
        a, b = new.get(k, math.nan), current.get(k, math.nan)
        if math.isnan(b):
            continue
        if math.isnan(a) or a < b - tolerance:
            worse.append(f"{k} {a:.4f} < current {b:.4f} - {tolerance:g}")
    if worse:
        return GateDecision(False, current_version, tuple(worse), dict(current))
    better = ", ".join(
        f"{k} {new.get(k, math.nan):.4f} vs {current.get(k, math.nan):.4f}" for k in GATE_METRICS
    )
    return GateDecision(
        True, current_version, (f"no worse than {current_version}: {better}",), dict(current)
    )


# --- announcement (protobuf) ----------------------------------------------------------------

TENSOR_DATA_TYPES = {
    "TENSOR_DATA_TYPE_UNSPECIFIED": 0,
    "TENSOR_DATA_TYPE_FLOAT32": 1,
    "TENSOR_DATA_TYPE_FLOAT16": 2,
    "TENSOR_DATA_TYPE_INT64": 3,
    "TENSOR_DATA_TYPE_INT32": 4,
    "TENSOR_DATA_TYPE_BOOL": 5,
}
TASK_HEAD_TYPES = {
    "TASK_HEAD_TYPE_UNSPECIFIED": 0,
    "TASK_HEAD_TYPE_CLICK": 1,
    "TASK_HEAD_TYPE_PURCHASE": 2,
    "TASK_HEAD_TYPE_PURCHASE_GIVEN_OFFER": 3,
    "TASK_HEAD_TYPE_PURCHASE_NO_OFFER": 4,
    "TASK_HEAD_TYPE_UPLIFT": 5,
    "TASK_HEAD_TYPE_INCREMENTAL_PROFIT": 6,
}
ROLLOUT_STAGES = {
    "ROLLOUT_STAGE_UNSPECIFIED": 0,
    "ROLLOUT_STAGE_SHADOW": 1,
    "ROLLOUT_STAGE_CANARY": 2,
    "ROLLOUT_STAGE_PRODUCTION": 3,
    "ROLLOUT_STAGE_ROLLED_BACK": 4,
    "ROLLOUT_STAGE_RETIRED": 5,
}


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int32/int64: ten-byte two's complement, as protobuf does
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _tag(field_no: int, wire: int) -> bytes:
    return _varint((field_no << 3) | wire)


def _len(field_no: int, payload: bytes) -> bytes:
    return _tag(field_no, 2) + _varint(len(payload)) + payload


def _str(field_no: int, s: str) -> bytes:
    return _len(field_no, s.encode("utf-8")) if s else b""


def _int(field_no: int, n: int) -> bytes:
    return _tag(field_no, 0) + _varint(n) if n else b""


def _double(field_no: int, x: float) -> bytes:
    return _tag(field_no, 1) + struct.pack("<d", x) if x != 0 else b""


def _timestamp(field_no: int, iso_time: str) -> bytes:
    if not iso_time:
        return b""
    dt = datetime.fromisoformat(iso_time.replace("Z", "+00:00"))
    total_us = round(dt.timestamp() * 1_000_000)
    seconds, micros = divmod(total_us, 1_000_000)
    return _len(field_no, _int(1, seconds) + _int(2, micros * 1000))


def _tensor_spec(t: Mapping[str, object]) -> bytes:
    shape = t.get("shape", [])
    packed = b"".join(_varint(int(d)) for d in shape) if isinstance(shape, list) else b""
    return (
        _str(1, str(t.get("name", "")))
        + _int(2, TENSOR_DATA_TYPES[str(t.get("data_type", "TENSOR_DATA_TYPE_UNSPECIFIED"))])
        + (_len(3, packed) if packed else b"")
        + _str(4, str(t.get("description", "")))
    )


def encode_announcement(m: Mapping[str, object]) -> bytes:
    """ModelAnnouncement bytes from model.json's fields (see proto/offerstream/v1/models.proto)."""

    def lst(k: str) -> list[Mapping[str, object]]:
        v = m.get(k, [])
        return v if isinstance(v, list) else []

    out = bytearray()
    out += _str(1, str(m.get("model_name", "")))
    out += _str(2, str(m.get("model_version", "")))
    out += _str(3, str(m.get("uri", "")))
    out += _str(4, str(m.get("sha256", "")))
    out += _str(5, str(m.get("feature_spec_version", "")))
    out += _int(6, int(m.get("onnx_opset", 0)))  # type: ignore[call-overload]
    for t in lst("inputs"):
        out += _len(10, _tensor_spec(t))
    for t in lst("outputs"):
        out += _len(11, _tensor_spec(t))
    for h in lst("heads"):
        out += _len(
            12,
            _int(1, TASK_HEAD_TYPES[str(h.get("type"))]) + _str(2, str(h.get("output_name", ""))),
        )
    metrics = m.get("metrics", {})
    if isinstance(metrics, Mapping):
        for k, v in metrics.items():
            # Map entries always carry both fields (as protobuf writers emit them).
            entry = _len(1, str(k).encode("utf-8")) + _tag(2, 1) + struct.pack("<d", float(v))
            out += _len(20, entry)
    out += _timestamp(21, str(m.get("trained_at", "")))
    out += _timestamp(22, str(m.get("training_window_start", "")))
    out += _timestamp(23, str(m.get("training_window_end", "")))
    r = m.get("rollout")
    if isinstance(r, Mapping):
        out += _len(
            30,
            _int(1, ROLLOUT_STAGES[str(r.get("stage", "ROLLOUT_STAGE_UNSPECIFIED"))])
            + _double(2, float(r.get("traffic_share", 0.0)))  # type: ignore[arg-type]
            + _timestamp(3, str(r.get("updated_at", "")))
            + _str(4, str(r.get("updated_by", "")))
            + _str(5, str(r.get("reason", ""))),
        )
    out += _str(31, str(m.get("parent_version", "")))
    return bytes(out)


def announcement_key(m: Mapping[str, object]) -> str:
    return f"{m['model_name']}@{m['model_version']}"


Announcer = Callable[[str, bytes], None]
"""Publishes (key, ModelAnnouncement bytes) on offerstream.models.v1."""


def kafka_announcer(
    env: Mapping[str, str], brokers: str | None = None, timeout_s: float = 30.0
) -> Announcer:
    """Publishes through Kafka with the services' variables (KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX, KAFKA_CLIENT_ID, KAFKA_SSL, KAFKA_SASL_*)."""
    from confluent_kafka import KafkaException, Producer

    conf: dict[str, object] = {
        "bootstrap.servers": brokers or env.get("KAFKA_BROKERS", "127.0.0.1:9092"),
        "client.id": env.get("KAFKA_CLIENT_ID", "offerstream-trainer"),
        "enable.idempotence": True,
        "acks": "all",
        "message.timeout.ms": int(timeout_s * 1000),
    }
    mechanism = env.get("KAFKA_SASL_MECHANISM", "")
    ssl = env.get("KAFKA_SSL", "").lower() in ("1", "true", "yes")
    if mechanism:
        conf["security.protocol"] = "SASL_SSL" if ssl else "SASL_PLAINTEXT"
        conf["sasl.mechanism"] = mechanism.upper()
        conf["sasl.username"] = env.get("KAFKA_SASL_USERNAME", "")
        conf["sasl.password"] = env.get("KAFKA_SASL_PASSWORD", "")
    elif ssl:
        conf["security.protocol"] = "SSL"
    topic = env.get("KAFKA_TOPIC_PREFIX", "") + MODELS_TOPIC

    def publish(key: str, value: bytes) -> None:
        errors: list[str] = []

        def done(err: object, _msg: object) -> None:
            if err is not None:
                errors.append(str(err))

        try:
            producer = Producer(conf)
            producer.produce(topic, key=key.encode("utf-8"), value=value, on_delivery=done)
            left = producer.flush(timeout_s)
        except (KafkaException, BufferError) as e:
            raise AnnounceError(f"cannot announce {key} on {topic}: {e}") from e
        if errors or left:
            raise AnnounceError(
                f"cannot announce {key} on {topic}: {errors[0] if errors else 'delivery timed out'}"
            )

    return publish


def read_manifest(path: Path) -> dict[str, object]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise StoreError(f"cannot read {path}: {e}") from e
    if not isinstance(doc, dict):
        raise StoreError(f"{path} is not a JSON object")
    return doc
