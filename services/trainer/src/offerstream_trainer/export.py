"""ONNX export, the PyTorch/onnxruntime parity check, model.json, and file verification.

model.json is the ModelAnnouncement's JSON (snake_case field names, enum names as strings,
timestamps as RFC 3339), the file services/scoring/src/model-manifest.ts reads, plus
`sequence_id_buckets` and the trainer's own fields (data counts, baselines, configs, git
commit), which the scorer ignores.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import subprocess
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from .feature_spec import FeatureSpec
from .model import OUTPUT_NAMES, ModelConfig, Scorer
from .model_inputs import INT_INPUTS, MODEL_INPUT_NAMES
from .uplift_forest import ML_DOMAIN

OPSET = 17
ML_OPSET = 3
"""ai.onnx.ml opset of the uplift forest's TreeEnsembleRegressor (onnxruntime >= 1.10)."""
PARITY_TOLERANCE = 1e-4
PARITY_MIN_ROWS = 1000


class ExportError(Exception):
    """The exported graph does not compute what the PyTorch model computes."""


class ModelFileError(Exception):
    """A model.onnx / model.json pair that must not be served (corrupt, mismatched, ...)."""


HEADS: tuple[tuple[str, str], ...] = (
    ("TASK_HEAD_TYPE_CLICK", "p_click"),
    ("TASK_HEAD_TYPE_PURCHASE", "p_purchase"),
    ("TASK_HEAD_TYPE_PURCHASE_GIVEN_OFFER", "p_purchase_given_offer"),
    ("TASK_HEAD_TYPE_PURCHASE_NO_OFFER", "p_purchase_no_offer"),
    ("TASK_HEAD_TYPE_UPLIFT", "uplift"),
)

_OUTPUT_DESCRIPTIONS = {
    "p_click": "P(click | offer shown)",
    "p_purchase": "P(purchase | offer shown) (same as p_purchase_given_offer)",
    "p_purchase_given_offer": "P(purchase | offer shown): treatment head",
    "p_purchase_no_offer": "P(purchase | no offer): control head (user side only)",
    "uplift": "p_purchase_given_offer - p_purchase_no_offer",
    "p_purchase_given_click": "P(purchase | click), trained ESMM-style (not read by the scorer)",
}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_length(model: torch.nn.Module) -> int:
    """How many events wide a scorer's sequence inputs are: its `input_length` (an uplift
    forest that reads more events than its sequence model), else its config's
    sequence_length."""
    return int(getattr(model, "input_length", model.cfg.sequence_length))  # type: ignore[union-attr]


def input_widths(cfg: ModelConfig, spec: FeatureSpec, length: int | None = None) -> dict[str, int]:
    """The graph's input widths; sequences `length` events wide (cfg.sequence_length when
    None)."""
    L = length or cfg.sequence_length
    return {
        "user": len(spec.user),
        "candidate": len(spec.candidate),
        "seq_item": L,
        "seq_category": L,
        "seq_type": L,
        "seq_age": L,
    }


def manifest_input_widths(manifest: Mapping[str, object]) -> dict[str, int]:
    """Each input's width as a model.json declares it (shape [-1, width])."""
    return {str(t["name"]): int(t["shape"][1]) for t in manifest["inputs"]}  # type: ignore[index,union-attr,attr-defined]


