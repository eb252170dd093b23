"""Feature vectors, computed exactly like the feature service computes them.

A line-by-line port of libs/features/src/{hour-buckets,feature-event,feature-vector}.ts, so
a model trains on the very values it is later served (no training/serving skew). Pure: the
inputs (user, item and offer state, catalog, context) come from elsewhere (feature_store
reads them from ClickHouse at a point in time), nothing here does I/O.

Arithmetic follows JavaScript where Python differs: NaN propagates through min/max (and a
feature that ends up non-finite takes its spec default), divisions by zero give ±Infinity or
NaN instead of raising, and every value is rounded to float32 at the end, as Float32Array
does. Loops sum in the same order as the TypeScript, so float sums round the same way.
"""

from __future__ import annotations

import bisect
import math
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, get_args

from .feature_spec import FeatureDef, FeatureSpec, FeatureSpecError

T = TypeVar("T")

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

# --- JavaScript number semantics ------------------------------------------------------------

_F32 = struct.Struct("<f")


def f32(x: float) -> float:
    """`x` rounded to the nearest float32 (what storing into a Float32Array does)."""
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _max(a: float, b: float) -> float:
    """Math.max: NaN if either is NaN (Python's max would keep the first argument)."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return a if a >= b else b


def _min(a: float, b: float) -> float:
    """Math.min: NaN if either is NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return a if a <= b else b


def _div(a: float, b: float) -> float:
    """a / b with IEEE semantics (x / 0 is ±Infinity or NaN rather than an exception)."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _log1p(x: float) -> float:
    """Math.log1p: -Infinity at -1, NaN below."""
    if x == -1:
        return -math.inf
    if x < -1:
        return math.nan
    return math.log1p(x)


def _log(x: float) -> float:
    """Math.log: -Infinity at 0, NaN below."""
    if x == 0:
        return -math.inf
    if x < 0:
        return math.nan
    return math.log(x)


def _exp(x: float) -> float:
    """Math.exp: Infinity on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log1p0(x: float) -> float:
    return _log1p(_max(0, x))


def _clamp01(x: float) -> float:
    return _min(1, _max(0, x))


def _js_string_key(s: str) -> bytes:
    """Orders strings like JavaScript's `<` (by UTF-16 code unit, not by code point)."""
    return s.encode("utf-16-be", "surrogatepass")


def hour_of(ms: float) -> int:
    """The hour bucket (hours since the Unix epoch, UTC) of an instant in ms."""
    return math.floor(ms / HOUR_MS)


# --- hour buckets (hour-buckets.ts) ---------------------------------------------------------


