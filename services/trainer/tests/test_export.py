"""ONNX export: parity with PyTorch, and the checks that refuse a broken model pair."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from offerstream_trainer.cli import main
from offerstream_trainer.export import (
    ExportError,
    ModelFileError,
    build_manifest,
    example_inputs,
    export_onnx,
    onnx_session,
    parity_check,
    run_onnx,
    sha256_file,
    verify_model_files,
)
from offerstream_trainer.feature_spec import load_feature_spec
from offerstream_trainer.model import OUTPUT_NAMES, ModelConfig, OfferEnsemble, OfferModel
from offerstream_trainer.model_inputs import SequenceEvent, buckets_of, encode_sequence
from offerstream_trainer.registry import DirectoryStore, encode_announcement, relative_uri
from offerstream_trainer.train import predict
from support import run_scorer, scorer_available

SPEC = load_feature_spec("fs-1")
CFG = ModelConfig(width=16, heads=2, sequence_length=8, id_buckets=101, ffn=32, hidden=32)


def make_model(seed: int) -> OfferModel:
    torch.manual_seed(seed)
    m = OfferModel(CFG, len(SPEC.user), len(SPEC.candidate))
    x = example_inputs(CFG, SPEC, 64, seed)
    m.set_normalization(x["user"] * 2 + 1, x["candidate"] * 3)
    return m.eval()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[OfferModel, Path]:
    model = make_model(1)
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    export_onnx(model, path, SPEC)
    return model, path


def manifest_for(path: Path, version: str = "v1", **over: object) -> dict[str, object]:
    m = build_manifest(
        model_name="offer-uplift",
        model_version=version,
        uri=relative_uri("offer-uplift", version),
        onnx_sha256=sha256_file(path),
        spec=SPEC,
        cfg=CFG,
        metrics={"auc_click": 0.7},
        trained_at_ms=1_764_000_000_000,
        window_start_ms=1_763_000_000_000,
        window_end_ms=1_764_000_000_000,
        stage="ROLLOUT_STAGE_PRODUCTION",
        reason="test",
        parent_version="",
        extra={},
    )
    m.update(over)
    return m


def test_onnx_matches_pytorch_on_1000_rows_with_a_dynamic_batch(
    exported: tuple[OfferModel, Path],
) -> None:
    model, path = exported
    x = example_inputs(CFG, SPEC, 1000, 5)
    assert parity_check(model, path, x) <= 1e-4
    session = onnx_session(path)
    for n in (1, 257):
        out = run_onnx(session, {k: v[:n] for k, v in x.items()})
        assert set(out) == set(OUTPUT_NAMES)
        assert all(v.shape == (n,) for v in out.values())
    ref = predict(model, x)
    assert np.allclose(ref["uplift"], ref["p_purchase_given_offer"] - ref["p_purchase_no_offer"])
    assert np.all((ref["p_click"] >= 0) & (ref["p_click"] <= 1))


def test_an_ensemble_exports_as_one_graph_whose_outputs_are_the_members_mean(
    tmp_path: Path,
) -> None:
    members = [make_model(s) for s in (2, 3, 4)]
    ensemble = OfferEnsemble(members).eval()
    path = tmp_path / "ensemble.onnx"
    export_onnx(ensemble, path, SPEC)
    x = example_inputs(CFG, SPEC, 1000, 9)
    assert parity_check(ensemble, path, x) <= 1e-4
    each = [predict(m, x) for m in members]
    got = predict(ensemble, x)
    for k in OUTPUT_NAMES:
        assert np.allclose(got[k], np.mean([e[k] for e in each], axis=0), atol=1e-6)
    assert np.allclose(
        got["uplift"], got["p_purchase_given_offer"] - got["p_purchase_no_offer"], atol=1e-6
    )
    # The members differ (else averaging would change nothing).
    assert not np.allclose(each[0]["uplift"], each[1]["uplift"])


def test_the_no_offer_head_does_not_depend_on_the_candidate(
    exported: tuple[OfferModel, Path],
) -> None:
    model, _ = exported
    x = example_inputs(CFG, SPEC, 50, 6)
    y = dict(x, candidate=np.zeros_like(x["candidate"]))
    a, b = predict(model, x), predict(model, y)
    assert np.array_equal(a["p_purchase_no_offer"], b["p_purchase_no_offer"])
    assert not np.allclose(a["p_click"], b["p_click"])


def test_a_graph_that_computes_something_else_fails_the_export(
    exported: tuple[OfferModel, Path],
) -> None:
    _, path = exported
    other = make_model(2)
    with pytest.raises(ExportError, match="parity broken"):
        parity_check(other, path, example_inputs(CFG, SPEC, 1000, 7))
    with pytest.raises(ExportError, match="at least 1000 rows"):
        parity_check(other, path, example_inputs(CFG, SPEC, 10, 7))


def test_a_corrupted_onnx_file_is_refused_with_a_clear_error(
    exported: tuple[OfferModel, Path], tmp_path: Path
) -> None:
    _, good = exported
    bad = tmp_path / "model.onnx"
    data = bytearray(good.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 64] = b"\xff" * 64
    bad.write_bytes(bytes(data))
    manifest = manifest_for(good)
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        verify_model_files(bad, manifest, SPEC)
    bad.write_bytes(good.read_bytes()[:4096])
    with pytest.raises(ModelFileError, match="does not load in onnxruntime"):
        verify_model_files(bad, manifest_for(bad), SPEC)
    # The CLI says the same, with exit code 2.
    (tmp_path / "model.json").write_text(json.dumps(manifest_for(bad)))
    assert main(["verify", str(tmp_path)]) == 2


def test_a_mismatched_feature_spec_is_refused_with_a_clear_error(
    exported: tuple[OfferModel, Path],
) -> None:
    _, path = exported
    verify_model_files(path, manifest_for(path), SPEC)  # the good pair passes
    with pytest.raises(ModelFileError, match="trained on feature spec 'fs-2'"):
        verify_model_files(path, manifest_for(path, feature_spec_version="fs-2"), SPEC)
    shorter = dataclasses.replace(SPEC, user=SPEC.user[:-1])
    with pytest.raises(ModelFileError, match="user is \\[batch, 75\\]; feature spec fs-1 has 74"):
        verify_model_files(path, manifest_for(path), shorter)
    inputs = [dict(t) for t in manifest_for(path)["inputs"]]  # type: ignore[union-attr]
    inputs[1]["shape"] = [-1, 34]
    with pytest.raises(ModelFileError, match="candidate is \\[batch, 34\\]"):
        verify_model_files(path, manifest_for(path, inputs=inputs), SPEC)


@pytest.mark.skipif(not scorer_available(), reason="services/scoring not built, or no node")
def test_the_scoring_service_loads_the_model_and_scores_as_pytorch_does(
    exported: tuple[OfferModel, Path], tmp_path: Path
) -> None:
    model, path = exported
    store = DirectoryStore(tmp_path)
    manifest = manifest_for(path, version="2026-01-01T00-00-00Z-abc")
    json_path = tmp_path / "model.json.src"
    json_path.write_text(json.dumps(manifest))
    store.put(
        "offer-uplift",
        str(manifest["model_version"]),
        {"model.onnx": path, "model.json": json_path},
    )
    rng = np.random.default_rng(3)
    user = rng.normal(0, 1, len(SPEC.user)).astype(np.float32)
    cands = rng.normal(0, 1, (5, len(SPEC.candidate))).astype(np.float32)
    seq = [SequenceEvent(f"sku-{k}", f"cat-{k % 3}", 1 + k % 10, 900 * k + 5) for k in range(11)]
    out = run_scorer(
        {
            "store": str(tmp_path),
            "announcement_b64": base64.b64encode(encode_announcement(manifest)).decode(),
            "spec_version": "fs-1",
            "request": {
                "user": user.tolist(),
                "candidates": cands.tolist(),
                "sequence": [
                    {
                        "itemId": s.item_id,
                        "categoryId": s.category_id,
                        "type": s.type,
                        "ageSeconds": s.age_seconds,
                    }
                    for s in seq
                ],
            },
        }
    )
    assert out["refused"] is None, out
    assert out["loaded"] == manifest["model_version"]
    enc = encode_sequence(seq, CFG.sequence_length)
    x = {
        "user": np.repeat(user[None, :], 5, 0),
        "candidate": cands,
        "seq_item": np.repeat(buckets_of(enc.item_hash, CFG.id_buckets)[None, :], 5, 0),
        "seq_category": np.repeat(buckets_of(enc.category_hash, CFG.id_buckets)[None, :], 5, 0),
        "seq_type": np.repeat(enc.type[None, :], 5, 0),
        "seq_age": np.repeat(enc.age[None, :], 5, 0),
    }
    ref = predict(model, x)
    heads = out["heads"]
    assert np.allclose(heads["click"], ref["p_click"], atol=1e-5)
    assert np.allclose(heads["purchase"], ref["p_purchase"], atol=1e-5)
    assert np.allclose(heads["purchaseNoOffer"], ref["p_purchase_no_offer"], atol=1e-5)
    assert np.allclose(heads["uplift"], ref["uplift"], atol=1e-5)


@pytest.mark.skipif(not scorer_available(), reason="services/scoring not built, or no node")
def test_the_scoring_service_refuses_a_corrupted_model_too(
    exported: tuple[OfferModel, Path], tmp_path: Path
) -> None:
    _, path = exported
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(path.read_bytes()[:4096])
    manifest = manifest_for(corrupt, version="v-corrupt")
    src = tmp_path / "m.json"
    src.write_text(json.dumps(manifest))
    DirectoryStore(tmp_path / "store").put(
        "offer-uplift", "v-corrupt", {"model.onnx": corrupt, "model.json": src}
    )
    out = run_scorer(
        {
            "store": str(tmp_path / "store"),
            "announcement_b64": base64.b64encode(encode_announcement(manifest)).decode(),
            "spec_version": "fs-1",
        }
    )
    assert out["loaded"] is None and "does not load" in str(out["refused"])
