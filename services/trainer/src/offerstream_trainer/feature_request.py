"""The `features` command's request and answer: one user, a point in time, candidate offers.

Request (JSON)::

    {"spec_version": "fs-1", "shop_id": "s", "user_id": "u", "as_of_ms": 1764000000000,
     "context": {"device": "mobile", "channel": "web", "pageType": "product",
                 "cartValueMinor": 0, "cartItemIds": []},
     "candidates": [{"offerId": "o1", "campaignId": "c1", "itemId": "i1", "categoryId": ""}],
     "catalog": [{"offerId": "o1", "campaignId": "c1", "kind": "flash", "percentOff": 0,
                  "amountOffMinor": 0, "thresholdMinor": 0, "saveMinor": 0,
                  "salePriceMinor": 6000, "stock": 10, "totalBudgetMinor": 100000}]}

Field names and meanings are those of ContextInput, CandidateInput and CatalogOffer in
libs/features/src/feature-vector.ts. The catalog is the campaign catalog as it stood at as_of
(it is not in ClickHouse); candidates find their catalog offer by offerId.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .feature_spec import CURRENT_SPEC_VERSION, FeatureSpec
from .feature_store import FeatureStore
from .features import (
    OFFER_KINDS,
    CandidateInput,
    CandidateState,
    CatalogOffer,
    ContextInput,
    UserState,
    candidate_features,
    user_features,
    visible_sequence,
)

MAX_AS_OF_MS = 8_640_000_000_000_000
"""The latest instant a JavaScript Date can hold."""


class RequestError(ValueError):
    """The request is not a valid features request."""


@dataclass(frozen=True)
class FeatureRequest:
    spec_version: str
    shop_id: str
    user_id: str
    as_of_ms: int
    context: ContextInput
    candidates: tuple[CandidateInput, ...]
    catalog: Mapping[str, CatalogOffer]


def _object(v: object, path: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
    if not isinstance(v, dict):
        raise RequestError(f"{path}: expected an object")
    unknown = sorted(set(v) - set(required) - set(optional))
    if unknown:
        raise RequestError(f"{path}: unknown keys {unknown}")
    missing = [k for k in required if k not in v]
    if missing:
        raise RequestError(f"{path}: missing keys {missing}")
    return v


def _str(o: dict, key: str, path: str, non_empty: bool = False) -> str:
    v = o.get(key, "")
    if not isinstance(v, str) or (non_empty and v == ""):
        raise RequestError(f"{path}.{key}: expected a {'non-empty ' if non_empty else ''}string")
    return v


def _num(o: dict, key: str, path: str) -> float:
    v = o.get(key, 0)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise RequestError(f"{path}.{key}: expected a finite number")
    return v


def _list(o: dict, key: str, path: str) -> list[Any]:
    v = o.get(key, [])
    if not isinstance(v, list):
        raise RequestError(f"{path}.{key}: expected an array")
    return v


def _context(v: object) -> ContextInput:
    o = _object(
        v, "context", (), ("device", "channel", "pageType", "cartValueMinor", "cartItemIds")
    )
    ids = _list(o, "cartItemIds", "context")
    if not all(isinstance(i, str) for i in ids):
        raise RequestError("context.cartItemIds: expected strings")
    return ContextInput(
        device=_str(o, "device", "context"),
        channel=_str(o, "channel", "context"),
        page_type=_str(o, "pageType", "context"),
        cart_value_minor=_num(o, "cartValueMinor", "context"),
        cart_item_ids=tuple(ids),
    )


def _candidate(v: object, path: str) -> CandidateInput:
    o = _object(v, path, ("offerId",), ("campaignId", "itemId", "categoryId"))
    return CandidateInput(
        offer_id=_str(o, "offerId", path),
        campaign_id=_str(o, "campaignId", path),
        item_id=_str(o, "itemId", path),
        category_id=_str(o, "categoryId", path),
    )


_CATALOG_NUMBERS = (
    "percentOff",
    "amountOffMinor",
    "thresholdMinor",
    "saveMinor",
    "salePriceMinor",
    "totalBudgetMinor",
    "maxDiscountMinor",
    "shippingCostMinor",
)


def _catalog_offer(v: object, path: str) -> CatalogOffer:
    o = _object(v, path, ("offerId", "kind"), ("campaignId", "stock", *_CATALOG_NUMBERS))
    kind = o["kind"]
    if kind not in OFFER_KINDS:
        raise RequestError(f"{path}.kind: {kind!r} is not one of {list(OFFER_KINDS)}")
    n = {k: _num(o, k, path) for k in _CATALOG_NUMBERS}
    stock = None if o.get("stock") is None else _num(o, "stock", path)
    return CatalogOffer(
        offer_id=_str(o, "offerId", path, non_empty=True),
        campaign_id=_str(o, "campaignId", path),
        kind=kind,
        percent_off=n["percentOff"],
        amount_off_minor=n["amountOffMinor"],
        threshold_minor=n["thresholdMinor"],
        save_minor=n["saveMinor"],
        sale_price_minor=n["salePriceMinor"],
        stock=stock,
        total_budget_minor=n["totalBudgetMinor"],
        max_discount_minor=n["maxDiscountMinor"],
        shipping_cost_minor=n["shippingCostMinor"],
    )


def parse_request(doc: object) -> FeatureRequest:
    """Validates a parsed request document."""
    o = _object(
        doc,
        "request",
        ("shop_id", "user_id", "as_of_ms"),
        ("spec_version", "context", "candidates", "catalog"),
    )
    as_of = o["as_of_ms"]
    if (
        isinstance(as_of, bool)
        or not isinstance(as_of, int | float)
        or not math.isfinite(as_of)
        or as_of != int(as_of)
        or not 0 <= as_of <= MAX_AS_OF_MS
    ):
        raise RequestError("request.as_of_ms: expected integer epoch milliseconds >= 0")
    spec_version = o.get("spec_version", CURRENT_SPEC_VERSION)
    if not isinstance(spec_version, str):
        raise RequestError("request.spec_version: expected a string")
    catalog: dict[str, CatalogOffer] = {}
    for i, entry in enumerate(_list(o, "catalog", "request")):
        c = _catalog_offer(entry, f"request.catalog.{i}")
        if c.offer_id in catalog:
            raise RequestError(f"request.catalog.{i}: offer {c.offer_id!r} is listed twice")
        catalog[c.offer_id] = c
    return FeatureRequest(
        spec_version=spec_version,
        shop_id=_str(o, "shop_id", "request", non_empty=True),
        user_id=_str(o, "user_id", "request", non_empty=True),
        as_of_ms=int(as_of),
        context=_context(o.get("context", {})),
        candidates=tuple(
            _candidate(c, f"request.candidates.{i}")
            for i, c in enumerate(_list(o, "candidates", "request"))
        ),
        catalog=catalog,
    )


def compute_response(
    spec: FeatureSpec,
    req: FeatureRequest,
    user: UserState | None,
    candidates: list[CandidateState],
) -> dict[str, object]:
    """The answer from inputs already read (pure)."""
    u = user_features(spec, user, req.context, req.as_of_ms)
    out_candidates = []
    for cand, st in zip(req.candidates, candidates, strict=True):
        cv = candidate_features(spec, cand, st, user, req.context, req.as_of_ms)
        out_candidates.append(
            {"offer_id": cand.offer_id, "values": cv.values, "cold_start": cv.cold_start}
        )
    return {
        "spec_version": spec.version,
        "user": u.values,
        "user_cold_start": u.cold_start,
        "candidates": out_candidates,
        "sequence": [
            {
                "event_id": s.event_id,
                "item_id": s.item_id,
                "category_id": s.category_id,
                "type": s.type,
                "time_ms": s.time_ms,
                "price_minor": s.price_minor,
            }
            for s in visible_sequence(spec, user, req.as_of_ms)
        ],
    }


def features_for_request(store: FeatureStore, req: FeatureRequest) -> dict[str, object]:
    """Reads the request's inputs at its as_of from `store` and computes the answer."""
    user = store.user_state(req.shop_id, req.user_id, req.as_of_ms)
    states = [
        store.candidate_state(req.shop_id, c, req.catalog.get(c.offer_id), req.as_of_ms)
        for c in req.candidates
    ]
    return compute_response(store.spec, req, user, states)
