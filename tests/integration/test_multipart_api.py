"""The multipart routes (#16) on moto, under the multipart function's role: parts PUT through their presigned URLs,
completion checks, abort, another user's id; and the purge aborting an abandoned upload under the purge's role.

The presigned PUTs' signature, size pin and expiry as S3 enforces them: tests/integration/test_s3gate_multipart.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from devserver.iam.principal import acting_as
from functions.common.failures import TransientError
from functions.common.multipart_storage import MultipartStore
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.purge.logic import purge
from functions.system import MULTIPART_MIN_PART_BYTES
from tests.api_events import FakeContext, decoded, http_event
from tests.conftest import BUCKET, TABLE
from tests.integration.purge_support import purge_settings, unlimited_time

PART = MULTIPART_MIN_PART_BYTES
SIZE = 2 * PART + 1000  # three parts: two of 8 MiB, the last of 1,000 bytes


@pytest.fixture
def handler(api_environment: None) -> Any:
    from functions.multipart import handler as multipart

    return multipart.handler


def call(handler: Any, method: str, path: str, body: Any = None, sub: str = "alice") -> tuple[int, dict[str, Any]]:
    headers = {"content-type": "application/json"} if body is not None else {}
    event = http_event(method, path, sub=sub, body=None if body is None else json.dumps(body), headers=headers)
    return decoded(handler(event, FakeContext()))


def start(handler: Any, size: int = SIZE, content_type: str = "video/mp4", sub: str = "alice") -> dict[str, Any]:
    status, answer = call(handler, "POST", "/uploads/multipart", {"contentType": content_type, "size": size}, sub)
    assert status == 201, answer
    return answer


def part_urls(handler: Any, asset_id: str, numbers: list[int], sub: str = "alice") -> tuple[int, dict[str, Any]]:
    return call(handler, "POST", f"/uploads/multipart/{asset_id}/parts", {"partNumbers": numbers}, sub)


def part_body(number: int, size: int = SIZE) -> bytes:
    length = PART if number * PART <= size else size - (number - 1) * PART
    return bytes([number]) * length


def put_parts(handler: Any, asset_id: str, numbers: list[int]) -> None:
    status, signed = part_urls(handler, asset_id, numbers)
    assert status == 200, signed
    for number in numbers:
        url = signed["urls"][str(number)]
        assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-SignedHeaders=content-length%3Bhost" in url
        assert requests.put(url, data=part_body(number), timeout=30).status_code == 200


def test_a_multipart_upload_from_start_to_end(handler: Any) -> None:
    # Given an upload of three parts, each PUT through its presigned URL
    started = start(handler)
    asset_id = started["asset"]["id"]
    assert (started["partSize"], started["partCount"], started["asset"]["status"]) == (PART, 3, "pending")
    put_parts(handler, asset_id, [1, 2, 3])

    # When the client completes it
    status, done = call(handler, "POST", f"/uploads/multipart/{asset_id}/complete")

    # Then the original is the parts in order, with the declared type, and the asset is processing with a URL
    assert status == 200, done
    assert done["asset"]["status"] == "processing" and done["asset"]["url"]
    key = AssetRepository(TABLE).get("alice", asset_id).asset.original_key
    assert key.startswith("videos/")
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == b"".join(part_body(n) for n in (1, 2, 3))
    assert stored["ContentType"] == "video/mp4"
    # And completing again answers the same asset; parts and abort are refused
    assert call(handler, "POST", f"/uploads/multipart/{asset_id}/complete")[1]["asset"]["id"] == asset_id
    assert part_urls(handler, asset_id, [1])[1]["code"] == "not_multipart"
    assert call(handler, "DELETE", f"/uploads/multipart/{asset_id}")[1]["code"] == "not_multipart"


def test_a_missing_part_is_named_and_the_upload_stays_open(handler: Any) -> None:
    # Given parts 1 and 3 of 3
    asset_id = start(handler)["asset"]["id"]
    put_parts(handler, asset_id, [1, 3])
    # When
    status, problem = call(handler, "POST", f"/uploads/multipart/{asset_id}/complete")
    # Then
    assert (status, problem["code"]) == (409, "upload_incomplete")
    assert "2 (of 3)" in problem["detail"]
    # And the missing part can still be sent, then the upload completes
    put_parts(handler, asset_id, [2])
    assert call(handler, "POST", f"/uploads/multipart/{asset_id}/complete")[0] == 200


def test_a_part_of_the_wrong_size_is_a_mismatch(handler: Any) -> None:
    # Given part 1 stored at another size (S3 itself would refuse it through the URL: stored here without one)
    asset_id = start(handler)["asset"]["id"]
    put_parts(handler, asset_id, [2, 3])
    asset = AssetRepository(TABLE).get("alice", asset_id).asset
    s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
    s3.upload_part(
        Bucket=BUCKET, Key=asset.original_key, UploadId=asset.upload_id, PartNumber=1, Body=b"x" * (PART + 1)
    )
    # When
    status, problem = call(handler, "POST", f"/uploads/multipart/{asset_id}/complete")
    # Then
    assert (status, problem["code"]) == (409, "upload_mismatch")
    assert "another size than declared: 1" in problem["detail"]


def test_a_total_unlike_the_declaration_is_a_mismatch(handler: Any) -> None:
    # Given a one-part upload whose only part is one byte short
    asset_id = start(handler, size=1000, content_type="image/png")["asset"]["id"]
    asset = AssetRepository(TABLE).get("alice", asset_id).asset
    assert asset.original_key.startswith("originals/")
    boto3.client("s3").upload_part(
        Bucket=BUCKET, Key=asset.original_key, UploadId=asset.upload_id, PartNumber=1, Body=b"x" * 999
    )
    # When
    status, problem = call(handler, "POST", f"/uploads/multipart/{asset_id}/complete")
    # Then
    assert (status, problem["code"]) == (409, "upload_mismatch")


def test_abort_removes_the_parts_and_the_uncounted_record(handler: Any) -> None:
    # Given an upload with a part sent
    asset_id = start(handler)["asset"]["id"]
    put_parts(handler, asset_id, [1])
    repository = AssetRepository(TABLE)
    upload_id = repository.get("alice", asset_id).asset.upload_id
    assert repository.usage("alice").assets == 1
    # When
    status, _ = call(handler, "DELETE", f"/uploads/multipart/{asset_id}")
    # Then
    assert status == 204
    assert call(handler, "POST", f"/uploads/multipart/{asset_id}/complete")[1]["code"] == "not_found"
    assert repository.usage("alice").assets == 0
    assert upload_id and not boto3.client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads")


def test_another_users_upload_is_not_found(handler: Any) -> None:
    # Given alice's upload
    asset_id = start(handler)["asset"]["id"]
    # When bob asks for its parts, completes it or aborts it / Then it does not exist for him
    assert part_urls(handler, asset_id, [1], sub="bob")[1]["code"] == "not_found"
    assert call(handler, "POST", f"/uploads/multipart/{asset_id}/complete", sub="bob")[1]["code"] == "not_found"
    assert call(handler, "DELETE", f"/uploads/multipart/{asset_id}", sub="bob")[0] == 404
    assert call(handler, "DELETE", "/uploads/multipart/not-an-id")[0] == 404
    # And alice's upload is untouched
    assert part_urls(handler, asset_id, [1])[0] == 200


def test_part_numbers_outside_the_upload_are_a_422(handler: Any) -> None:
    # Given
    asset_id = start(handler)["asset"]["id"]
    # When / Then
    status, problem = part_urls(handler, asset_id, [4])
    assert (status, problem["code"]) == (422, "validation_error")
    assert part_urls(handler, asset_id, [0])[0] == 422
    assert part_urls(handler, asset_id, list(range(1, 102)))[0] == 422


def test_a_video_over_its_limit_and_an_unaccepted_type_are_422s(handler: Any) -> None:
    # When / Then
    too_big = {"contentType": "video/mp4", "size": 2048 * 1024 * 1024 + 1}
    assert call(handler, "POST", "/uploads/multipart", too_big)[0] == 422
    assert call(handler, "POST", "/uploads/multipart", {"contentType": "text/plain", "size": 10})[0] == 422


def test_the_multipart_role_may_not_read_parts_of_keys_outside_the_originals(aws: None) -> None:
    # Given the multipart function's role
    store = MultipartStore(BUCKET, client=boto3.client("s3", config=Config(signature_version="s3v4")))
    # When it lists the parts of an upload under thumbs/ / Then IAM refuses (what S3 would answer: AccessDenied)
    with acting_as("multipart"), pytest.raises(TransientError, match="AccessDenied"):
        store.uploaded_parts(key="thumbs/x", upload_id="u")


def test_the_purge_aborts_an_abandoned_multipart_upload(handler: Any) -> None:
    # Given an upload opened 25 hours ago with a part sent and never completed
    asset_id = start(handler)["asset"]["id"]
    put_parts(handler, asset_id, [1])
    repository = AssetRepository(TABLE)
    stored = repository.get("alice", asset_id)
    old = stored.asset.created_at + timedelta(hours=25)
    s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
    store = MultipartStore(BUCKET, client=s3)

    # When the purge runs (as the purge function) a day later
    report = purge(
        now=old,
        settings=purge_settings(),
        repository=repository,
        store=ObjectStore(BUCKET, client=s3),
        time_left_ms=unlimited_time,
        uploads=store,
    )
    # Then the record and the upload's parts are gone
    assert report.abandoned_removed == 1, report
    assert not s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads")
    assert call(handler, "DELETE", f"/uploads/multipart/{asset_id}")[0] == 404