class HourBuckets:
    """Sparse hourly counters of one entity: only hours with activity, kept sorted."""

    def __init__(self, fields: int) -> None:
        self.fields = fields
        self._hours: list[int] = []
        self._values: list[list[float]] = []

    @property
    def size(self) -> int:
        return len(self._hours)

    @property
    def hours(self) -> tuple[int, ...]:
        return tuple(self._hours)

    def add(self, hour: int, amounts: Sequence[float]) -> None:
        """Adds `amounts` (one per field; missing = 0) to `hour`."""
        i = bisect.bisect_left(self._hours, hour)
        if i == len(self._hours) or self._hours[i] != hour:
            self._hours.insert(i, hour)
            self._values.insert(i, [0.0] * self.fields)
        row = self._values[i]
        for f, a in enumerate(amounts):
            row[f] += float(a)

    def prune(self, min_hour: int) -> None:
        """Drops buckets before `min_hour`."""
        n = bisect.bisect_left(self._hours, min_hour)
        if n:
            del self._hours[:n]
            del self._values[:n]

    def sum(self, field: int, from_hour: int, to_hour: int) -> float:
        """Sum of `field` over hours in [from_hour, to_hour] (newest first, as in TS)."""
        s = 0.0
        for i in range(len(self._hours) - 1, -1, -1):
            h = self._hours[i]
            if h > to_hour:
                continue
            if h < from_hour:
                break
            s += self._values[i][field]
        return s

    def decayed(self, field: int, from_hour: int, to_hour: int, half_life_hours: float) -> float:
        """Σ value x 2^(-(to_hour - hour) / half_life) over hours in [from_hour, to_hour]."""
        s = 0.0
        for i in range(len(self._hours) - 1, -1, -1):
            h = self._hours[i]
            if h > to_hour:
                continue
            if h < from_hour:
                break
            s += self._values[i][field] * math.pow(2, -(to_hour - h) / half_life_hours)
        return s

    def for_each(
        self, field: int, from_hour: int, to_hour: int, fn: Callable[[int, float], None]
    ) -> None:
        """Calls `fn` for each hour in [from_hour, to_hour] (oldest first) with `field` there."""
        for h, row in zip(self._hours, self._values, strict=True):
            if h < from_hour:
                continue
            if h > to_hour:
                break
            fn(h, row[field])

    def for_each_total(
        self,
        fields_to_sum: Sequence[int],
        from_hour: int,
        to_hour: int,
        fn: Callable[[int, float], None],
    ) -> None:
        """Like `for_each` with the sum of `fields_to_sum` per hour."""
        for h, row in zip(self._hours, self._values, strict=True):
            if h < from_hour:
                continue
            if h > to_hour:
                break
            t = 0.0
            for f in fields_to_sum:
                t += row[f]
            fn(h, t)


# --- events and entity state (feature-event.ts) ---------------------------------------------

EventTypeName = Literal[
    "view",
    "click",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "purchase",
    "refund",
    "offer_impression",
    "offer_click",
    "offer_redeem",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventTypeName)
"""Event types by their ClickHouse name (`events.event_type`)."""

USER_FIELDS = (
    "views",
    "clicks",
    "searches",
    "add_to_carts",
    "remove_from_carts",
    "purchases",
    "refunds",
    "offer_impressions",
    "offer_clicks",
    "offer_redeems",
    "spend_minor",
    "refunded_minor",
    "discount_received_minor",
)
"""Columns of `user_hourly` (migration 0002), in this order."""
ITEM_FIELDS = ("views", "clicks", "add_to_carts", "purchases", "units", "revenue_minor")
"""Columns of `item_hourly`."""
OFFER_FIELDS = (
    "impressions",
    "clicks",
    "redemptions",
    "purchases",
    "revenue_minor",
    "discount_cost_minor",
)
"""Columns of `offer_hourly`."""

U = {f: i for i, f in enumerate(USER_FIELDS)}
I = {f: i for i, f in enumerate(ITEM_FIELDS)}  # noqa: E741 (the TS name)
O = {f: i for i, f in enumerate(OFFER_FIELDS)}  # noqa: E741 (the TS name)
USER_COUNT_FIELDS = tuple(range(10))
"""The ten per-type counters of a user bucket (everything but money)."""

PRICED = frozenset({"view", "click", "add_to_cart", "purchase"})
"""Event types whose price_minor is the item's unit price."""


@dataclass(frozen=True)
class FeatureEvent:
    """What the features need of one event (the columns of `events` they read)."""

    event_id: str
    type: str
    time_ms: float
    item_id: str = ""
    category_id: str = ""
    offer_id: str = ""
    campaign_id: str = ""
    price_minor: float = 0
    quantity: float = 0
    discount_minor: float = 0


def line_value(e: FeatureEvent) -> float:
    """price x max(quantity, 1) - discount: a line's value, as the views compute it."""
    return e.price_minor * _max(e.quantity, 1) - e.discount_minor


