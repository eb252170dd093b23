"""Model inputs are encoded as the scorer encodes them (libs/features/src/model-inputs.ts)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import numpy as np
import pytest
from offerstream_trainer.model_inputs import (
    SequenceEvent,
    buckets_of,
    encode_sequence,
    event_type_number,
    fnv1a32,
    id_bucket,
)
from support import REPO

FEATURES_DIST = REPO / "libs" / "features" / "dist" / "index.js"


def test_fnv1a32_matches_the_published_test_vectors() -> None:
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C
    assert fnv1a32("foobar") == 0xBF9CF968


def test_the_empty_id_is_padding_and_others_land_in_1_to_buckets_minus_1() -> None:
    assert id_bucket("", 101) == 0
    ids = [f"item-{i}" for i in range(500)] + ["ü", "🛒"]
    assert all(1 <= id_bucket(i, 101) <= 100 for i in ids)
    hashes = np.array([fnv1a32(i) for i in ids] + [-1])
    assert list(buckets_of(hashes, 101)) == [id_bucket(i, 101) for i in ids] + [0]


def test_event_types_take_their_proto_numbers_in_either_spelling() -> None:
    assert event_type_number("view") == 1
    assert event_type_number("EVENT_TYPE_OFFER_REDEEM") == 10
    assert event_type_number("nonsense") == 0


def test_a_short_sequence_is_left_padded_and_a_long_one_keeps_its_newest_events() -> None:
    ev = [SequenceEvent(f"i{k}", "c", 1 + k % 10, 3600 * k) for k in range(5)]
    short = encode_sequence(ev, 8)
    assert list(short.type[:3]) == [0, 0, 0]
    assert list(short.item_hash[:3]) == [-1, -1, -1]
    assert short.item_hash[3] == fnv1a32("i0")
    assert short.age[-1] == pytest.approx(math.log1p(4), rel=1e-6)
    long = encode_sequence(ev, 2)
    assert list(long.item_hash) == [fnv1a32("i3"), fnv1a32("i4")]


@pytest.mark.skipif(
    not (shutil.which("node") and FEATURES_DIST.exists()), reason="libs/features not built"
)
def test_the_encoding_equals_encode_rows_of_the_scorer() -> None:
    seq = [
        {"itemId": "sku-1", "categoryId": "shoes", "type": 1, "ageSeconds": 7200},
        {"itemId": "", "categoryId": "", "type": 3, "ageSeconds": 59},
        {"itemId": "ärmel", "categoryId": "bags", "type": 6, "ageSeconds": 86400},
    ]
    script = (
        f"const f = require({json.dumps(str(FEATURES_DIST))});"
        "const spec = f.loadFeatureSpec('fs-1');"
        "const plan = {names: ['seq_item','seq_category','seq_type','seq_age'],"
        " sequenceLength: 5, idBuckets: 1009};"
        f"const r = f.encodeRows(spec, plan, [], [[]], {json.dumps(seq)});"
        "const o = {}; for (const [k, v] of Object.entries(r.data)) o[k] = Array.from(v, Number);"
        "process.stdout.write(JSON.stringify(o));"
    )
    ts = json.loads(subprocess.run(["node", "-e", script], capture_output=True, check=True).stdout)
    py = encode_sequence(
        [SequenceEvent(s["itemId"], s["categoryId"], s["type"], s["ageSeconds"]) for s in seq], 5
    )
    assert ts["seq_item"] == list(buckets_of(py.item_hash, 1009))
    assert ts["seq_category"] == list(buckets_of(py.category_hash, 1009))
    assert ts["seq_type"] == list(py.type)
    assert np.allclose(ts["seq_age"], py.age, rtol=0, atol=1e-6)
