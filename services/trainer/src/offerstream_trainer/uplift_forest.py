"""The uplift forest: a gradient-boosted S-learner for P(purchase | offer) and P(purchase | no
offer), compiled into tensor ops so that it runs inside the model's ONNX graph.

LightGBM classifiers learn P(purchase) from every training row, treated and control alike,
on [user vector, how many of the user's last events fall in each frequent category bucket,
treated flag, the candidate's treatment descriptors x treated flag]: the offer's kind, depth,
saving on this cart, minimum spend, whether the cart meets its threshold, whether its item is
in the cart and the user's affinity to its category (TREATMENT_FEATURES). P(purchase | offer)
is their prediction with the flag set and the candidate's descriptors, P(purchase | no offer)
with the flag cleared and the descriptors zero, as every control row had them (Künzel et al.,
2019, call this the S-learner). ForestConfig.seeds forests are averaged.

Why: the neural heads are T-learner-style, a treatment head and a control head that each learn
the whole purchase rate, and their difference is the uplift. On the few thousand decisions a
campaign logs, each head's error is as large as the uplift itself, and the policy built on the
difference could not tell the types of user apart. Offline, on the logged decisions of three
default-size demo runs with the shop's history, each learner trained on phase 1's rows and
acting greedily on phase 2's decisions, valued with the market's ground truth: the served
neural model earned 10.7 %, 17.5 % and 12.0 % of the oracle's incremental profit, this forest
60 to 67 % (the same user vectors; the offer given by its id and cost, not its descriptors).
Live, `make demo` with one forest on the flat vectors: 53.7 % (run 20261202170141); with five
forests and the category counts: 46.0 % and 15.2 % (runs 20261202170917, 20261202171718; the
last one's phase 1 logged sleeping dogs whose treated rows bought at 0.31 against 0.42
without an offer, and sure things at 0.64 against 0.54 — the forest treated both).
Trees split on the few features that separate the types (purchases per cart, visits, the
shop's sections) and the treatment split inside each leaf is the uplift of that group; the
rows without an offer teach the same trees the base rate.

The trees run in the graph as onnxruntime's tree-ensemble operator (ai.onnx.ml
TreeEnsembleRegressor, which every onnxruntime build the scorer uses carries): a compiled
traversal (1,500 trees of 7 leaves: about 60,000 rows/s on one core). In PyTorch they run as
the "GEMM" strategy of Hummingbird (Nakandala et al., 2020): every tree's split decisions at
once, then one matrix product with each tree's path matrix finds the leaf reached; the parity
check compares the two. That strategy exported as plain ONNX ops ran 1,500 small GEMMs per
batch, 5,300 candidate-scores/s. P(purchase | no offer) depends on the user's row only, so the
graph scores each distinct user's control row once (Unique), not once per candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import lightgbm as lgb
import numpy as np
import torch
from torch import nn

ML_DOMAIN = "ai.onnx.ml"
"""The ONNX domain of the tree-ensemble operator; export.py imports it at ML_OPSET."""

TREATMENT_FEATURES: tuple[str, ...] = (
    "o_type_percent",
    "o_type_amount",
    "o_type_spend_save",
    "o_type_free_shipping",
    "o_type_flash",
    "o_type_coupon",
    "o_discount_depth",
    "o_cart_saving",
    "o_min_spend",
    "x_cart_meets_threshold",
    "x_item_in_cart",
    "x_category_affinity",
)
"""Candidate features that describe the treatment (what the offer is and does to this cart).
The candidate's other features (item and offer counters) describe the traffic of the moment,
not the offer: a forest fitted on a few thousand rows splits on their drift."""


@dataclass(frozen=True)
class ForestConfig:
    """Size of the uplift forest (LightGBM parameters)."""

    trees: int = 120
    learning_rate: float = 0.075
    """Trees per forest and their step: 120 at 0.075 fit as 300 at 0.03 did (on bench-trainer's
    dataset, served purchase AUC 0.7867 against 0.7870, Qini 0.019 against 0.021) with 600 trees
    to traverse per row instead of 1,500, which is what the scorer pays for."""
    leaves: int = 31
    """Leaves per tree: the groups a split on the treatment flag can tell apart. How many pay
    depends on the rows: on the ~2,800 rows of a demo whose phase 1 had two offerstream shops,
    15 leaves in three forests earned 56.9 % of the greedy oracle against 54.0 % for 7 leaves
    in five and 31 leaves did no better (910.5 against 903.9 EUR after the warm-up, four runs);
    on the ~5,500 rows of four shops (MARKET_TRAINING_SHOPS=3), 31 leaves in two forests earn
    935.2 EUR after the warm-up against 873.4 for 15 in three (three runs x two seeds,
    `offerstream-trainer lab`), 63 leaves 870.2. Two forests of 31 leaves visit about as many
    nodes per row as three of 15 (240 trees about 5 deep against 360 about 4)."""
    min_rows_per_leaf: int = 40
    subsample: float = 0.8
    colsample: float = 0.8
    seeds: int = 2
    """Forests trained with their own seeds and averaged (their raw scores): on a few thousand
    rows, one forest's policy swung with the seed (offline on one demo run's decisions, 53 to
    69 % of the oracle's incremental profit over two seeds), five averaged did not (65.4 and
    65.6 % for two sets of five); two of 31 leaves earn about what three do (935.2 against
    940.5 EUR, see `leaves`), one of 240 trees 850.0."""
    events: int = 50
    """How many of the user's last events the category counts read (1..the spec's
    sequence.max_length, 50): the graph's sequence inputs are this wide when it is more than
    the sequence model's `sequence_length`, and the sequence model reads their last
    `sequence_length`. A persuadable's outlet browsing leans towards the markdowns they wait
    for (tools/market: markdown anchoring), and 50 events show that lean where 20 hardly do:
    offline on five default-size runs (three seeds), 985.9 EUR after the warm-up against
    957.1 with 20 events (35 events: 964.0); -3 to +57 per run."""
    categories: int = 32
    """The forest also reads how many of the user's last events fall in each of the this-many
    category buckets most frequent in the training sequences (0 = none): what a user browses
    (the clearance racks, premium lines, staples) tells deal hunters and how deep a discount
    they need, which the flat counters do not. Offline on one demo run's decisions, five
    averaged forests earned 72.3 and 71.5 % of the oracle with the counts, 65.6 and 65.4 %
    without."""
    monotone: bool = True
    """P(purchase | offer) never falls as the offer gets deeper on the same cart: the trees are
    constrained to rise with the discount depth, the saving on the cart and whether the cart
    meets the offer's threshold (LightGBM monotone_constraints, "advanced"). The treated flag
    itself is free (a sleeping dog buys less with any offer). Without it the forest fitted the
    noise of a few thousand treated rows as depth-by-depth differences and offered sure
    things the depth that looked best: offline, on two default-size runs' rows and decisions
    and three seeds each (`offerstream-trainer lab --variant free:monotone=0`), 996.5 against
    948.6 EUR after the warm-up (-31 to +122 per pair, five of six better), the sure things'
    cost on one run 16 EUR instead of 67."""

    trees_per_1000_rows: float = 20.0
    """More rows hold more than `trees` trees take in: a forest grows to this many trees per
    1,000 training rows when that is more than `trees`, up to `max_trees` (0 = always
    `trees`). Offline at full size (`offerstream-trainer lab`, runs 20261203221333 and
    20261203172804: 17,700 and 15,000 rows, two seeds each), 240 trees earned 71.2 % of the
    greedy oracle and 360 trees 72.0 %, against 67.6 % for 120 (every fit better); at the
    default size (about 5,500 rows) 300 trees earned 66.5 % against 73 %, and the rule keeps
    120 there."""
    max_trees: int = 400
    """The most trees `trees_per_1000_rows` grows a forest to (each costs the scorer a tree
    traversal per candidate)."""

    def trees_for(self, rows: int) -> int:
        """Trees per forest for `rows` training rows (see `trees_per_1000_rows`)."""
        scaled = round(rows * self.trees_per_1000_rows / 1000)
        return max(self.trees, min(self.max_trees, scaled))

    def __post_init__(self) -> None:
        if self.trees < 1:
            raise ValueError(f"forest trees must be >= 1, got {self.trees}")
        if not self.trees_per_1000_rows >= 0:
            raise ValueError(
                f"forest trees_per_1000_rows must be >= 0, got {self.trees_per_1000_rows}"
            )
        if self.max_trees < 1:
            raise ValueError(f"forest max_trees must be >= 1, got {self.max_trees}")
        if self.leaves < 2:
            raise ValueError(f"forest leaves must be >= 2, got {self.leaves}")
        if self.seeds < 1:
            raise ValueError(f"forest seeds must be >= 1, got {self.seeds}")
        if self.events < 1:
            raise ValueError(f"forest events must be >= 1, got {self.events}")
        if self.categories < 0:
            raise ValueError(f"forest categories must be >= 0, got {self.categories}")
        if not 0.0 < self.learning_rate <= 1.0:
            raise ValueError(f"forest learning_rate must be in (0, 1], got {self.learning_rate}")

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class ForestError(ValueError):
    """A booster uses a split kind the compiled forest does not run."""


def treatment_columns(candidate_names: Sequence[str] | None, width: int) -> list[int]:
    """Positions of TREATMENT_FEATURES in the candidate vector (every column without names)."""
    if candidate_names is None:
        return list(range(width))
    pos = {n: i for i, n in enumerate(candidate_names)}
    return [pos[n] for n in TREATMENT_FEATURES if n in pos]


def category_vocabulary(seq_category: np.ndarray, size: int) -> np.ndarray:
    """The `size` category buckets most frequent in `seq_category` [N, L] (0 = padding, never
    one of them), most frequent first, ties by bucket; fewer when fewer occur."""
    ids, counts = np.unique(seq_category[seq_category > 0], return_counts=True)
    order = np.lexsort((ids, -counts))[:size]
    return ids[order].astype(np.int64)


def category_counts(seq_category: np.ndarray, vocabulary: np.ndarray) -> np.ndarray:
    """[N, K] float32: how many of each row's events fall in each vocabulary bucket."""
    return (seq_category[:, :, None] == vocabulary[None, None, :]).sum(axis=1).astype(np.float32)