def user_increments(e: FeatureEvent) -> list[float]:
    """What one event adds to its user's hour (mirrors `user_hourly_mv`)."""
    v: list[float] = [0] * len(USER_FIELDS)
    if e.type in EVENT_TYPES:
        v[EVENT_TYPES.index(e.type)] = 1
    if e.type == "purchase":
        v[U["spend_minor"]] = line_value(e)
    if e.type == "refund":
        v[U["refunded_minor"]] = line_value(e)
    if e.type in ("purchase", "offer_redeem"):
        v[U["discount_received_minor"]] = e.discount_minor
    return v


def item_increments(e: FeatureEvent) -> list[float] | None:
    """What one event adds to its item's hour, or None (mirrors `item_hourly_mv`)."""
    if e.item_id == "":
        return None
    if e.type == "view":
        return [1, 0, 0, 0, 0, 0]
    if e.type == "click":
        return [0, 1, 0, 0, 0, 0]
    if e.type == "add_to_cart":
        return [0, 0, 1, 0, 0, 0]
    if e.type == "purchase":
        return [0, 0, 0, 1, _max(e.quantity, 1), line_value(e)]
    return None


def offer_increments(e: FeatureEvent) -> list[float] | None:
    """What one event adds to its offer's hour, or None (mirrors `offer_hourly_mv`)."""
    if e.offer_id == "":
        return None
    if e.type == "offer_impression":
        return [1, 0, 0, 0, 0, 0]
    if e.type == "offer_click":
        return [0, 1, 0, 0, 0, 0]
    if e.type == "offer_redeem":
        return [0, 0, 1, 0, 0, e.discount_minor]
    if e.type == "purchase":
        return [0, 0, 0, 1, line_value(e), 0]
    return None


@dataclass(frozen=True)
class SequenceItem:
    """One kept event of a user's behaviour sequence."""

    event_id: str
    time_ms: float
    type: str
    item_id: str = ""
    category_id: str = ""
    offer_id: str = ""
    price_minor: float = 0


def _before(a: SequenceItem, b: SequenceItem) -> bool:
    return a.time_ms < b.time_ms or (
        a.time_ms == b.time_ms and _js_string_key(a.event_id) < _js_string_key(b.event_id)
    )


def sequence_order(items: Iterable[SequenceItem]) -> list[SequenceItem]:
    """`items` in sequence order: time ascending, ties by event id (as JavaScript compares)."""
    return sorted(items, key=lambda s: (s.time_ms, _js_string_key(s.event_id)))


@dataclass
class LastSeen:
    """Latest time of the events the recency features look at (epoch ms; None = none)."""

    visit: float | None = None
    cart: float | None = None
    purchase: float | None = None


class UserState:
    """Everything kept about one user."""

    def __init__(self, max_sequence: int, lookback_hours: int) -> None:
        self.buckets = HourBuckets(len(USER_FIELDS))
        self.last = LastSeen()
        self.sequence: list[SequenceItem] = []
        """Most recent events, oldest first, at most `max_sequence`."""
        self._max_sequence = max_sequence
        self._lookback_hours = lookback_hours

    def apply(self, e: FeatureEvent) -> None:
        hour = hour_of(e.time_ms)
        self.buckets.add(hour, user_increments(e))
        self.seen(e.type, e.time_ms)
        self.remember(
            SequenceItem(
                event_id=e.event_id,
                time_ms=e.time_ms,
                type=e.type,
                item_id=e.item_id,
                category_id=e.category_id,
                offer_id=e.offer_id,
                price_minor=e.price_minor,
            )
        )
        self.buckets.prune(hour - self._lookback_hours)

    def seen(self, type_: str, time_ms: float) -> None:
        """Records that an event of `type_` happened at `time_ms` (recency only)."""
        last = self.last
        if last.visit is None or not last.visit >= time_ms:
            last.visit = time_ms
        if type_ == "add_to_cart" and (last.cart is None or not last.cart >= time_ms):
            last.cart = time_ms
        if type_ == "purchase" and (last.purchase is None or not last.purchase >= time_ms):
            last.purchase = time_ms

    def remember(self, s: SequenceItem) -> None:
        """Puts an event into the sequence in (time, id) order, keeping the newest."""
        seq = self.sequence
        i = len(seq)
        while i > 0 and _before(s, seq[i - 1]):
            i -= 1
        if i == 0 and len(seq) >= self._max_sequence:
            return  # older than everything kept
        seq.insert(i, s)
        if len(seq) > self._max_sequence:
            seq.pop(0)


