"""The pure feature computation, checked on the hand-computed cases of the TypeScript tests
(libs/features/src/feature-vector.spec.ts, hour-buckets.spec.ts): same inputs, same numbers."""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from offerstream_trainer.feature_spec import (
    SPEC_DIR_ENV,
    FeatureSpec,
    FeatureSpecError,
    default_spec_dir,
    load_feature_spec,
    parse_feature_spec,
    resolve_spec_dir,
)
from offerstream_trainer.features import (
    EMPTY_CONTEXT,
    HOUR_MS,
    CandidateInput,
    CandidateState,
    CandidateVector,
    CatalogOffer,
    ContextInput,
    FeatureEvent,
    HourBuckets,
    ItemState,
    OfferState,
    UserState,
    candidate_features,
    ensure_computable,
    f32,
    ordered,
    user_features,
)

SPEC = load_feature_spec("fs-2")
# Wednesday 2026-11-25 14:30 UTC.
AS_OF = int(datetime(2026, 11, 25, 14, 30, tzinfo=UTC).timestamp() * 1000)
_ids = itertools.count()


def ev(type_: str, hours_ago: float, **over: object) -> FeatureEvent:
    fields: dict[str, object] = {
        "event_id": f"e{next(_ids):04d}",
        "type": type_,
        "time_ms": AS_OF - hours_ago * HOUR_MS,
        "item_id": "i1",
        "category_id": "shoes",
        "offer_id": "",
        "campaign_id": "",
        "price_minor": 0,
        "quantity": 0,
        "discount_minor": 0,
    }
    fields.update(over)
    return FeatureEvent(**fields)  # type: ignore[arg-type]


def u(values: list[float], name: str) -> float:
    return values[SPEC.user_index[name]]


def c(values: list[float], name: str) -> float:
    return values[SPEC.candidate_index[name]]


def close(actual: float, expected: float, digits: int) -> None:
    """Jest's toBeCloseTo(expected, digits)."""
    assert abs(actual - expected) < 10**-digits / 2, (actual, expected)


def make_user(events: list[FeatureEvent]) -> UserState:
    user = UserState(SPEC.sequence.max_length, SPEC.params.lookback_hours)
    for e in events:
        user.apply(e)
    return user


def spec_doc() -> dict:
    return json.loads((default_spec_dir() / "fs-1.json").read_text(encoding="utf-8"))


# --- the spec -------------------------------------------------------------------------------


def test_the_spec_lists_unique_names_with_a_definition_and_default_each() -> None:
    assert len(SPEC.user) == len(SPEC.user_index)
    assert len(SPEC.candidate) == len(SPEC.candidate_index)
    assert SPEC.version == "fs-2"


def test_fs1_is_fs2_less_the_cart_saving_and_keeps_its_vectors() -> None:
    fs1 = load_feature_spec("fs-1")
    assert "o_cart_saving" not in fs1.candidate_index
    assert [d.name for d in SPEC.candidate if d.name != "o_cart_saving"] == [
        d.name for d in fs1.candidate
    ]
    assert SPEC.user == fs1.user
    offer = CatalogOffer("o1", "c1", "spend_save", threshold_minor=6000, save_minor=1200)

    def vec(spec: FeatureSpec) -> list[float]:
        return candidate_features(
            spec,
            CandidateInput("o1", "c1"),
            CandidateState(catalog=offer),
            None,
            ContextInput(cart_value_minor=8000),
            AS_OF,
        ).values

    v2 = vec(SPEC)
    at = SPEC.candidate_index["o_cart_saving"]
    assert vec(fs1) == v2[:at] + v2[at + 1 :]


def test_a_spec_with_a_feature_no_code_computes_is_refused() -> None:
    doc = spec_doc()
    doc["user"].append({"name": "u_mystery", "definition": "x", "default": 0})
    broken = parse_feature_spec(doc)
    with pytest.raises(FeatureSpecError, match="u_mystery"):
        user_features(broken, None, EMPTY_CONTEXT, AS_OF)
    with pytest.raises(FeatureSpecError, match="u_mystery"):
        ensure_computable(broken)
    ensure_computable(SPEC)


