"""The `features` command: request validation, its answer, and errors (stderr, exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from offerstream_trainer import cli
from offerstream_trainer.clickhouse_http import ClickHouseHttp
from offerstream_trainer.feature_request import RequestError, parse_request
from offerstream_trainer.feature_spec import (
    CURRENT_SPEC_VERSION,
    default_spec_dir,
    load_feature_spec,
)
from offerstream_trainer.features import f32

SPEC = load_feature_spec("fs-1")
REQUEST = {
    "spec_version": "fs-1",
    "shop_id": "s",
    "user_id": "u",
    "as_of_ms": 1764000000000,
    "context": {
        "device": "mobile",
        "channel": "web",
        "pageType": "product",
        "cartValueMinor": 0,
        "cartItemIds": [],
    },
    "candidates": [{"offerId": "o1", "campaignId": "c1", "itemId": "i1", "categoryId": ""}],
    # As catalogOffers() serialises it: no `stock` key when the offer is not a flash sale.
    "catalog": [
        {
            "offerId": "o1",
            "campaignId": "c1",
            "kind": "percent",
            "percentOff": 15,
            "amountOffMinor": 0,
            "thresholdMinor": 0,
            "saveMinor": 0,
            "salePriceMinor": 0,
            "totalBudgetMinor": 0,
        }
    ],
}


def write(tmp_path: Path, doc: object) -> str:
    p = tmp_path / "request.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return str(p)


def test_a_request_is_parsed_into_the_inputs_of_the_ts_reference() -> None:
    req = parse_request(REQUEST)
    assert (req.shop_id, req.user_id, req.as_of_ms, req.spec_version) == (
        "s",
        "u",
        1764000000000,
        "fs-1",
    )
    assert req.context.device == "mobile" and req.context.page_type == "product"
    assert req.candidates[0].offer_id == "o1" and req.candidates[0].item_id == "i1"
    assert req.catalog["o1"].kind == "percent" and req.catalog["o1"].stock is None
    flash = {**REQUEST["catalog"][0], "kind": "flash", "stock": 0}  # type: ignore[dict-item]
    assert parse_request({**REQUEST, "catalog": [flash]}).catalog["o1"].stock == 0
    minimal = parse_request({"shop_id": "s", "user_id": "u", "as_of_ms": 0})
    assert minimal.spec_version == CURRENT_SPEC_VERSION == "fs-2"
    assert minimal.candidates == () and not minimal.catalog
    # fs-2's terms: absent (a fs-1 catalog) they are 0, present they are read.
    assert (req.catalog["o1"].max_discount_minor, req.catalog["o1"].shipping_cost_minor) == (0, 0)
    terms = {"maxDiscountMinor": 2000, "shippingCostMinor": 450}
    capped = {**REQUEST["catalog"][0], **terms}  # type: ignore[dict-item]
    o = parse_request({**REQUEST, "catalog": [capped]}).catalog["o1"]
    assert (o.max_discount_minor, o.shipping_cost_minor) == (2000, 450)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"as_of_ms": -1}, "as_of_ms"),
        ({"as_of_ms": 1.5}, "as_of_ms"),
        ({"as_of_ms": True}, "as_of_ms"),
        ({"as_of_ms": "1764000000000"}, "as_of_ms"),
        ({"user_id": ""}, "user_id"),
        ({"shop_id": 5}, "shop_id"),
        ({"surprise": 1}, "unknown keys"),
        ({"context": {"device": "mobile", "cart_value": 1}}, "unknown keys"),
        ({"context": {"cartItemIds": [1]}}, "cartItemIds"),
        ({"context": {"cartValueMinor": float("nan")}}, "cartValueMinor"),
        ({"candidates": [{"campaignId": "c"}]}, "offerId"),
        ({"catalog": [{"offerId": "o1", "kind": "bogus"}]}, "kind"),
        ({"catalog": [{"offerId": "o1", "kind": "flash", "stock": "3"}]}, "stock"),
        (
            {"catalog": [{"offerId": "o1", "kind": "percent", "maxDiscountMinor": None}]},
            "maxDiscountMinor",
        ),
        ({"catalog": [{"offerId": "o1", "kind": "flash"}] * 2}, "listed twice"),
        ({"spec_version": 1}, "spec_version"),
    ],
)
def test_an_invalid_request_is_refused_with_the_path_of_the_problem(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(RequestError, match=message):
        parse_request({**REQUEST, **change})


def test_the_command_prints_one_json_object_in_spec_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[str, str, str]] = []

    def no_rows(self: ClickHouseHttp, sql: str) -> list[dict[str, object]]:
        seen.append((self.url, self.database, sql))
        return []

    monkeypatch.setattr(ClickHouseHttp, "query_json_rows", no_rows)
    rc = cli.main(
        [
            "features",
            "--clickhouse-url",
            "http://ch.example:8123",
            "--database",
            "db1",
            "--request",
            write(tmp_path, REQUEST),
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    out = json.loads(captured.out)
    assert set(out) == {"spec_version", "user", "user_cold_start", "candidates", "sequence"}
    assert out["spec_version"] == "fs-1"
    assert len(out["user"]) == len(SPEC.user) and out["user_cold_start"] is True
    assert out["user"][SPEC.user_index["c_device_mobile"]] == 1
    assert out["user"][SPEC.user_index["u_churn_risk"]] == f32(1.0)
    [cand] = out["candidates"]
    assert cand["offer_id"] == "o1" and cand["cold_start"] is True
    assert len(cand["values"]) == len(SPEC.candidate)
    assert cand["values"][SPEC.candidate_index["o_discount_depth"]] == f32(0.15)
    assert out["sequence"] == []
    assert seen and all(url == "http://ch.example:8123" and db == "db1" for url, db, _ in seen)


def test_errors_go_to_stderr_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = ["--clickhouse-url", "http://127.0.0.1:9", "--database", "db"]

    assert cli.main(["features", *unreachable, "--request", str(tmp_path / "missing.json")]) == 2
    assert "cannot read request" in capsys.readouterr().err

    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    assert cli.main(["features", *unreachable, "--request", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err

    req = write(tmp_path, {**REQUEST, "spec_version": "fs-999"})
    assert cli.main(["features", *unreachable, "--request", req]) == 2
    assert "fs-999 is not known" in capsys.readouterr().err

    req = write(tmp_path, REQUEST)
    assert cli.main(["features", *unreachable, "--request", req]) == 2
    err = capsys.readouterr()
    assert "cannot reach ClickHouse" in err.err and err.out == ""


def test_a_spec_naming_a_feature_this_code_lacks_fails_before_any_query(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads((default_spec_dir() / "fs-1.json").read_text(encoding="utf-8"))
    doc["candidate"].append({"name": "x_new", "definition": "new", "default": 0})
    (tmp_path / "fs-1.json").write_text(json.dumps(doc), encoding="utf-8")
    req = write(tmp_path, REQUEST)
    rc = cli.main(
        [
            "features",
            "--clickhouse-url",
            "http://127.0.0.1:9",
            "--request",
            req,
            "--spec-dir",
            str(tmp_path),
        ]
    )
    assert rc == 2
    assert "no computation for feature x_new" in capsys.readouterr().err
