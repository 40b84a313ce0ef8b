"""What DynamoDB refuses never reaches it: every input bounded first through the real handlers, on moto.

With each function's permissions and DynamoDB's own limits enforced (tests/conftest.py `aws`), a request that
slipped through would come back from the emulation as a ValidationException; here it must be a 4xx problem with
a stable code first, and a ValidationException that does happen must never read as 503 `unavailable`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from devserver.dynamodb_limits import ITEM_MAX_BYTES, item_size
from functions.common.ids import new_ulid
from functions.common.repository import AssetRepository
from functions.common.repository.tooling import dynamodb_client
from tests.api_events import FakeContext, decoded, http_event, multipart
from tests.builders import new_asset
from tests.conftest import TABLE
from tests.imagegen import png_bytes

JSON = {"content-type": "application/json"}


@pytest.fixture
def handlers(api_environment: None) -> dict[str, Any]:
    from functions.gallery import handler as gallery
    from functions.sign import handler as sign
    from functions.upload import handler as upload

    return {"gallery": gallery.handler, "sign": sign.handler, "upload": upload.handler}


def call(handler: Any, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    if body is not None:
        kwargs |= {"body": json.dumps(body), "headers": JSON}
    result = handler(http_event(method, path, **kwargs), FakeContext())
    status, answer = decoded(result)
    assert status < 500 or answer["code"] == "internal_error", answer
    return status, answer


def sign(handlers: dict[str, Any], **fields: Any) -> tuple[int, dict[str, Any]]:
    return call(handlers["sign"], "POST", "/uploads/sign", {"contentType": "image/png", "size": 100, **fields})


def upload(handlers: dict[str, Any], filename: str = "a.png", **fields: str) -> tuple[int, dict[str, Any]]:
    body, header = multipart(fields, {"file": (filename, png_bytes(8, 8), "image/png")})
    event = http_event("POST", "/uploads", body=body, headers={"content-type": header}, binary=True)
    return decoded(handlers["upload"](event, FakeContext()))


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def stored_ids(repository: AssetRepository) -> list[str]:
    from functions.common.models import View

    return [asset.id for asset in repository.page("alice", View.ALL, None, 100, None).items]


# Item size: params


def test_450_kb_of_params_is_a_422_not_a_503(handlers: dict[str, Any], repository: AssetRepository) -> None:
    # Given / When
    status, problem = sign(handlers, params={"blob": "x" * 450_000})
    # Then
    assert (status, problem["code"]) == (422, "validation_error")
    assert "params" in problem["detail"]
    assert stored_ids(repository) == []


def test_params_at_16_kb_pass_and_one_byte_more_is_a_422(handlers: dict[str, Any]) -> None:
    # Given params exactly 16 KB as compact JSON ({"k":"..."} is 8 bytes around the string)
    fits = {"k": "x" * (16 * 1024 - 8)}
    # When / Then
    assert sign(handlers, params=fits)[0] == 201
    assert sign(handlers, params={"k": fits["k"] + "x"})[0] == 422


def test_600_deep_params_are_a_422_not_a_500(handlers: dict[str, Any]) -> None:
    # Given / When
    status, problem = sign(handlers, params=nested(600))
    # Then
    assert (status, problem["code"]) == (422, "validation_error")


def test_params_nest_at_most_10_levels(handlers: dict[str, Any]) -> None:
    # Given / When / Then
    assert sign(handlers, params=nested(10))[0] == 201
    assert sign(handlers, params=nested(11))[0] == 422


def test_params_nested_beyond_what_a_parser_can_read_are_a_4xx(handlers: dict[str, Any]) -> None:
    # Given a body nested deeper than Python's recursion limit
    deep = '{"contentType": "image/png", "size": 1, "params": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    # When
    event = http_event("POST", "/uploads/sign", body=deep, headers=JSON)
    status, problem = decoded(handlers["sign"](event, FakeContext()))
    # Then
    assert status in (400, 422) and problem["code"] in ("malformed_json", "validation_error")


def test_direct_upload_bounds_params_and_filename_the_same_way(handlers: dict[str, Any]) -> None:
    # Given / When / Then
    assert upload(handlers, params=json.dumps({"blob": "x" * 450_000}))[1]["code"] == "validation_error"
    assert upload(handlers, params=json.dumps(nested(600)))[1]["code"] == "validation_error"
    assert upload(handlers, params="[" * 5000 + "]" * 5000)[1]["code"] == "validation_error"
    assert upload(handlers, params='{"x": NaN}')[1]["code"] == "validation_error"
    assert upload(handlers, filename="f" * 256)[0] == 422
    assert upload(handlers, filename="a.png", prompt="p" * 10_001)[0] == 422
    assert upload(handlers, filename="a.png", model="m" * 201)[0] == 422
    assert upload(handlers, filename="a.png", sourceAssetIds="not-an-id")[0] == 422
    assert upload(handlers, filename="f" * 255)[0] == 201


# Other fields


@pytest.mark.parametrize(
    "fields",
    [
        {"filename": "f" * 256},
        {"prompt": "p" * 10_001},
        {"model": "m" * 201},
        {"sourceAssetIds": [""]},
        {"sourceAssetIds": ["x" * 2000]},
        {"sourceAssetIds": [new_ulid(datetime.now(UTC)).lower()]},
        {"sourceAssetIds": [new_ulid(datetime.now(UTC))] * 101},
        {"params": {"x": float("inf")}},
    ],
)
def test_each_field_over_its_bound_is_a_422(handlers: dict[str, Any], fields: dict[str, Any]) -> None:
    # Given / When
    body = json.dumps({"contentType": "image/png", "size": 100, **fields}, allow_nan=True)
    event = http_event("POST", "/uploads/sign", body=body, headers=JSON)
    status, problem = decoded(handlers["sign"](event, FakeContext()))
    # Then
    assert (status, problem["code"]) in ((422, "validation_error"), (400, "malformed_json"))


def test_the_largest_item_the_bounds_allow_fits_dynamodb(handlers: dict[str, Any], repository: AssetRepository) -> None:
    # Given every field at its bound, in the widest characters (4 bytes in UTF-8, 12 once JSON-escaped)
    wide = "\U0001f600"
    sent: list[dict[str, Any]] = []
    client = dynamodb_client(repository)
    client.meta.events.register("provide-client-params.dynamodb.PutItem", lambda params, **_: sent.append(params))
    # A creation is counted towards the owner's quota: its Put is one item of a transaction.
    client.meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems",
        lambda params, **_: sent.extend(item["Put"] for item in params["TransactItems"] if "Put" in item),
    )
    fields = {
        "filename": wide * 255,
        "prompt": wide * 10_000,
        "model": wide * 200,
        "params": {"k": wide * ((16 * 1024 - 8) // 4)},
        "sourceAssetIds": [new_ulid(datetime.now(UTC)) for _ in range(100)],
    }
    # When it is created
    status, _ = sign(handlers, **fields)
    # Then the item written leaves room for what later writes add (source URL, error, placeholder: < 40 KB)
    assert status == 201
    (written,) = [params["Item"] for params in sent if params.get("TableName") == TABLE]
    assert item_size(written) < ITEM_MAX_BYTES - 40 * 1024


# Keys: ids and the caller


@pytest.mark.parametrize("bad_id", ["x" * 2000, "01jd0000000000000000000000", "%20", "0" * 25])
@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("DELETE", ""), ("GET", "/download"), ("POST", "/reprocess")]
)
def test_a_malformed_path_id_is_a_404_and_never_a_key(
    handlers: dict[str, Any], bad_id: str, method: str, suffix: str
) -> None:
    # Given / When
    status, problem = call(handlers["gallery"], method, f"/assets/{bad_id}{suffix}")
    # Then
    assert (status, problem["code"]) == (404, "not_found")


def test_a_malformed_id_in_patch_is_a_404(handlers: dict[str, Any]) -> None:
    # Given / When
    status, problem = call(handlers["gallery"], "PATCH", f"/assets/{'x' * 2000}", {"starred": True})
    # Then
    assert (status, problem["code"]) == (404, "not_found")


def test_malformed_ids_in_bulk_and_sign_read_are_not_found_and_missing(
    handlers: dict[str, Any], repository: AssetRepository, now: datetime
) -> None:
    # Given one real asset
    asset = new_asset(owner="alice", created_at=now)
    repository.create(asset)
    ids = [asset.id, "", "x" * 2000, "not-an-id"]
    # When
    bulk_status, bulk = call(handlers["gallery"], "POST", "/assets/bulk", {"action": "star", "ids": ids})
    read_status, read = call(handlers["sign"], "POST", "/assets/sign-read", {"ids": ids, "variant": "original"})
    # Then the real one is acted on and every malformed one is simply unknown
    assert bulk_status == 200
    assert [result["result"] for result in bulk["results"]] == ["ok", "not_found", "not_found", "not_found"]
    assert read_status == 200
    assert list(read["urls"]) == [asset.id]
    assert read["missing"] == ids[1:]


def test_only_malformed_ids_in_bulk_are_all_not_found(handlers: dict[str, Any]) -> None:
    # Given / When
    status, answer = call(handlers["gallery"], "POST", "/assets/bulk", {"action": "trash", "ids": ["", "x"]})
    # Then
    assert status == 200
    assert [result["result"] for result in answer["results"]] == ["not_found", "not_found"]


def test_a_subject_longer_than_a_key_can_carry_is_a_401(handlers: dict[str, Any]) -> None:
    # Given a verified token whose sub is over 255 bytes (here 256: 128 two-byte characters)
    long_sub = "é" * 128
    # When
    status, problem = call(handlers["gallery"], "GET", "/gallery", sub=long_sub)
    signed, _ = sign_as(handlers, long_sub)
    # Then
    assert (status, problem["code"]) == (401, "unauthorized")
    assert signed == 401


def test_a_subject_of_255_bytes_works(handlers: dict[str, Any]) -> None:
    # Given / When
    status, answer = sign_as(handlers, "s" * 255)
    # Then
    assert status == 201
    listed, page = call(handlers["gallery"], "GET", "/gallery", sub="s" * 255)
    assert listed == 200 and [item["id"] for item in page["items"]] == [answer["asset"]["id"]]


def sign_as(handlers: dict[str, Any], sub: str) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"contentType": "image/png", "size": 100})
    return decoded(
        handlers["sign"](http_event("POST", "/uploads/sign", sub=sub, body=body, headers=JSON), FakeContext())
    )


# A ValidationException that does happen


def test_a_write_dynamodb_refuses_is_a_500_internal_error_never_a_503(
    handlers: dict[str, Any], repository: AssetRepository, now: datetime
) -> None:
    # Given an asset stored (before today's bounds) with params close to DynamoDB's 400 KB
    asset = new_asset(owner="alice", created_at=now, params={"blob": "x" * 395_000})
    repository.create(asset)
    # When an edit within every bound makes its item too large for DynamoDB
    result = handlers["gallery"](
        http_event("PATCH", f"/assets/{asset.id}", body=json.dumps({"prompt": "p" * 10_000}), headers=JSON),
        FakeContext(),
    )
    status, problem = decoded(result)
    # Then it is our failure, not "busy, retry": 500 internal_error without Retry-After
    assert (status, problem["code"]) == (500, "internal_error")
    assert "Retry-After" not in (result.get("headers") or {})
    assert "x" * 100 not in problem["detail"]
