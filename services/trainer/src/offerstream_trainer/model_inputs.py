"""Model input tensors, encoded exactly as the scoring service encodes them.

The Python side of libs/features/src/model-inputs.ts (the contract between the scorer and
the trainer's ONNX export): input names, FNV-1a id hashing into embedding buckets, and the
left-padded sequence tensors. A model trained on these arrays is fed the same values online.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .features import EVENT_TYPES

MODEL_INPUT_NAMES: tuple[str, ...] = (
    "user",
    "candidate",
    "seq_item",
    "seq_category",
    "seq_type",
    "seq_age",
)
"""Every input the scorer can fill (MODEL_INPUT_NAMES in model-inputs.ts)."""

INT_INPUTS = frozenset({"seq_item", "seq_category", "seq_type"})

EVENT_TYPE_NUMBERS: dict[str, int] = {t: i + 1 for i, t in enumerate(EVENT_TYPES)}
"""ClickHouse event_type name -> proto EventType number (view = 1 ... offer_redeem = 10)."""


def fnv1a32(s: str) -> int:
    """FNV-1a (32-bit) over UTF-8, as model-inputs.ts computes it."""
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def id_bucket(id_: str, buckets: int) -> int:
    """The embedding row of an id: 1..buckets-1, 0 for the empty id (padding)."""
    if id_ == "":
        return 0
    return 1 + fnv1a32(id_) % (buckets - 1)


def event_type_number(name: str) -> int:
    """EventType number of an event type written as 'view' or 'EVENT_TYPE_VIEW' (0 = unknown)."""
    key = name.lower()
    if key.startswith("event_type_"):
        key = key[len("event_type_") :]
    return EVENT_TYPE_NUMBERS.get(key, 0)


@dataclass(frozen=True)
class SequenceEvent:
    """One event of the user's sequence as the model reads it (SequenceInput in TS)."""

    item_id: str
    category_id: str
    type: int
    age_seconds: int


@dataclass(frozen=True)
class EncodedSequence:
    """A sequence before bucketing: FNV-1a hashes of the ids (-1 = empty id or padding), so
    one encoding serves models of any bucket count (`buckets_of`)."""

    item_hash: np.ndarray  # int64 [L]
    category_hash: np.ndarray  # int64 [L]
    type: np.ndarray  # int64 [L]
    age: np.ndarray  # float32 [L]


def _hash(id_: str) -> int:
    return -1 if id_ == "" else fnv1a32(id_)


def encode_sequence(events: Sequence[SequenceEvent], length: int) -> EncodedSequence:
    """The last `length` events (oldest first), left-padded, as encodeRows lays them out."""
    tail = list(events)[-length:] if length > 0 else []
    pad = length - len(tail)
    item = np.full(length, -1, dtype=np.int64)
    cat = np.full(length, -1, dtype=np.int64)
    typ = np.zeros(length, dtype=np.int64)
    age = np.zeros(length, dtype=np.float32)
    for i, s in enumerate(tail):
        item[pad + i] = _hash(s.item_id)
        cat[pad + i] = _hash(s.category_id)
        typ[pad + i] = s.type
        age[pad + i] = math.log1p(max(0, s.age_seconds) / 3600)
    return EncodedSequence(item_hash=item, category_hash=cat, type=typ, age=age)


def buckets_of(hashes: np.ndarray, buckets: int) -> np.ndarray:
    """idBucket of every hash: 1 + hash % (buckets - 1), 0 for -1 (empty id or padding)."""
    return np.where(hashes < 0, 0, 1 + np.remainder(hashes, buckets - 1)).astype(np.int64)


def age_seconds(as_of_ms: float, time_ms: float) -> int:
    """SequenceEvent.age_seconds as the feature service fills it."""
    return max(0, math.floor((as_of_ms - time_ms) / 1000))