@dataclass
class Latest(Generic[T]):
    """The latest value of an item attribute and the time it was seen."""

    value: T
    time_ms: float


class ItemState:
    """Everything kept about one item (all users)."""

    def __init__(self, lookback_hours: int) -> None:
        self.buckets = HourBuckets(len(ITEM_FIELDS))
        self.price: Latest[float] = Latest(0, -math.inf)
        self.category: Latest[str] = Latest("", -math.inf)
        self._lookback_hours = lookback_hours

    def apply(self, e: FeatureEvent) -> None:
        inc = item_increments(e)
        hour = hour_of(e.time_ms)
        if inc is not None:
            self.buckets.add(hour, inc)
            self.buckets.prune(hour - self._lookback_hours)
        if e.item_id == "":
            return
        if e.price_minor > 0 and e.type in PRICED:
            self.note_price(e.price_minor, e.time_ms)
        if e.category_id != "":
            self.note_category(e.category_id, e.time_ms)

    def note_price(self, value: float, time_ms: float) -> None:
        if time_ms >= self.price.time_ms:
            self.price = Latest(value, time_ms)

    def note_category(self, value: str, time_ms: float) -> None:
        if time_ms >= self.category.time_ms:
            self.category = Latest(value, time_ms)


class OfferState:
    """Everything kept about one offer, and its lifetime totals."""

    def __init__(self, lookback_hours: int) -> None:
        self.buckets = HourBuckets(len(OFFER_FIELDS))
        self.lifetime_redemptions: float = 0
        """Redemptions of all time (flash-sale stock left = stock - this)."""
        self._lookback_hours = lookback_hours

    def apply(self, e: FeatureEvent) -> None:
        inc = offer_increments(e)
        if inc is None:
            return
        hour = hour_of(e.time_ms)
        self.buckets.add(hour, inc)
        self.buckets.prune(hour - self._lookback_hours)
        self.lifetime_redemptions += inc[O["redemptions"]]


# --- vectors (feature-vector.ts) ------------------------------------------------------------

OfferKind = Literal["percent", "amount", "spend_save", "free_shipping", "flash", "coupon"]
OFFER_KINDS: tuple[str, ...] = get_args(OfferKind)
"""Offer kinds as the spec names them (o_type_*)."""


@dataclass(frozen=True)
class ContextInput:
    """The request context as features read it (lowercase enum names; '' = unknown)."""

    device: str = ""
    channel: str = ""
    page_type: str = ""
    cart_value_minor: float = 0
    cart_item_ids: tuple[str, ...] = ()


EMPTY_CONTEXT = ContextInput()


@dataclass(frozen=True)
class CatalogOffer:
    """What the campaign catalog says about an offer."""

    offer_id: str
    campaign_id: str
    kind: str
    percent_off: float = 0
    amount_off_minor: float = 0
    threshold_minor: float = 0
    """Spend threshold (spend-X-save-Y, free shipping); 0 = none."""
    save_minor: float = 0
    sale_price_minor: float = 0
    stock: float | None = None
    """Flash-sale stock; None when not a flash sale."""
    total_budget_minor: float = 0
    """The campaign's total budget; 0 = unlimited."""
    max_discount_minor: float = 0
    """Largest discount one order may get; 0 = no cap."""
    shipping_cost_minor: float = 0
    """Shipping cost a free-shipping offer absorbs per order; 0 otherwise."""


@dataclass(frozen=True)
class CandidateInput:
    """One candidate as GetFeatures receives it."""

    offer_id: str
    campaign_id: str
    item_id: str = ""
    category_id: str = ""


