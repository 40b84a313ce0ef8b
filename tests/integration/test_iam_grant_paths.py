"""The code paths behind grants that only a failure or a finished asset reaches, run under their function's policy.

Each test goes through the function's own code on moto, so the session's IAM coverage sees the grant used, and
the mutation check sees this test fail without it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from functions.common.clock import fixed_clock
from functions.common.failures import TransientError
from functions.common.metadata import AssetMetadata
from functions.common.models import AssetStatus, View
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.ingest.logic import Ingester, IngestRequest, start_ingest
from functions.ingest.urls import PUBLIC_NETWORK, HostAllowlist
from functions.sign.logic import ReadVariant, Signer, SignReadRequest, sign_read
from functions.upload.logic import Uploader, upload
from tests.imagegen import png_bytes


class BrokenStore(ObjectStore):
    """An object store whose writes fail like an S3 outage."""

    def write(self, key: str, body: bytes, content_type: str) -> None:
        raise TransientError("ServiceUnavailable")


class BrokenInvoker:
    def invoke(self, payload: dict[str, Any]) -> None:
        raise TransientError("could not start the ingest worker")


class UnusedIdempotency:
    def once(self, **_: Any) -> dict[str, Any]:
        raise AssertionError("no Idempotency-Key was sent")

    def register_lambda_context(self, context: Any) -> None:
        pass


def uploader(repository: AssetRepository, store: ObjectStore, now: datetime) -> Uploader:
    return Uploader(
        repository=repository, store=store, clock=fixed_clock(now), max_image_pixels=50_000_000, read_ttl_seconds=600
    )


def test_upload_removes_its_record_when_the_original_cannot_be_stored(
    repository: AssetRepository, s3_client: Any, now: datetime
) -> None:
    # Given S3 refusing writes
    broken = uploader(repository, BrokenStore("test-media", client=s3_client), now)
    # When an image is uploaded
    with pytest.raises(TransientError):
        upload(owner="alice", data=png_bytes(8, 8), metadata=AssetMetadata(), uploader=broken)
    # Then no record is left without its original (the upload function deletes it)
    assert repository.page("alice", View.ALL, None, 10, None).items == []


def test_a_duplicate_of_a_ready_asset_comes_back_with_its_thumbnail_url(
    repository: AssetRepository, store: ObjectStore, now: datetime
) -> None:
    # Given an uploaded image whose thumbnail has since been made
    data = png_bytes(8, 8)
    first = upload(owner="alice", data=data, metadata=AssetMetadata(), uploader=uploader(repository, store, now))
    stored = repository.get("alice", first.id)
    repository.replace(stored, stored.asset.model_copy(update={"status": AssetStatus.READY}))
    # When the same bytes are uploaded again
    again = upload(owner="alice", data=data, metadata=AssetMetadata(), uploader=uploader(repository, store, now))
    # Then the existing asset comes back with a signed thumbnail URL
    assert (again.id, again.duplicate) == (first.id, True)
    assert again.thumb_url and f"thumbs/alice/{first.id}" in again.thumb_url


def ingester(repository: AssetRepository, store: ObjectStore, now: datetime, **overrides: Any) -> Ingester:
    values: dict[str, Any] = {
        "repository": repository,
        "store": store,
        "clock": fixed_clock(now),
        "invoker": BrokenInvoker(),
        "idempotency": UnusedIdempotency(),
        "allowlist": HostAllowlist(),
        "network": PUBLIC_NETWORK,
        "read_ttl_seconds": 600,
    }
    return Ingester(**{**values, **overrides})


def mark_ready(repository: AssetRepository, owner: str, asset_id: str) -> None:
    stored = repository.get(owner, asset_id)
    repository.replace(stored, stored.asset.model_copy(update={"status": AssetStatus.READY}))


def test_sign_read_of_thumbnails_signs_the_ready_ones(
    repository: AssetRepository, store: ObjectStore, now: datetime
) -> None:
    # Given a ready asset
    first = upload(
        owner="alice", data=png_bytes(8, 8), metadata=AssetMetadata(), uploader=uploader(repository, store, now)
    )
    mark_ready(repository, "alice", first.id)
    signer = Signer(
        repository=repository,
        store=store,
        clock=fixed_clock(now),
        max_image_bytes=1 << 20,
        upload_ttl_seconds=300,
        read_ttl_seconds=600,
    )
    # When its thumbnail URL is asked for again
    answer = sign_read(owner="alice", request=SignReadRequest(ids=[first.id], variant=ReadVariant.THUMB), signer=signer)
    # Then the sign function signs it
    assert answer.missing == []
    assert f"thumbs/alice/{first.id}" in answer.urls[first.id].url


def test_ingest_wait_answers_a_finished_asset_with_its_thumbnail_url(
    repository: AssetRepository, store: ObjectStore, now: datetime
) -> None:
    # Given a worker and a thumbnail function that finish the asset while the API waits
    started: list[str] = []
    elapsed = [0.0]

    class Invoker:
        def invoke(self, payload: dict[str, Any]) -> None:
            started.append(payload["assetId"])

    def sleep(seconds: float) -> None:
        elapsed[0] += seconds
        for asset_id in started:
            mark_ready(repository, "alice", asset_id)

    waiting = ingester(repository, store, now, invoker=Invoker(), sleep=sleep, monotonic=lambda: elapsed[0])
    # When a URL is ingested with ?wait
    answer = start_ingest(
        owner="alice",
        request=IngestRequest(url="https://images.example.com/cat.png"),
        idempotency_key=None,
        wait_seconds=5,
        ingester=waiting,
    )
    # Then the finished asset comes back with a signed thumbnail URL
    assert answer.status_code == 201
    assert answer.asset.thumb_url and f"thumbs/alice/{answer.asset.id}" in answer.asset.thumb_url


def test_ingest_removes_its_record_when_the_worker_cannot_be_started(
    repository: AssetRepository, store: ObjectStore, now: datetime
) -> None:
    # Given a worker that cannot be invoked
    broken = ingester(repository, store, now)
    # When a URL is ingested
    with pytest.raises(TransientError):
        start_ingest(
            owner="alice",
            request=IngestRequest(url="https://images.example.com/cat.png"),
            idempotency_key=None,
            wait_seconds=0,
            ingester=broken,
        )
    # Then no asset is left that no worker will finish (the ingest function deletes it)
    assert repository.page("alice", View.ALL, None, 10, None).items == []
