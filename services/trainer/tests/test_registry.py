"""Model store, publish gate and the models.v1 announcement."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from offerstream_trainer.registry import (
    MODELS_TOPIC,
    DirectoryStore,
    S3Store,
    StoreError,
    announcement_key,
    encode_announcement,
    gate,
    kafka_announcer,
    open_store,
)
from support import REPO

CONTRACTS = REPO / "libs" / "contracts" / "dist" / "index.js"
KAFKA = os.environ.get("OFFERSTREAM_TRAINER_IT_KAFKA_BROKERS", "")

MANIFEST: dict[str, object] = {
    "model_name": "offer-uplift",
    "model_version": "2026-11-30T10-00-00Z-abc123",
    "uri": "offer-uplift/2026-11-30T10-00-00Z-abc123/model.onnx",
    "sha256": "ab" * 32,
    "feature_spec_version": "fs-1",
    "onnx_opset": 17,
    "inputs": [
        {
            "name": "user",
            "data_type": "TENSOR_DATA_TYPE_FLOAT32",
            "shape": [-1, 75],
            "description": "user",
        },
        {
            "name": "seq_item",
            "data_type": "TENSOR_DATA_TYPE_INT64",
            "shape": [-1, 20],
            "description": "",
        },
    ],
    "outputs": [
        {
            "name": "p_click",
            "data_type": "TENSOR_DATA_TYPE_FLOAT32",
            "shape": [-1],
            "description": "P(click) — ünïcode",
        }
    ],
    "heads": [
        {"type": "TASK_HEAD_TYPE_CLICK", "output_name": "p_click"},
        {"type": "TASK_HEAD_TYPE_UPLIFT", "output_name": "uplift"},
    ],
    "metrics": {"auc_click": 0.71, "qini": -0.002, "zero": 0.0},
    "trained_at": "2026-11-30T10:00:00.123Z",
    "training_window_start": "2026-11-23T10:00:00.000Z",
    "training_window_end": "2026-11-30T10:00:00.000Z",
    "rollout": {
        "stage": "ROLLOUT_STAGE_PRODUCTION",
        "traffic_share": 1.0,
        "updated_at": "2026-11-30T10:00:00.123Z",
        "updated_by": "trainer",
        "reason": "ok",
    },
    "parent_version": "2026-11-29T10-00-00Z-def456",
    "sequence_id_buckets": 10007,
}


def _node_json(script: str, stdin: str = "") -> object:
    out = subprocess.run(
        ["node", "-e", script], input=stdin, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@pytest.mark.skipif(
    not (shutil.which("node") and CONTRACTS.exists()), reason="libs/contracts not built"
)
def test_the_announcement_decodes_with_the_generated_codec_to_model_json() -> None:
    script = (
        f"const {{ ModelAnnouncement: A }} = require({json.dumps(str(CONTRACTS))});"
        "let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => {"
        " const i = JSON.parse(s);"
        " const decoded = A.toJSON(A.decode(Buffer.from(i.b64, 'base64')));"
        " const fromJson = A.toJSON(A.fromJSON(i.manifest));"
        " process.stdout.write(JSON.stringify({ decoded, fromJson })); });"
    )
    out = _node_json(
        script,
        json.dumps(
            {"b64": base64.b64encode(encode_announcement(MANIFEST)).decode(), "manifest": MANIFEST}
        ),
    )
    assert isinstance(out, dict)
    assert out["decoded"] == out["fromJson"]
    assert out["decoded"]["inputs"][1]["shape"] == [-1, 20]
    assert out["decoded"]["metrics"] == {"auc_click": 0.71, "qini": -0.002, "zero": 0}
    assert out["decoded"]["trainedAt"] == "2026-11-30T10:00:00.123Z"
    assert announcement_key(MANIFEST) == "offer-uplift@2026-11-30T10-00-00Z-abc123"


def test_the_gate_refuses_a_worse_model_and_passes_a_comparable_one() -> None:
    cur = {"auc_click": 0.70, "auc_purchase": 0.75, "qini": 0.02}
    worse = gate({"auc_click": 0.71, "auc_purchase": 0.70, "qini": 0.03}, cur, "v1", 0.005)
    assert not worse.passed and "auc_purchase" in worse.reasons[0]
    same = gate({"auc_click": 0.698, "auc_purchase": 0.751, "qini": 0.02}, cur, "v1", 0.005)
    assert same.passed
    first = gate({"auc_click": 0.5}, None, None, 0.0, note="no current model")
    assert first.passed and first.reasons == ("no current model",)


def test_a_directory_store_publishes_whole_versions_and_tracks_production(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "model.onnx").write_bytes(b"onnx")
    (src / "model.json").write_text("{}")
    store = open_store(f"file://{tmp_path / 'store'}")
    assert isinstance(store, DirectoryStore)
    assert store.production("offer-uplift") is None
    files = {"model.onnx": src / "model.onnx", "model.json": src / "model.json"}
    store.put("offer-uplift", "v1", files)
    store.set_production("offer-uplift", "v1")
    assert store.production("offer-uplift") == "v1"
    assert (tmp_path / "store/offer-uplift/v1/model.onnx").read_bytes() == b"onnx"
    assert sorted(p.name for p in (tmp_path / "store/offer-uplift").iterdir()) == [
        "PRODUCTION",
        "v1",
    ]
    with pytest.raises(StoreError, match="already exists"):
        store.put("offer-uplift", "v1", files)
    with pytest.raises(StoreError, match="lower-case"):
        store.put("Offer Uplift", "v2", files)
    assert store.get("offer-uplift", "v9", "model.json", tmp_path / "x") is None


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def upload_file(self, filename: str, bucket: str, key: str) -> None:
        self.objects[(bucket, key)] = Path(filename).read_bytes()

    def download_file(self, bucket: str, key: str, filename: str) -> None:
        if (bucket, key) not in self.objects:
            raise RuntimeError("An error occurred (404) when calling the HeadObject operation")
        Path(filename).write_bytes(self.objects[(bucket, key)])

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:
        self.objects[(Bucket, Key)] = Body

    def get_object(self, Bucket: str, Key: str) -> dict[str, object]:
        if (Bucket, Key) not in self.objects:
            raise RuntimeError("NoSuchKey")
        import io

        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}


def test_an_s3_store_uses_the_same_layout_under_its_prefix(tmp_path: Path) -> None:
    fake = FakeS3()
    store = S3Store(bucket="models", prefix="prod/", client=fake)
    (tmp_path / "model.onnx").write_bytes(b"x")
    (tmp_path / "model.json").write_text("{}")
    store.put(
        "offer-uplift",
        "v1",
        {"model.onnx": tmp_path / "model.onnx", "model.json": tmp_path / "model.json"},
    )
    store.set_production("offer-uplift", "v1")
    assert sorted(k for _, k in fake.objects) == [
        "prod/offer-uplift/PRODUCTION",
        "prod/offer-uplift/v1/model.json",
        "prod/offer-uplift/v1/model.onnx",
    ]
    assert store.production("offer-uplift") == "v1"
    assert store.get("offer-uplift", "v2", "model.json", tmp_path / "y") is None


@pytest.mark.skipif(not KAFKA, reason="OFFERSTREAM_TRAINER_IT_KAFKA_BROKERS not set")
def test_the_announcement_is_published_on_models_v1_keyed_by_name_and_version() -> None:
    from confluent_kafka import Consumer
    from confluent_kafka.admin import AdminClient, NewTopic

    prefix = f"trainer-it-{uuid.uuid4().hex[:8]}."
    topic = prefix + MODELS_TOPIC
    admin = AdminClient({"bootstrap.servers": KAFKA})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    try:
        publish = kafka_announcer({"KAFKA_BROKERS": KAFKA, "KAFKA_TOPIC_PREFIX": prefix})
        value = encode_announcement(MANIFEST)
        publish(announcement_key(MANIFEST), value)
        consumer = Consumer(
            {"bootstrap.servers": KAFKA, "group.id": prefix, "auto.offset.reset": "earliest"}
        )
        consumer.subscribe([topic])
        try:
            msg = None
            for _ in range(60):
                msg = consumer.poll(1.0)
                if msg is not None and msg.error() is None:
                    break
            assert msg is not None and msg.error() is None
            assert msg.key() == announcement_key(MANIFEST).encode()
            assert msg.value() == value
        finally:
            consumer.close()
    finally:
        admin.delete_topics([topic])[topic].result(30)