@dataclass(frozen=True)
class CandidateState:
    """What is known about a candidate's item, offer and campaign."""

    item: ItemState | None = None
    offer: OfferState | None = None
    catalog: CatalogOffer | None = None
    campaign_spent_minor: float = 0
    """Discount cost of all the campaign's redemptions so far, minor units."""


@dataclass(frozen=True)
class UserVector:
    values: list[float]
    cold_start: bool
    events_30d: float


@dataclass(frozen=True)
class CandidateVector:
    values: list[float]
    cold_start: bool


WINDOWS = (("1h", 1), ("24h", 24), ("7d", 168), ("30d", 720))
COUNT_NAMES = (
    "views",
    "clicks",
    "searches",
    "add_to_carts",
    "remove_from_carts",
    "purchases",
    "refunds",
    "offer_impressions",
    "offer_clicks",
    "offer_redeems",
)


def ordered(defs: Sequence[FeatureDef], values: Mapping[str, float | None]) -> list[float]:
    """Places named values in spec order; a spec feature no code computes is an error."""
    out: list[float] = []
    for d in defs:
        v = values.get(d.name)
        if v is None:
            raise FeatureSpecError(f"no computation for feature {d.name}")
        out.append(f32(v if math.isfinite(v) else d.default))
    return out


def visible_sequence(
    spec: FeatureSpec, user: UserState | None, as_of_ms: float
) -> list[SequenceItem]:
    """The user's sequence within the lookback and not after as_of, oldest first."""
    if user is None:
        return []
    start = as_of_ms - spec.params.lookback_hours * HOUR_MS
    return [s for s in user.sequence if s.time_ms <= as_of_ms and s.time_ms >= start]


def _block(hour: float) -> int:
    """The 4-hour UTC block of an hour bucket, as `Math.floor((h % 24) / 4)` computes it."""
    return math.floor(math.fmod(hour, 24) / 4)


def _utc_weekday_monday0(ms: float) -> int:
    """(new Date(ms).getUTCDay() + 6) % 7."""
    day = math.floor(math.trunc(ms) / DAY_MS)
    return ((day + 4) % 7 + 6) % 7