def test_a_spec_with_an_unknown_candidate_feature_or_event_type_is_refused() -> None:
    doc = spec_doc()
    doc["candidate"].insert(0, {"name": "x_mystery", "definition": "x", "default": 0})
    with pytest.raises(FeatureSpecError, match="x_mystery"):
        ensure_computable(parse_feature_spec(doc))
    doc = spec_doc()
    doc["sequence"]["event_types"].append("teleport")
    with pytest.raises(FeatureSpecError, match="teleport"):
        ensure_computable(parse_feature_spec(doc))


def test_unknown_and_malformed_versions_are_refused_with_a_typed_error() -> None:
    with pytest.raises(FeatureSpecError, match="not known"):
        load_feature_spec("fs-999")
    with pytest.raises(FeatureSpecError, match="malformed"):
        load_feature_spec("../etc/passwd")
    with pytest.raises(FeatureSpecError, match="malformed"):
        load_feature_spec("fs-1\n")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["params"].update(lookback_hours=0), "lookback_hours"),
        (lambda d: d["params"].update(lookback_hours=1.5), "lookback_hours"),
        (lambda d: d["params"].update(surprise=1), "unknown keys"),
        (lambda d: d["sequence"].update(max_length=201), "max_length"),
        (lambda d: d["sequence"].update(default_length=51), "default_length"),
        (lambda d: d["user"][0].update(default=math.nan), "default"),
        (lambda d: d["user"][0].update(default=True), "default"),
        (lambda d: d["user"][1].update(name="u_views_1h"), "listed twice"),
        (lambda d: d["user"][0].update(name="U-views"), "does not match"),
        (lambda d: d.update(version="fs-x"), "does not match"),
        (lambda d: d.pop("candidate"), "missing"),
    ],
)
def test_an_invalid_spec_is_refused(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    doc = spec_doc()
    mutate(doc)
    with pytest.raises(FeatureSpecError, match=message):
        parse_feature_spec(doc)


def test_the_spec_dir_comes_from_the_argument_then_the_environment_then_the_repo(
    tmp_path: Path,
) -> None:
    assert default_spec_dir() == Path(__file__).resolve().parents[3] / "libs/features/spec"
    assert resolve_spec_dir(None, {}) == default_spec_dir()
    assert resolve_spec_dir(None, {SPEC_DIR_ENV: str(tmp_path)}) == tmp_path
    assert resolve_spec_dir("/x", {SPEC_DIR_ENV: str(tmp_path)}) == Path("/x")
    doc = spec_doc()
    doc["version"] = "fs-7"
    (tmp_path / "fs-7.json").write_text(json.dumps(doc), encoding="utf-8")
    assert load_feature_spec("fs-7", tmp_path).version == "fs-7"
    (tmp_path / "fs-8.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FeatureSpecError, match="declares version fs-7"):
        load_feature_spec("fs-8", tmp_path)


# --- hour buckets (hour-buckets.spec.ts) ----------------------------------------------------


def test_buckets_sum_a_field_over_an_hour_range_whatever_order_the_hours_arrive_in() -> None:
    b = HourBuckets(2)
    b.add(10, [1, 5])
    b.add(7, [2])
    b.add(12, [4, 1])
    b.add(10, [1])
    b.add(9, [8])
    assert b.size == 4
    assert b.sum(0, 9, 12) == 14
    assert b.sum(0, 0, 100) == 16
    assert b.sum(1, 10, 10) == 5
    assert b.sum(0, 11, 11) == 0


def test_buckets_decay_each_hour_by_its_age_relative_to_the_end_of_the_range() -> None:
    b = HourBuckets(1)
    b.add(100, [8])
    b.add(76, [8])
    close(b.decayed(0, 0, 100, 24), 8 + 4, 12)
    close(b.decayed(0, 0, 124, 24), 4 + 2, 12)
    close(b.decayed(0, 0, 99, 24), 8 * 2 ** (-23 / 24), 12)


def test_buckets_drop_old_hours_on_prune_and_keep_the_rest_intact() -> None:
    b = HourBuckets(2)
    for h in range(50):
        b.add(h, [h, 1])
    b.prune(45)
    assert b.size == 5
    assert b.sum(0, 0, 100) == 45 + 46 + 47 + 48 + 49
    assert b.sum(1, 0, 100) == 5
    b.add(44, [1, 1])
    assert b.sum(0, 44, 44) == 1


def test_buckets_visit_hours_in_ascending_order() -> None:
    b = HourBuckets(2)
    b.add(5, [1, 2])
    b.add(3, [3, 4])
    seen: list[tuple[int, float]] = []
    b.for_each_total([0, 1], 0, 10, lambda h, t: seen.append((h, t)))
    assert seen == [(3, 7), (5, 3)]


# --- user features (feature-vector.spec.ts) -------------------------------------------------


def test_an_unknown_user_gets_the_spec_defaults_and_is_flagged_cold() -> None:
    r = user_features(SPEC, None, EMPTY_CONTEXT, AS_OF)
    assert r.cold_start is True
    for d in SPEC.user:
        if d.name.startswith("u_"):
            assert (d.name, u(r.values, d.name)) == (d.name, f32(d.default))


def test_user_counts_in_hour_bucket_windows_and_derives_spend_recency_and_churn_risk() -> None:
    user = make_user(
        [
            ev("view", 0.2),
            ev("view", 3),
            ev("add_to_cart", 3, quantity=1, price_minor=5000),
            ev(
                "purchase",
                2.9,
                price_minor=5000,
                quantity=2,
                discount_minor=1000,
                category_id="bags",
            ),
            ev("view", 24 * 10),
            ev("purchase", 24 * 20, price_minor=3000, quantity=0),
            ev("view", 24 * 40),  # outside the lookback
        ]
    )
    r = user_features(SPEC, user, EMPTY_CONTEXT, AS_OF)
    v = r.values
    assert r.cold_start is False
    close(u(v, "u_views_1h"), math.log1p(1), 6)
    close(u(v, "u_views_24h"), math.log1p(2), 6)
    close(u(v, "u_views_30d"), math.log1p(3), 6)
    close(u(v, "u_purchases_30d"), math.log1p(2), 6)
    # Revenue: 5000 x 2 - 1000 = 9000 and 3000 x 1 -> 120.00 over 2 purchases.
    close(u(v, "u_spend_30d"), math.log1p(120), 5)
    close(u(v, "u_spend_7d"), math.log1p(90), 5)
    close(u(v, "u_aov_30d"), math.log1p(60), 5)
    close(u(v, "u_discount_share_30d"), 10 / 130, 6)
    close(u(v, "u_hours_since_visit"), math.log1p(0.2), 5)
    close(u(v, "u_hours_since_purchase"), math.log1p(2.9), 5)
    # Active on 3 distinct days; churn gap = 720 / 3 hours.
    close(u(v, "u_active_days_30d"), 3 / 30, 6)
    close(u(v, "u_churn_risk"), 1 - math.exp(-0.2 / 240), 6)
    close(u(v, "u_rfm_value"), math.exp(-2.9 / 720) * (math.log1p(2) + math.log1p(120)), 5)
    close(u(v, "u_seq_fill"), 6 / 50, 6)  # the 40-day-old view is out
    close(u(v, "u_seq_categories"), math.log1p(2), 6)


def test_user_features_read_the_context_time_of_day_device_channel_page_and_cart() -> None:
    ctx = ContextInput(
        device="mobile",
        channel="push",
        page_type="checkout",
        cart_value_minor=4999,
        cart_item_ids=("a", "b"),
    )
    v = user_features(SPEC, None, ctx, AS_OF).values
    close(u(v, "c_hour_sin"), math.sin((2 * math.pi * 14.5) / 24), 6)
    close(u(v, "c_dow_sin"), math.sin((2 * math.pi * 2) / 7), 6)
    assert [u(v, "c_device_mobile"), u(v, "c_channel_message"), u(v, "c_page_cart")] == [1, 1, 1]
    close(u(v, "c_cart_value"), math.log1p(49.99), 5)
    close(u(v, "c_cart_items"), math.log1p(2), 6)


def test_time_of_day_profiles_use_4_hour_utc_blocks_and_monday_is_day_0() -> None:
    # Monday 2026-11-23 01:00 UTC; events in the 00-04 block (x2) and the 12-16 block (x1).
    monday = int(datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp() * 1000)
    user = UserState(50, 720)
    for i, hours_ago in enumerate([0.5, 1, 11]):
        t = "purchase" if i == 0 else "view"
        user.apply(FeatureEvent(event_id=f"m{i}", type=t, time_ms=monday - hours_ago * HOUR_MS))
    v = user_features(SPEC, user, EMPTY_CONTEXT, monday).values
    close(u(v, "c_dow_sin"), 0, 6)
    close(u(v, "c_dow_cos"), 1, 6)
    close(u(v, "u_active_share_h00_04"), 2 / 3, 6)
    close(u(v, "u_active_share_h12_16"), 1 / 3, 6)
    close(u(v, "u_active_share_now"), 2 / 3, 6)
    close(u(v, "u_purchase_share_now"), 1, 6)
    close(u(v, "u_hours_since_cart"), math.log1p(720), 6)


# --- candidate features (feature-vector.spec.ts) --------------------------------------------

FLASH = CatalogOffer(
    offer_id="o1",
    campaign_id="c1",
    kind="flash",
    percent_off=0,
    amount_off_minor=0,
    threshold_minor=0,
    save_minor=0,
    sale_price_minor=6000,
    stock=10,
    total_budget_minor=100_000,
)


def test_candidate_combines_item_funnel_offer_terms_and_usage_and_user_affinity() -> None:
    item = ItemState(SPEC.params.lookback_hours)
    offer = OfferState(SPEC.params.lookback_hours)
    for i in range(40):
        item.apply(
            ev("view", 0.1 if i == 39 else 1 + (i % 4), price_minor=8000 if i == 39 else 7000)
        )
    for _ in range(4):
        item.apply(ev("click", 1))
    for _ in range(30):
        offer.apply(ev("offer_impression", 2, offer_id="o1", campaign_id="c1"))
    for _ in range(3):
        offer.apply(ev("offer_redeem", 1, offer_id="o1", campaign_id="c1", discount_minor=2000))
    user = make_user(
        [ev("view", 1), ev("view", 2, category_id="bags", item_id="i2"), ev("view", 3)]
    )
    r = candidate_features(
        SPEC,
        CandidateInput(offer_id="o1", campaign_id="c1", item_id="i1", category_id=""),
        CandidateState(item=item, offer=offer, catalog=FLASH, campaign_spent_minor=25_000),
        user,
        EMPTY_CONTEXT,
        AS_OF,
    )
    v = r.values
    assert r.cold_start is False
    close(c(v, "i_price"), math.log1p(80), 5)  # the latest price
    close(c(v, "i_views_24h"), math.log1p(40), 5)
    close(c(v, "o_discount_depth"), 1 - 6000 / 8000, 6)
    assert c(v, "o_type_flash") == 1
    close(c(v, "o_stock_left"), math.log1p(7), 6)
    close(c(v, "o_budget_left"), 0.75, 6)
    decayed_impr = 30 * 2 ** (-2 / 72)
    decayed_redeem = 3 * 2 ** (-1 / 72)
    close(c(v, "o_redeem_rate"), (decayed_redeem + 0.4) / (decayed_impr + 20), 6)
    close(c(v, "x_category_affinity"), 2 / 3, 6)
    close(c(v, "x_item_seen"), math.log1p(2), 6)


def test_an_unknown_offer_and_item_fall_back_to_defaults_and_are_flagged_cold() -> None:
    r = candidate_features(
        SPEC,
        CandidateInput(offer_id="nope", campaign_id="c", item_id="", category_id=""),
        CandidateState(item=None, offer=None, catalog=None, campaign_spent_minor=0),
        None,
        EMPTY_CONTEXT,
        AS_OF,
    )
    assert r.cold_start is True
    assert c(r.values, "o_known") == 0
    assert c(r.values, "o_budget_left") == 1
    close(c(r.values, "i_ctr"), 0.05, 6)
    for d in SPEC.candidate:
        assert (d.name, c(r.values, d.name)) == (d.name, f32(d.default))


def _offer_on_cart(offer: CatalogOffer, item_price: float, cart: float) -> CandidateVector:
    """The candidate vector of `offer` on item i1 (of `item_price`, 0 = unknown) in a cart
    worth `cart`."""
    item = ItemState(720)
    if item_price:
        item.note_price(item_price, 0)
    return candidate_features(
        SPEC,
        CandidateInput(offer.offer_id, offer.campaign_id, "i1"),
        CandidateState(item=item, catalog=offer),
        None,
        ContextInput(cart_value_minor=cart),
        AS_OF,
    )


@pytest.mark.parametrize(
    ("offer", "item_price", "cart", "depth", "min_spend", "meets"),
    [
        (CatalogOffer("o", "c", "percent", percent_off=150), 0, 0, 1.0, 0.0, 0),
        (CatalogOffer("o", "c", "amount", amount_off_minor=500), 2000, 0, 0.25, 0.0, 0),
        (CatalogOffer("o", "c", "coupon", amount_off_minor=500), 0, 1000, 0.5, 0.0, 0),
        (CatalogOffer("o", "c", "coupon", amount_off_minor=500), 0, 0, 0.0, 0.0, 0),
        (CatalogOffer("o", "c", "flash", sale_price_minor=6000), 0, 0, 0.0, 0.0, 0),
        (
            CatalogOffer("o", "c", "spend_save", threshold_minor=10000, save_minor=1500),
            0,
            10000,
            0.15,
            math.log1p(100),
            1,
        ),
        (
            CatalogOffer("o", "c", "free_shipping", threshold_minor=5000),
            0,
            4999,
            0.0,
            math.log1p(50),
            0,
        ),
    ],
)
def test_discount_depth_and_spend_threshold_by_offer_kind(
    offer: CatalogOffer, item_price: float, cart: float, depth: float, min_spend: float, meets: int
) -> None:
    r = _offer_on_cart(offer, item_price, cart)
    close(c(r.values, "o_discount_depth"), depth, 6)
    close(c(r.values, "o_min_spend"), min_spend, 6)
    assert c(r.values, "x_cart_meets_threshold") == meets
    assert c(r.values, f"o_type_{offer.kind}") == 1
    assert c(r.values, "o_stock_known") == 0


def _offer(kind: str, **terms: float) -> CatalogOffer:
    return CatalogOffer("o1", "c1", kind, **terms)


@pytest.mark.parametrize(
    ("offer", "item_price", "cart", "want"),
    [
        pytest.param(_offer("percent", percent_off=10), 0, 5000, 0.1, id="10% of the cart"),
        pytest.param(
            _offer("percent", percent_off=20, max_discount_minor=4000),
            0,
            30_000,
            4000 / 30_000,
            id="20% capped at 40 EUR on a 300 EUR cart",
        ),
        pytest.param(_offer("amount", amount_off_minor=500), 0, 2500, 0.2, id="5 EUR of 25"),
        pytest.param(_offer("amount", amount_off_minor=500), 0, 400, 1, id="5 EUR of 4"),
        pytest.param(
            _offer("coupon", percent_off=15, max_discount_minor=1000),
            0,
            10_000,
            0.1,
            id="15% coupon capped at 10 EUR",
        ),
        pytest.param(
            _offer("spend_save", threshold_minor=6000, save_minor=1200),
            0,
            5999,
            0,
            id="spend 60 save 12 below the threshold",
        ),
        pytest.param(
            _offer("spend_save", threshold_minor=6000, save_minor=1200),
            0,
            8000,
            0.15,
            id="spend 60 save 12 at 80 EUR",
        ),
        pytest.param(
            _offer("spend_save", threshold_minor=6000, save_minor=1200, max_discount_minor=1000),
            0,
            8000,
            0.125,
            id="spend 60 save 12 capped at 10 EUR (the cap binds every kind)",
        ),
        pytest.param(
            _offer("free_shipping", shipping_cost_minor=450),
            0,
            3000,
            0.15,
            id="free shipping on a 30 EUR cart",
        ),
        pytest.param(
            _offer("free_shipping", threshold_minor=5000, shipping_cost_minor=450),
            0,
            3000,
            0,
            id="free shipping from 50 EUR, cart of 30",
        ),
        pytest.param(
            _offer("flash", sale_price_minor=6000), 8000, 0, 0.25, id="flash sale, no cart"
        ),
        pytest.param(_offer("percent", percent_off=10), 8000, 0, 0.1, id="no cart: the item"),
        pytest.param(_offer("percent", percent_off=10), 0, 0, 0, id="no cart, no price"),
    ],
)
def test_cart_saving_by_offer_kind(
    offer: CatalogOffer, item_price: float, cart: float, want: float
) -> None:
    """The same cases as feature-vector.spec.ts's o_cart_saving table."""
    close(c(_offer_on_cart(offer, item_price, cart).values, "o_cart_saving"), want, 6)


# --- JavaScript number semantics ------------------------------------------------------------


def test_values_are_float32_and_non_finite_ones_take_the_spec_default() -> None:
    spec: FeatureSpec = SPEC
    defs = spec.user[:3]
    out = ordered(defs, {defs[0].name: 0.1, defs[1].name: math.nan, defs[2].name: math.inf})
    assert out == [f32(0.1), f32(defs[1].default), f32(defs[2].default)]
    assert f32(0.1) != 0.1 and abs(f32(0.1) - 0.1) < 1e-8
    assert f32(1e39) == math.inf


def test_a_nan_catalog_value_propagates_like_math_max_and_ends_as_the_default() -> None:
    # Python's max(0, nan) is 0; Math.max(0, NaN) is NaN, which then takes the default.
    offer = CatalogOffer("o", "c", "percent", percent_off=math.nan)
    r = candidate_features(
        SPEC, CandidateInput("o", "c"), CandidateState(catalog=offer), None, EMPTY_CONTEXT, AS_OF
    )
    assert c(r.values, "o_discount_depth") == f32(
        SPEC.candidate[SPEC.candidate_index["o_discount_depth"]].default
    )


def test_an_offer_kind_the_code_does_not_know_is_a_feature_without_computation() -> None:
    offer = CatalogOffer("o", "c", "bogus")
    with pytest.raises(FeatureSpecError, match="o_discount_depth"):
        candidate_features(
            SPEC, CandidateInput("o", "c"), CandidateState(catalog=offer), None, EMPTY_CONTEXT, 0
        )


def test_the_sequence_keeps_the_newest_events_ordered_by_time_then_id() -> None:
    user = UserState(3, 720)
    for e in [
        FeatureEvent("b", "view", 10),
        FeatureEvent("a", "view", 10),
        FeatureEvent("z", "view", 5),
        FeatureEvent("c", "view", 20),
        FeatureEvent("y", "view", 1),  # older than everything kept
    ]:
        user.apply(e)
    assert [s.event_id for s in user.sequence] == ["a", "b", "c"]
