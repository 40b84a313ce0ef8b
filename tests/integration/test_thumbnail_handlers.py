"""The thumbnail Lambda handler and the reprocess route, called in-process on moto as AWS would call them."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from functions.common.models import AssetError, AssetStatus
from functions.common.repository import AssetRepository
from tests.api_events import FakeContext, decoded, http_event
from tests.conftest import BUCKET, IDEMPOTENCY_TABLE
from tests.thumbnail_support import created_event, image_bytes, new_asset, quadrants

# ULID-shaped, as every id the API accepts.
FAILED_ID = "01" + "F1".rjust(24, "0")
READY_ID = "01" + "R1".rjust(24, "0")


@pytest.fixture
def handlers(api_environment: None, idempotency_table: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The thumbnail and gallery handlers with fresh settings and clients inside this test's moto."""
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", idempotency_table)
    from functions.gallery import handler as gallery
    from functions.thumbnail import handler as thumbnail

    return thumbnail.handler, gallery.handler


def test_handler_finishes_an_upload_and_answers_a_duplicate_from_the_idempotency_table(
    handlers: tuple[Any, Any], repository: AssetRepository, s3_client: Any, now: Any
) -> None:
    # Given a pending asset whose original arrived
    thumbnail_handler, _ = handlers
    asset = repository.create(new_asset("carol", "H1", now=now)).asset
    etag = s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=image_bytes(quadrants(), "WEBP"))["ETag"]
    event = created_event(BUCKET, asset.original_key, etag)

    # When Lambda invokes the handler twice with the same event
    first = thumbnail_handler(event, FakeContext())
    stored = repository.get("carol", "H1")
    repository.replace(stored, stored.asset.model_copy(update={"status": AssetStatus.PENDING}))
    second = thumbnail_handler(event, FakeContext())

    # Then the first made it ready and the second was answered from the idempotency record without work
    assert first == second == {"outcomes": {"originals/carol/H1": "ready"}}
    assert repository.get("carol", "H1").asset.status == AssetStatus.PENDING
    items = boto3.client("dynamodb").scan(TableName=IDEMPOTENCY_TABLE)["Items"]
    assert len(items) == 1
    assert items[0]["status"]["S"] == "COMPLETED"


def test_reprocess_route_answers_202_for_failed_and_409_otherwise(
    handlers: tuple[Any, Any], repository: AssetRepository, s3_client: Any, now: Any
) -> None:
    # Given a failed asset with its original, and a ready one
    _, gallery_handler = handlers
    failed = repository.create(new_asset("carol", FAILED_ID, now=now, status=AssetStatus.FAILED)).asset
    stored = repository.get("carol", FAILED_ID)
    repository.replace(stored, failed.model_copy(update={"error": AssetError(code="invalid_image", message="bad")}))
    s3_client.put_object(Bucket=BUCKET, Key=failed.original_key, Body=image_bytes(quadrants(), "JPEG"))
    repository.create(new_asset("carol", READY_ID, now=now, status=AssetStatus.READY))

    # When the owner asks to reprocess each (and another user asks for the failed one)
    ok_status, ok_body = decoded(
        gallery_handler(http_event("POST", f"/assets/{FAILED_ID}/reprocess", sub="carol"), FakeContext())
    )
    ready_status, ready_body = decoded(
        gallery_handler(http_event("POST", f"/assets/{READY_ID}/reprocess", sub="carol"), FakeContext())
    )
    other_status, other_body = decoded(
        gallery_handler(http_event("POST", f"/assets/{FAILED_ID}/reprocess", sub="mallory"), FakeContext())
    )

    # Then the failed one is accepted and back to processing; the ready one is a 409; a stranger gets a 404
    assert ok_status == 202
    assert (ok_body["id"], ok_body["status"], ok_body["error"]) == (FAILED_ID, "processing", None)
    assert (ready_status, ready_body["code"]) == (409, "not_failed")
    assert (other_status, other_body["code"]) == (404, "not_found")