def user_features(
    spec: FeatureSpec, user: UserState | None, ctx: ContextInput, as_of_ms: float
) -> UserVector:
    """User and context features at `as_of_ms`, in spec order."""
    v: dict[str, float | None] = {}
    H = hour_of(as_of_ms)
    L = spec.params.lookback_hours
    cap = spec.params.recency_cap_hours
    b = user.buckets if user is not None else None

    def total(f: int, hours: int) -> float:
        return b.sum(f, H - hours + 1, H) if b is not None else 0

    for w, hours in WINDOWS:
        for f, name in enumerate(COUNT_NAMES):
            v[f"u_{name}_{w}"] = _log1p0(total(f, hours))
    spend7 = total(U["spend_minor"], 168)
    spend30 = total(U["spend_minor"], L)
    purchases30 = total(U["purchases"], L)
    discount30 = total(U["discount_received_minor"], L)
    refunds30 = total(U["refunds"], L)
    v["u_spend_7d"] = _log1p0(spend7 / 100)
    v["u_spend_30d"] = _log1p0(spend30 / 100)
    v["u_aov_30d"] = _log1p0(spend30 / purchases30 / 100) if purchases30 > 0 else 0
    v["u_discount_share_30d"] = (
        _clamp01(discount30 / (spend30 + discount30)) if spend30 + discount30 > 0 else 0
    )
    v["u_refund_rate_30d"] = _min(1, refunds30 / purchases30) if purchases30 > 0 else 0

    def hours_since(t: float | None) -> float:
        if t is None or math.isnan(t):
            return cap
        return _min(cap, _max(0, (as_of_ms - t) / HOUR_MS))

    last = user.last if user is not None else LastSeen()
    since_visit = hours_since(last.visit)
    since_cart = hours_since(last.cart)
    since_purchase = hours_since(last.purchase)
    v["u_hours_since_visit"] = _log1p(since_visit)
    v["u_hours_since_cart"] = _log1p(since_cart)
    v["u_hours_since_purchase"] = _log1p(since_purchase)

    # Per-hour totals over the lookback: active days and the time-of-day profile.
    days: set[int] = set()
    blocks = [0.0] * 6
    purchase_blocks = [0.0] * 6
    events30 = 0.0
    purchases_in_blocks = 0.0

    def on_total(h: int, t: float) -> None:
        nonlocal events30
        if t <= 0:
            return
        days.add(math.floor(h / 24))
        k = _block(h)
        if 0 <= k < 6:
            blocks[k] += t
        events30 += t

    def on_purchases(h: int, n: float) -> None:
        nonlocal purchases_in_blocks
        k = _block(h)
        if 0 <= k < 6:
            purchase_blocks[k] += n
        purchases_in_blocks += n

    if b is not None:
        b.for_each_total(USER_COUNT_FIELDS, H - L + 1, H, on_total)
        b.for_each(U["purchases"], H - L + 1, H, on_purchases)
    v["u_active_days_30d"] = len(days) / 30
    has_purchase = (
        user is not None
        and last.purchase is not None
        and not math.isnan(last.purchase)
        and since_purchase < cap
    )
    R = _exp(-since_purchase / 720) if has_purchase else 0
    v["u_rfm_value"] = R * (_log1p(purchases30) + _log1p0(spend30 / 100))
    v["u_churn_risk"] = 1 if not days else 1 - _exp(-since_visit / (720 / len(days)))
    for i in range(6):
        v[f"u_active_share_h{4 * i:02d}_{4 * i + 4:02d}"] = (
            blocks[i] / events30 if events30 > 0 else 0
        )
    now_block = _block(H)
    in_range = 0 <= now_block < 6
    v["u_active_share_now"] = (
        (blocks[now_block] / events30 if in_range else math.nan) if events30 > 0 else 0
    )
    v["u_purchase_share_now"] = (
        (purchase_blocks[now_block] / purchases_in_blocks if in_range else math.nan)
        if purchases_in_blocks > 0
        else 0
    )
    seq = visible_sequence(spec, user, as_of_ms)
    v["u_seq_fill"] = len(seq) / spec.sequence.max_length
    v["u_seq_categories"] = _log1p(len({s.category_id for s in seq if s.category_id}))

    hour_of_day = math.fmod(as_of_ms, DAY_MS) / HOUR_MS
    dow = _utc_weekday_monday0(as_of_ms)  # Monday = 0
    v["c_hour_sin"] = math.sin((2 * math.pi * hour_of_day) / 24)
    v["c_hour_cos"] = math.cos((2 * math.pi * hour_of_day) / 24)
    v["c_dow_sin"] = math.sin((2 * math.pi * dow) / 7)
    v["c_dow_cos"] = math.cos((2 * math.pi * dow) / 7)
    v["c_device_mobile"] = 1 if ctx.device == "mobile" else 0
    v["c_device_tablet"] = 1 if ctx.device == "tablet" else 0
    v["c_device_desktop"] = 1 if ctx.device == "desktop" else 0
    v["c_channel_app"] = 1 if ctx.channel == "app" else 0
    v["c_channel_web"] = 1 if ctx.channel == "web" else 0
    v["c_channel_message"] = 1 if ctx.channel in ("email", "push") else 0
    v["c_page_product"] = 1 if ctx.page_type == "product" else 0
    v["c_page_cart"] = 1 if ctx.page_type in ("cart", "checkout") else 0
    v["c_cart_value"] = _log1p0(ctx.cart_value_minor / 100)
    v["c_cart_items"] = _log1p(len(ctx.cart_item_ids))
    return UserVector(
        values=ordered(spec.user, v),
        cold_start=events30 <= spec.params.user_cold_start_max_events,
        events_30d=events30,
    )


