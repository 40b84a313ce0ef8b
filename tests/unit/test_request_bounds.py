"""Request bounds before any key or item is built, and how storage refusals become HTTP (no I/O)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from functions.common.errors import problem_codes
from functions.common.failures import PermanentError, TransientError
from functions.common.metadata import MAX_PARAMS_BYTES, AssetMetadata, check_params, json_depth
from tests.api_events import FakeContext, decoded, http_event

README = Path(__file__).resolve().parents[2] / "README.md"


def client_error(code: str, message: str = "refused") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "PutItem")


# params


@pytest.mark.parametrize(
    ("value", "depth"),
    [({}, 1), ({"a": 1}, 1), ({"a": []}, 2), ({"a": [{"b": [1]}]}, 4), ({"a": {"b": {}}, "c": 1}, 3)],
)
def test_json_depth_counts_nested_objects_and_arrays(value: Any, depth: int) -> None:
    # Given / When / Then
    assert json_depth(value) == depth


def test_json_depth_of_a_very_deep_value_does_not_recurse() -> None:
    # Given a value nested far beyond Python's recursion limit
    value: Any = 1
    for _ in range(50_000):
        value = [value]
    # When / Then
    assert json_depth({"a": value}) == 50_001


def test_params_size_is_counted_in_utf8_bytes_of_compact_json() -> None:
    # Given params of exactly the limit in two-byte characters ({"k":"..."} is 8 bytes around the string)
    fits = {"k": "é" * ((MAX_PARAMS_BYTES - 8) // 2)}
    # When / Then
    assert check_params(fits) == fits
    with pytest.raises(ValueError, match="bytes"):
        check_params({"k": fits["k"] + "é"})


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_params_hold_only_finite_numbers(number: float) -> None:
    # Given / When / Then
    with pytest.raises(ValueError, match="finite"):
        check_params({"x": number})


def test_metadata_refuses_malformed_source_ids() -> None:
    # Given / When / Then
    AssetMetadata.model_validate({"sourceAssetIds": ["01JD0000000000000000000000"]})
    for bad in ("", "x" * 2000, "01jd0000000000000000000000", "81JD0000000000000000000000"):
        with pytest.raises(ValidationError):
            AssetMetadata.model_validate({"sourceAssetIds": [bad]})


def test_ingest_requests_share_the_bounds() -> None:
    # Given
    from functions.ingest.logic import IngestRequest

    # When / Then
    with pytest.raises(ValidationError):
        IngestRequest.model_validate({"url": "https://example.com/a.png", "params": {"x": "y" * MAX_PARAMS_BYTES}})
    with pytest.raises(ValidationError):
        IngestRequest.model_validate({"url": "https://example.com/a.png", "filename": "f" * 256})


# The idempotency store (Powertools)


class RefusingStore:
    """A Powertools persistence layer whose every write DynamoDB refuses with `code`."""

    def __new__(cls, code: str) -> Any:
        from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer

        class Store(BasePersistenceLayer):
            def _get_record(self, idempotency_key: str) -> Any:
                raise client_error(code)

            def _put_record(self, data_record: Any) -> None:
                raise client_error(code)

            def _update_record(self, data_record: Any) -> None:
                raise client_error(code)

            def _delete_record(self, data_record: Any) -> None:
                raise client_error(code)

        return Store()


@pytest.mark.parametrize(
    ("code", "expected"), [("ValidationException", PermanentError), ("ThrottlingException", TransientError)]
)
def test_idempotency_store_refusals_are_permanent_and_throttling_transient(
    code: str, expected: type[Exception]
) -> None:
    # Given
    from functions.ingest.idempotency import PowertoolsIdempotency

    idempotency = PowertoolsIdempotency(lambda: RefusingStore(code))
    idempotency.register_lambda_context(FakeContext())
    # When / Then
    with pytest.raises(expected):
        idempotency.once(key="alice#k", body={}, action=lambda: {"assetId": "x"})


# One place maps them to HTTP


def app_raising(error: Exception) -> Any:
    from functions.common.api import create_app
    from functions.common.errors import problems

    app = create_app(validation=False)

    @app.get("/boom", openapi_extensions=problems())
    def boom() -> dict[str, str]:
        raise error

    return app


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (PermanentError("DynamoDB refused the request (ValidationException): Item size"), 500, "internal_error"),
        (TransientError("throttled"), 503, "unavailable"),
    ],
)
def test_a_refusal_is_a_500_and_only_a_transient_failure_a_503(error: Exception, status: int, code: str) -> None:
    # Given / When
    result = app_raising(error).resolve(http_event("GET", "/boom"), FakeContext())
    answer_status, answer = decoded(result)
    # Then
    assert (answer_status, answer["code"]) == (status, code)
    assert ("Retry-After" in result["headers"]) == (status == 503)
    assert "ValidationException" not in json.dumps(answer)


# The contract documents every code


def test_every_problem_code_is_in_the_readme() -> None:
    # Given every code the API's errors can carry (the feature packages' included)
    import functions.gallery.handler
    import functions.ingest.handler
    import functions.sign.handler
    import functions.upload.handler  # noqa: F401

    documented = set(re.findall(r"`([a-z_]+)`", README.read_text(encoding="utf-8")))
    # When / Then
    assert set(problem_codes()) - documented == set()