def example_inputs(
    cfg: ModelConfig, spec: FeatureSpec, rows: int, seed: int, length: int | None = None
) -> dict[str, np.ndarray]:
    """Random but plausible inputs: sequences partly padded, users repeated over several
    candidates (as in a request), for export and parity."""
    rng = np.random.default_rng(seed)
    L = length or cfg.sequence_length
    users = max(1, rows // 4)
    fill = rng.integers(0, L + 1, users)
    real = np.arange(L)[None, :] >= (L - fill)[:, None]
    side = {
        "user": rng.normal(0, 1, (users, len(spec.user))).astype(np.float32),
        "seq_item": np.where(real, rng.integers(1, cfg.id_buckets, (users, L)), 0).astype(np.int64),
        "seq_category": np.where(real, rng.integers(1, cfg.id_buckets, (users, L)), 0).astype(
            np.int64
        ),
        "seq_type": np.where(real, rng.integers(1, 11, (users, L)), 0).astype(np.int64),
        "seq_age": np.where(real, rng.uniform(0, 7, (users, L)), 0).astype(np.float32),
    }
    which = rng.integers(0, users, rows)
    out = {k: v[which] for k, v in side.items()}
    out["candidate"] = rng.normal(0, 1, (rows, len(spec.candidate))).astype(np.float32)
    return out


def export_onnx(model: Scorer, path: Path, spec: FeatureSpec) -> None:
    """Writes the graph: named inputs/outputs, dynamic batch axis, opset OPSET."""
    model = model.cpu().eval()
    ex = example_inputs(model.cfg, spec, 2, 0, input_length(model))
    args = tuple(torch.as_tensor(ex[k]) for k in MODEL_INPUT_NAMES)
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is the one that keeps our hand-written graph op for op
        # (ops and names as listed); it warns that the dynamo exporter becomes the default.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            args,
            buf,
            input_names=list(MODEL_INPUT_NAMES),
            output_names=list(OUTPUT_NAMES),
            dynamic_axes={n: {0: "batch"} for n in (*MODEL_INPUT_NAMES, *OUTPUT_NAMES)},
            opset_version=OPSET,
            custom_opsets={ML_DOMAIN: ML_OPSET},
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load_from_string(buf.getvalue())
    proto.doc_string = "offerstream offer model (behaviour-sequence transformer, multi-task)"
    onnx.checker.check_model(proto)
    path.write_bytes(proto.SerializeToString())


def onnx_session(path: Path, threads: int = 1) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types for bad files
        raise ModelFileError(f"{path} does not load in onnxruntime: {e}") from e


def run_onnx(
    session: ort.InferenceSession, inputs: Mapping[str, np.ndarray], batch: int = 4096
) -> dict[str, np.ndarray]:
    names = [o.name for o in session.get_outputs()]
    wanted = [i.name for i in session.get_inputs()]
    n = next(iter(inputs.values())).shape[0]
    parts: dict[str, list[np.ndarray]] = {k: [] for k in names}
    for s in range(0, n, batch):
        out = session.run(names, {k: inputs[k][s : s + batch] for k in wanted})
        for k, v in zip(names, out, strict=True):
            parts[k].append(np.asarray(v).reshape(-1))
    return {k: np.concatenate(v) for k, v in parts.items()}


def parity_check(
    model: Scorer,
    onnx_path: Path,
    inputs: Mapping[str, np.ndarray],
    tolerance: float = PARITY_TOLERANCE,
) -> float:
    """Max |onnxruntime - PyTorch| over every output and row; raises ExportError when above
    `tolerance`, non-finite, or run on fewer than PARITY_MIN_ROWS rows."""
    from .train import predict

    n = next(iter(inputs.values())).shape[0]
    if n < PARITY_MIN_ROWS:
        raise ExportError(f"parity needs at least {PARITY_MIN_ROWS} rows, got {n}")
    ref = predict(model, dict(inputs))
    got = run_onnx(onnx_session(onnx_path), inputs)
    worst = 0.0
    for name in OUTPUT_NAMES:
        if name not in got:
            raise ExportError(f"the ONNX graph lacks output {name}")
        a, b = ref[name].astype(np.float64), got[name].astype(np.float64)
        if a.shape != b.shape:
            raise ExportError(f"output {name}: shape {b.shape} from ONNX, {a.shape} from PyTorch")
        if not np.all(np.isfinite(b)):
            raise ExportError(f"output {name}: non-finite values from ONNX")
        worst = max(worst, float(np.max(np.abs(a - b))) if len(a) else 0.0)
    if not worst <= tolerance:
        raise ExportError(
            f"ONNX/PyTorch parity broken: max abs diff {worst:.3g} > {tolerance:g} over {n} rows"
        )
    return worst


def parity_rows(
    real: Mapping[str, np.ndarray], cfg: ModelConfig, spec: FeatureSpec, seed: int
) -> dict[str, np.ndarray]:
    """Real rows topped up with random ones (as wide as the real ones) to at least
    PARITY_MIN_ROWS."""
    n = next(iter(real.values())).shape[0]
    if n >= PARITY_MIN_ROWS:
        return {k: np.ascontiguousarray(v) for k, v in real.items()}
    width = real["seq_type"].shape[1]
    extra = example_inputs(cfg, spec, PARITY_MIN_ROWS - n, seed, width)
    return {k: np.concatenate([real[k], extra[k]]) for k in MODEL_INPUT_NAMES}


# --- model.json -----------------------------------------------------------------------------


def iso(ms: int | float) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def git_commit(env: Mapping[str, str] | None = None) -> str:
    """The trainer's git commit (+ '-dirty' when its sources differ), or $OFFERSTREAM_TRAINER_
    GIT_COMMIT (images built without .git), else 'unknown'."""
    env = os.environ if env is None else env
    if env.get("OFFERSTREAM_TRAINER_GIT_COMMIT"):
        return env["OFFERSTREAM_TRAINER_GIT_COMMIT"]
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", str(here.parents[1])],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def tensor_specs(
    cfg: ModelConfig, spec: FeatureSpec, length: int | None = None
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    widths = input_widths(cfg, spec, length)
    desc = {
        "user": f"user and context features, spec {spec.version} order",
        "candidate": f"candidate (item, offer, cross) features, spec {spec.version} order",
        "seq_item": "item id buckets of the last events, oldest first, left-padded with 0",
        "seq_category": "category id buckets of the last events, left-padded with 0",
        "seq_type": "EventType numbers of the last events (0 = padding)",
        "seq_age": "log1p(age in hours) of the last events (0 = padding)",
    }
    inputs: list[dict[str, object]] = [
        {
            "name": n,
            "data_type": "TENSOR_DATA_TYPE_INT64"
            if n in INT_INPUTS
            else "TENSOR_DATA_TYPE_FLOAT32",
            "shape": [-1, widths[n]],
            "description": desc[n],
        }
        for n in MODEL_INPUT_NAMES
    ]
    outputs: list[dict[str, object]] = [
        {
            "name": n,
            "data_type": "TENSOR_DATA_TYPE_FLOAT32",
            "shape": [-1],
            "description": _OUTPUT_DESCRIPTIONS[n],
        }
        for n in OUTPUT_NAMES
    ]
    return inputs, outputs


def build_manifest(
    *,
    model_name: str,
    model_version: str,
    uri: str,
    onnx_sha256: str,
    spec: FeatureSpec,
    cfg: ModelConfig,
    metrics: Mapping[str, float],
    trained_at_ms: int,
    window_start_ms: int,
    window_end_ms: int,
    stage: str,
    reason: str,
    parent_version: str,
    extra: Mapping[str, object],
    sequence_width: int | None = None,
) -> dict[str, object]:
    inputs, outputs = tensor_specs(cfg, spec, sequence_width)
    return {
        "model_name": model_name,
        "model_version": model_version,
        "uri": uri,
        "sha256": onnx_sha256,
        "feature_spec_version": spec.version,
        "onnx_opset": OPSET,
        "inputs": inputs,
        "outputs": outputs,
        "heads": [{"type": t, "output_name": o} for t, o in HEADS],
        "metrics": {k: float(v) for k, v in metrics.items() if math.isfinite(float(v))},
        "trained_at": iso(trained_at_ms),
        "training_window_start": iso(window_start_ms),
        "training_window_end": iso(window_end_ms),
        "rollout": {
            "stage": stage,
            "traffic_share": 1.0 if stage == "ROLLOUT_STAGE_PRODUCTION" else 0.0,
            "updated_at": iso(trained_at_ms),
            "updated_by": "trainer",
            "reason": reason,
        },
        "parent_version": parent_version,
        "sequence_id_buckets": cfg.id_buckets,
        **extra,
    }


# --- verification ---------------------------------------------------------------------------

_DTYPES = {"TENSOR_DATA_TYPE_FLOAT32": "tensor(float)", "TENSOR_DATA_TYPE_INT64": "tensor(int64)"}


def verify_model_files(onnx_path: Path, manifest: Mapping[str, object], spec: FeatureSpec) -> None:
    """Refuses (ModelFileError, with the reason) a pair the scorer must not load: wrong
    checksum, another feature spec, input widths that disagree with the spec, a file
    onnxruntime cannot load, or a graph whose inputs/outputs differ from model.json."""
    want = manifest.get("sha256")
    if not isinstance(want, str) or len(want) != 64:
        raise ModelFileError("model.json lacks the sha256 of model.onnx")
    try:
        got = sha256_file(onnx_path)
    except OSError as e:
        raise ModelFileError(f"cannot read {onnx_path}: {e}") from e
    if got != want:
        raise ModelFileError(
            f"checksum mismatch: {onnx_path} has sha256 {got}, model.json says {want}"
        )
    version = manifest.get("feature_spec_version")
    if version != spec.version:
        raise ModelFileError(
            f"model was trained on feature spec {version!r}; the spec in use is {spec.version!r}"
        )
    inputs = manifest.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise ModelFileError("model.json declares no inputs")
    seq_len = 0
    for t in inputs:
        if not isinstance(t, dict):
            raise ModelFileError("model.json inputs must be objects")
        name, shape = t.get("name"), t.get("shape")
        if name not in MODEL_INPUT_NAMES:
            raise ModelFileError(f"model input {name!r} is not one the scorer can fill")
        if not isinstance(shape, list) or len(shape) != 2:
            raise ModelFileError(f"model input {name} must be [batch, width]")
        width = shape[1]
        if name == "user" and width != len(spec.user):
            raise ModelFileError(
                f"model input user is [batch, {width}]; feature spec {spec.version} has"
                f" {len(spec.user)} user features"
            )
        if name == "candidate" and width != len(spec.candidate):
            raise ModelFileError(
                f"model input candidate is [batch, {width}]; feature spec {spec.version} has"
                f" {len(spec.candidate)} candidate features"
            )
        if str(name).startswith("seq_"):
            if not (isinstance(width, int) and 0 < width <= spec.sequence.max_length):
                raise ModelFileError(
                    f"model input {name} needs a length 1..{spec.sequence.max_length}"
                )
            if seq_len and width != seq_len:
                raise ModelFileError("model sequence inputs disagree on their length")
            seq_len = width
    session = onnx_session(onnx_path)
    graph_in = {i.name: i for i in session.get_inputs()}
    for t in inputs:
        gi = graph_in.get(str(t["name"]))
        if gi is None:
            raise ModelFileError(f"model.onnx lacks input {t['name']} that model.json declares")
        if gi.type != _DTYPES.get(str(t.get("data_type"))):
            raise ModelFileError(
                f"model.onnx input {gi.name} is {gi.type}, model.json says {t.get('data_type')}"
            )
        shape = list(gi.shape)
        if len(shape) != 2 or isinstance(shape[0], int) or shape[1] != t["shape"][1]:  # type: ignore[index]
            raise ModelFileError(
                f"model.onnx input {gi.name} has shape {shape}, model.json says"
                f" [batch, {t['shape'][1]}]"  # type: ignore[index]
            )
    missing = [n for n in graph_in if n not in {str(t["name"]) for t in inputs}]
    if missing:
        raise ModelFileError(f"model.onnx needs inputs model.json does not declare: {missing}")
    graph_out = {o.name for o in session.get_outputs()}
    heads = manifest.get("heads")
    if not isinstance(heads, list):
        raise ModelFileError("model.json declares no heads")
    for h in heads:
        out = h.get("output_name") if isinstance(h, dict) else None
        if out not in graph_out:
            raise ModelFileError(f"head {h!r} names output {out!r}, which model.onnx lacks")