def design(
    user: np.ndarray,
    counts: np.ndarray,
    candidate: np.ndarray,
    treated: np.ndarray,
    columns: Sequence[int],
) -> np.ndarray:
    """The forest's input rows: [user, category counts, treated, candidate[:, columns] x
    treated], float32."""
    t = treated.astype(np.float32).reshape(-1, 1)
    x = np.concatenate([user, counts, t, candidate[:, list(columns)] * t], axis=1)
    return np.nan_to_num(x.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)


RISING_FEATURES = frozenset({"o_discount_depth", "o_cart_saving", "x_cart_meets_threshold"})
"""Treatment descriptors P(purchase) may only rise with (ForestConfig.monotone)."""


def rising_constraints(
    user_width: int, counts_width: int, columns: Sequence[int], candidate_names: Sequence[str]
) -> list[int]:
    """LightGBM monotone_constraints for `design`'s rows: +1 on the RISING_FEATURES among the
    treatment descriptors, 0 elsewhere (the layout `design` writes)."""
    first = user_width + counts_width + 1
    out = [0] * (first + len(columns))
    for k, c in enumerate(columns):
        if candidate_names[c] in RISING_FEATURES:
            out[first + k] = 1
    return out


def fit_forest(
    x: np.ndarray,
    treated: np.ndarray,
    purchased: np.ndarray,
    cfg: ForestConfig,
    seed: int,
    threads: int = 0,
    monotone: Sequence[int] | None = None,
) -> list[lgb.Booster] | None:
    """`cfg.seeds` boosters fitted on the design rows `x` (seed, seed + 1, ...), or None when
    the rows cannot teach an uplift (no treated rows, no control rows, or one outcome only)."""
    t = treated > 0.5
    if not t.any() or t.all() or len(np.unique(purchased)) < 2:
        return None
    data = lgb.Dataset(x, label=purchased.astype(np.float64), free_raw_data=False)
    out = []
    for k in range(cfg.seeds):
        params = {
            "objective": "binary",
            "learning_rate": cfg.learning_rate,
            "num_leaves": cfg.leaves,
            "min_child_samples": cfg.min_rows_per_leaf,
            "bagging_fraction": cfg.subsample,
            "bagging_freq": 1,
            "feature_fraction": cfg.colsample,
            "seed": seed + k,
            "deterministic": True,
            "force_col_wise": True,
            "num_threads": threads,
            "verbose": -1,
        }
        if monotone is not None:
            params["monotone_constraints"] = list(monotone)
            params["monotone_constraints_method"] = "advanced"
        out.append(lgb.train(params, data, num_boost_round=cfg.trees))
    return out