def discount_depth(c: CatalogOffer, item_price: float, cart_value: float) -> float | None:
    """Depth of the discount, as a share of the price given away, in [0, 1].

    None for an unknown kind (the TS switch falls through to undefined, which `ordered`
    then reports as a feature without a computation).
    """
    if c.kind == "percent":
        return _clamp01(c.percent_off / 100)
    if c.kind in ("amount", "coupon"):
        if c.percent_off > 0:
            return _clamp01(c.percent_off / 100)
        if item_price > 0:
            return _clamp01(c.amount_off_minor / item_price)
        return _clamp01(c.amount_off_minor / cart_value) if cart_value > 0 else 0
    if c.kind == "flash":
        return _clamp01(1 - c.sale_price_minor / item_price) if item_price > 0 else 0
    if c.kind == "spend_save":
        return _clamp01(c.save_minor / c.threshold_minor) if c.threshold_minor > 0 else 0
    if c.kind == "free_shipping":
        return 0
    return None


def cart_saving(c: CatalogOffer, item_price: float, cart_value: float) -> float | None:
    """What the offer saves on this order, as a share of it, in [0, 1] (fs-2's o_cart_saving).

    The order is the cart (else the candidate item alone, else unknown: 0); every kind is
    capped by `max_discount_minor` when set. None for an unknown kind, as `discount_depth`.
    """
    order = cart_value if cart_value > 0 else item_price
    if not order > 0:
        return 0
    if c.kind == "percent":
        saved = order * c.percent_off / 100
    elif c.kind in ("amount", "coupon"):
        saved = order * c.percent_off / 100 if c.percent_off > 0 else c.amount_off_minor
    elif c.kind == "flash":
        saved = item_price - c.sale_price_minor if item_price > 0 else 0
    elif c.kind == "spend_save":
        saved = c.save_minor if order >= c.threshold_minor else 0
    elif c.kind == "free_shipping":
        saved = c.shipping_cost_minor if order >= c.threshold_minor else 0
    else:
        return None
    if c.max_discount_minor > 0:
        saved = _min(saved, c.max_discount_minor)
    return _clamp01(saved / order)