@dataclass(frozen=True)
class FittedForest:
    """Boosters fitted by fit_uplift_forest and what their input rows are made of."""

    boosters: list[lgb.Booster]
    columns: list[int]
    """Positions of the treatment descriptors in the candidate vector."""
    vocabulary: np.ndarray
    """The category buckets counted (category_vocabulary)."""

    def design(
        self, user: np.ndarray, seq_category: np.ndarray, candidate: np.ndarray, treated: np.ndarray
    ) -> np.ndarray:
        """The boosters' input rows (see `design`) for these model inputs."""
        counts = category_counts(seq_category, self.vocabulary)
        return design(user, counts, candidate, treated, self.columns)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(purchase) of design rows: the sigmoid of the boosters' mean raw score, as the graph
        computes it."""
        raw = np.mean([b.predict(x, raw_score=True) for b in self.boosters], axis=0)
        return 1.0 / (1.0 + np.exp(-raw))


def fit_uplift_forest(
    user: np.ndarray,
    seq_category: np.ndarray,
    candidate: np.ndarray,
    treated: np.ndarray,
    purchased: np.ndarray,
    cfg: ForestConfig,
    candidate_names: Sequence[str] | None,
    seed: int,
    threads: int = 0,
) -> FittedForest | None:
    """The forest on these rows (model inputs: seq_category as the model reads it), with
    cfg.trees_for(rows) trees per booster, or None when they cannot teach an uplift
    (fit_forest)."""
    columns = treatment_columns(candidate_names, candidate.shape[1])
    vocabulary = category_vocabulary(seq_category, cfg.categories)
    counts = category_counts(seq_category, vocabulary)
    x = design(user, counts, candidate, treated, columns)
    monotone = (
        rising_constraints(user.shape[1], counts.shape[1], columns, candidate_names)
        if cfg.monotone and candidate_names is not None
        else None
    )
    sized = replace(cfg, trees=cfg.trees_for(len(purchased)))
    boosters = fit_forest(
        x, treated, purchased, sized, seed=seed, threads=threads, monotone=monotone
    )
    return None if boosters is None else FittedForest(boosters, columns, vocabulary)


def _floor32(v: float) -> np.float32:
    """The largest float32 <= v: for a float32 x, x <= v exactly when x <= _floor32(v)."""
    f = np.float32(v)
    if float(f) > v:
        f = np.nextafter(f, np.float32(-np.inf), dtype=np.float32)
    return f


class TreeEnsemble(nn.Module):
    """LightGBM binary boosters as tensor ops: forward(x [B, F] float32) = the mean of their
    raw scores."""

    def __init__(self, boosters: Sequence[lgb.Booster]) -> None:
        super().__init__()
        trees = [t["tree_structure"] for b in boosters for t in b.dump_model()["tree_info"]]
        parsed = [self._parse(t) for t in trees]
        share = 1.0 / len(boosters)
        n_max = max(1, max(len(p[0]) for p in parsed))
        l_max = max(len(p[1]) for p in parsed)
        k = len(parsed)
        feature = np.zeros((k, n_max), np.int64)
        threshold = np.full((k, n_max), np.inf, np.float32)
        paths = np.zeros((k, n_max, l_max), np.float32)
        lefts = np.full((k, l_max), 1e9, np.float32)
        values = np.zeros((k, l_max), np.float32)
        for i, (nodes, leaves) in enumerate(parsed):
            for j, (f, thr) in enumerate(nodes):
                feature[i, j] = f
                threshold[i, j] = thr
            for leaf, (value, ancestors) in enumerate(leaves):
                values[i, leaf] = value * share
                lefts[i, leaf] = sum(1 for _, went_left in ancestors if went_left)
                for node, went_left in ancestors:
                    paths[i, node, leaf] = 1.0 if went_left else -1.0
        self.register_buffer("feature", torch.as_tensor(feature.reshape(-1)))
        self.register_buffer("threshold", torch.as_tensor(threshold))
        self.register_buffer("paths", torch.as_tensor(paths))
        self.register_buffer("lefts", torch.as_tensor(lefts).unsqueeze(1))
        self.register_buffer("values", torch.as_tensor(values).unsqueeze(1))
        self.onnx_attributes = self._onnx_attributes(trees, share)

    @staticmethod
    def _onnx_attributes(trees: Sequence[dict[str, object]], share: float) -> dict[str, object]:
        """TreeEnsembleRegressor's attributes (suffixed by type, as torch's g.op takes them):
        nodes numbered per tree in visit order, '<=' splits on the float32 thresholds the
        GEMM path compares with, each leaf's value scaled by `share`, the scores summed."""
        nodes: dict[str, list[object]] = {
            k: [] for k in ("treeids", "nodeids", "featureids", "values", "modes", "true", "false")
        }
        targets: dict[str, list[object]] = {k: [] for k in ("treeids", "nodeids", "weights")}
        for tree_id, root in enumerate(trees):
            counter = 0

            def visit(n: dict[str, object], tree_id: int = tree_id) -> int:
                nonlocal counter
                me, at = counter, len(nodes["nodeids"])
                counter += 1
                nodes["treeids"].append(tree_id)
                nodes["nodeids"].append(me)
                if "leaf_value" in n:
                    for key, v in (("featureids", 0), ("values", 0.0), ("modes", "LEAF")):
                        nodes[key].append(v)
                    nodes["true"].append(0)
                    nodes["false"].append(0)
                    targets["treeids"].append(tree_id)
                    targets["nodeids"].append(me)
                    targets["weights"].append(float(n["leaf_value"]) * share)  # type: ignore[arg-type]
                    return me
                nodes["featureids"].append(int(n["split_feature"]))  # type: ignore[call-overload]
                nodes["values"].append(float(_floor32(float(n["threshold"]))))  # type: ignore[arg-type]
                nodes["modes"].append("BRANCH_LEQ")
                nodes["true"].append(0)
                nodes["false"].append(0)
                nodes["true"][at] = visit(n["left_child"])  # type: ignore[arg-type]
                nodes["false"][at] = visit(n["right_child"])  # type: ignore[arg-type]
                return me

            visit(root)
        return {
            "n_targets_i": 1,
            "nodes_treeids_i": nodes["treeids"],
            "nodes_nodeids_i": nodes["nodeids"],
            "nodes_featureids_i": nodes["featureids"],
            "nodes_values_f": nodes["values"],
            "nodes_modes_s": nodes["modes"],
            "nodes_truenodeids_i": nodes["true"],
            "nodes_falsenodeids_i": nodes["false"],
            "target_treeids_i": targets["treeids"],
            "target_nodeids_i": targets["nodeids"],
            "target_ids_i": [0] * len(targets["weights"]),
            "target_weights_f": targets["weights"],
            "aggregate_function_s": "SUM",
            "post_transform_s": "NONE",
        }

    @staticmethod
    def _parse(
        root: dict[str, object],
    ) -> tuple[list[tuple[int, np.float32]], list[tuple[float, list[tuple[int, bool]]]]]:
        """(internal nodes as (feature, float32 threshold), leaves as (value, [(node, went
        left)])), nodes numbered in visit order."""
        nodes: list[tuple[int, np.float32]] = []
        leaves: list[tuple[float, list[tuple[int, bool]]]] = []

        def walk(n: dict[str, object], ancestors: list[tuple[int, bool]]) -> None:
            if "leaf_value" in n:
                leaves.append((float(n["leaf_value"]), ancestors))  # type: ignore[arg-type]
                return
            if n.get("decision_type") != "<=" or n.get("missing_type") not in ("None", None):
                raise ForestError(
                    f"unsupported split {n.get('decision_type')!r} / missing"
                    f" {n.get('missing_type')!r} (numerical '<=' splits without missing"
                    " values only)"
                )
            me = len(nodes)
            nodes.append((int(n["split_feature"]), _floor32(float(n["threshold"]))))  # type: ignore[call-overload,arg-type]
            walk(n["left_child"], [*ancestors, (me, True)])  # type: ignore[arg-type]
            walk(n["right_child"], [*ancestors, (me, False)])  # type: ignore[arg-type]

        walk(root, [])
        return nodes, leaves

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensors = (self.feature, self.threshold, self.paths, self.lefts, self.values)
        return _TreeEnsembleOp.apply(x, self.onnx_attributes, *tensors)  # type: ignore[no-any-return]


def _gemm(
    x: torch.Tensor,
    feature: torch.Tensor,
    threshold: torch.Tensor,
    paths: torch.Tensor,
    lefts: torch.Tensor,
    values: torch.Tensor,
) -> torch.Tensor:
    """The ensemble's score per row by the GEMM strategy, from TreeEnsemble's buffers."""
    k, n = threshold.shape
    split = torch.index_select(x, 1, feature).reshape(x.shape[0], k, n)
    went_left = (split <= threshold).to(x.dtype).transpose(0, 1)  # [K, B, N]
    reached = (torch.matmul(went_left, paths) == lefts).to(x.dtype)  # [K, B, L]
    return (reached * values).sum(dim=2).sum(dim=0)


class _TreeEnsembleOp(torch.autograd.Function):
    """The ensemble in PyTorch (_gemm); exported as one ai.onnx.ml TreeEnsembleRegressor node
    whose output [B, 1] is flattened to [B]."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: object, x: torch.Tensor, attributes: dict[str, object], *tensors: torch.Tensor
    ) -> torch.Tensor:
        return _gemm(x, *tensors)

    @staticmethod
    def symbolic(g: object, x: object, attributes: dict[str, object], *tensors: object) -> object:
        out = g.op(f"{ML_DOMAIN}::TreeEnsembleRegressor", x, **attributes)  # type: ignore[attr-defined]
        flat = g.op("Constant", value_t=torch.tensor([-1], dtype=torch.int64))  # type: ignore[attr-defined]
        return g.op("Reshape", out, flat)  # type: ignore[attr-defined]


class UpliftForestScorer(nn.Module):
    """A scorer whose purchase outputs come from the uplift forest: the base scorer's P(click)
    and P(purchase | click), the forest's P(purchase | offer), P(purchase | no offer) and
    their difference. The same inputs and OUTPUT_NAMES as the base."""

    def __init__(
        self,
        base: nn.Module,
        forest: TreeEnsemble,
        columns: Sequence[int],
        vocabulary: np.ndarray,
    ) -> None:
        super().__init__()
        self.cfg = base.cfg  # type: ignore[union-attr]
        self.events = int(self.cfg.forest.events)
        self.input_length = max(int(self.cfg.sequence_length), self.events)
        """Width of the graph's sequence inputs: the forest's `events` when it reads more than
        the sequence model's `sequence_length` (which then reads their last ones)."""
        self.base = base
        self.forest = forest
        self.register_buffer("columns", torch.as_tensor(list(columns), dtype=torch.int64))
        self.register_buffer("vocabulary", torch.as_tensor(vocabulary, dtype=torch.int64))

    def purchase(
        self, user: torch.Tensor, candidate: torch.Tensor, seq_category: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(P(purchase | offer), P(purchase | no offer)) per row; the category counts read the
        last `events` of `seq_category`."""
        if self.input_length > self.events:  # inputs as wide as the sequence model reads
            seq_category = seq_category[:, -self.events :]
        counts = (seq_category.unsqueeze(2) == self.vocabulary).to(user.dtype).sum(dim=1)
        ones = torch.ones_like(user[:, :1])
        desc = torch.index_select(candidate, 1, self.columns)
        treated = torch.cat([user, counts, ones, desc], dim=1)
        control = torch.cat([user, counts, ones * 0, desc * 0], dim=1)
        p1 = torch.sigmoid(self.forest(torch.nan_to_num(treated, 0.0, 0.0, 0.0)))
        rows, which = torch.unique(
            torch.nan_to_num(control, 0.0, 0.0, 0.0), dim=0, return_inverse=True
        )
        p0 = torch.sigmoid(self.forest(rows))[which]
        return p1, p0

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The inputs as OfferModel.forward takes them (user, candidate, seq_item,
        seq_category, seq_type, seq_age)."""
        L = self.cfg.sequence_length
        seq = inputs[2:]
        if self.input_length > L:  # the forest reads more events: the model their last L
            seq = tuple(x[:, -L:] for x in seq)
        p_click, _, _, _, _, p_cvr = self.base(inputs[0], inputs[1], *seq)
        p1, p0 = self.purchase(inputs[0], inputs[1], inputs[3])
        return p_click, p1, p1, p0, p1 - p0, p_cvr


__all__ = [
    "ML_DOMAIN",
    "TREATMENT_FEATURES",
    "FittedForest",
    "ForestConfig",
    "ForestError",
    "TreeEnsemble",
    "UpliftForestScorer",
    "category_counts",
    "category_vocabulary",
    "design",
    "fit_forest",
    "fit_uplift_forest",
    "treatment_columns",
]