def candidate_features(
    spec: FeatureSpec,
    cand: CandidateInput,
    st: CandidateState,
    user: UserState | None,
    ctx: ContextInput,
    as_of_ms: float,
) -> CandidateVector:
    """One candidate's item, offer and cross features at `as_of_ms`, in spec order."""
    v: dict[str, float | None] = {}
    H = hour_of(as_of_ms)
    L = spec.params.lookback_hours
    half = spec.params.decay_half_life_hours
    ib = st.item.buckets if st.item is not None else None
    ob = st.offer.buckets if st.offer is not None else None

    def isum(f: int, hours: int) -> float:
        return ib.sum(f, H - hours + 1, H) if ib is not None else 0

    def idec(f: int) -> float:
        return ib.decayed(f, H - L + 1, H, half) if ib is not None else 0

    def osum(f: int, hours: int) -> float:
        return ob.sum(f, H - hours + 1, H) if ob is not None else 0

    def odec(f: int) -> float:
        return ob.decayed(f, H - L + 1, H, half) if ob is not None else 0

    price = st.item.price.value if st.item is not None else 0
    v["i_price"] = _log1p0(price / 100)
    v["i_price_known"] = 1 if price > 0 else 0
    views24 = isum(I["views"], 24)
    views7d = isum(I["views"], 168)
    v["i_views_24h"] = _log1p0(views24)
    v["i_views_7d"] = _log1p0(views7d)
    v["i_clicks_7d"] = _log1p0(isum(I["clicks"], 168))
    v["i_carts_7d"] = _log1p0(isum(I["add_to_carts"], 168))
    v["i_purchases_7d"] = _log1p0(isum(I["purchases"], 168))
    d_views = idec(I["views"])
    v["i_ctr"] = _div(idec(I["clicks"]) + 20 * 0.05, d_views + 20)
    v["i_cvr"] = _div(idec(I["purchases"]) + 20 * 0.01, d_views + 20)
    v["i_cart_rate"] = _div(idec(I["add_to_carts"]) + 20 * 0.03, d_views + 20)
    v["i_trend"] = _log(_div(views24 + 1, views7d / 7 + 1))

    c = st.catalog
    for k in OFFER_KINDS:
        v[f"o_type_{k}"] = 1 if c is not None and c.kind == k else 0
    v["o_discount_depth"] = discount_depth(c, price, ctx.cart_value_minor) if c is not None else 0
    v["o_cart_saving"] = cart_saving(c, price, ctx.cart_value_minor) if c is not None else 0
    v["o_min_spend"] = (
        _log1p0(c.threshold_minor / 100)
        if c is not None and c.kind in ("spend_save", "free_shipping")
        else 0
    )
    impressions7d = osum(O["impressions"], 168)
    v["o_impressions_7d"] = _log1p0(impressions7d)
    v["o_clicks_7d"] = _log1p0(osum(O["clicks"], 168))
    v["o_redeems_7d"] = _log1p0(osum(O["redemptions"], 168))
    d_impr = odec(O["impressions"])
    v["o_click_rate"] = _div(odec(O["clicks"]) + 20 * 0.05, d_impr + 20)
    v["o_redeem_rate"] = _div(odec(O["redemptions"]) + 20 * 0.02, d_impr + 20)
    v["o_budget_left"] = (
        _clamp01(1 - st.campaign_spent_minor / c.total_budget_minor)
        if c is not None and c.total_budget_minor > 0
        else 1
    )
    stock_known = c is not None and c.kind == "flash" and c.stock is not None
    lifetime = st.offer.lifetime_redemptions if st.offer is not None else 0
    v["o_stock_left"] = (
        _log1p0(c.stock - lifetime) if stock_known and c is not None and c.stock is not None else 0
    )
    v["o_stock_known"] = 1 if stock_known else 0
    v["o_known"] = 1 if c is not None else 0

    seq = visible_sequence(spec, user, as_of_ms)
    item_category = st.item.category.value if st.item is not None else ""
    category = cand.category_id or item_category or ""
    with_category = [s for s in seq if s.category_id != ""]
    v["x_category_affinity"] = (
        sum(1 for s in with_category if s.category_id == category) / len(with_category)
        if category != "" and with_category
        else 0
    )
    v["x_item_seen"] = (
        _log1p(sum(1 for s in seq if s.item_id == cand.item_id)) if cand.item_id else 0
    )
    v["x_offer_seen"] = (
        _log1p(sum(1 for s in seq if s.offer_id == cand.offer_id)) if cand.offer_id else 0
    )
    v["x_item_in_cart"] = 1 if cand.item_id and cand.item_id in ctx.cart_item_ids else 0
    v["x_cart_meets_threshold"] = (
        1
        if c is not None and c.threshold_minor > 0 and ctx.cart_value_minor >= c.threshold_minor
        else 0
    )
    history = views7d + impressions7d
    return CandidateVector(
        values=ordered(spec.candidate, v),
        cold_start=history <= spec.params.candidate_cold_start_max_events,
    )


def ensure_computable(spec: FeatureSpec) -> None:
    """Raises FeatureSpecError when `spec` names a feature or event type this code lacks."""
    unknown = [t for t in spec.sequence.event_types if t not in EVENT_TYPES]
    if unknown:
        raise FeatureSpecError(f"spec {spec.version} names unknown event types {unknown}")
    user_features(spec, None, EMPTY_CONTEXT, 0)
    candidate_features(spec, CandidateInput("", ""), CandidateState(), None, EMPTY_CONTEXT, 0)
