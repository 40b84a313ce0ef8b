"""A video ingest on moto, under the worker's role: uploaded in parts under videos/, aborted when a part fails,
found again by its sha256; an image through the same store is one PutObject under originals/.

The streaming structure itself is tested over fakes in tests/unit/test_ingest_streaming.py.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import pytest

from functions.common.failures import TransientError
from functions.common.models import Asset, AssetSource, AssetStatus, AssetType
from functions.common.repository import AssetRepository
from functions.common.stream_upload import StreamUploader
from functions.ingest.worker_logic import IngestJob, run_ingest
from tests.aws_faults import refusing
from tests.builders import ingest_worker, new_asset
from tests.conftest import BUCKET
from tests.fakes import FakeTime, ScriptedFetcher
from tests.imagegen import png_bytes
from tests.video_bytes import mp4_bytes

MIB = 1024 * 1024
# S3's smallest part (but the last): 11 MiB goes up as three parts.
PART_BYTES = 5 * MIB


@pytest.fixture
def uploader(s3_client: Any) -> StreamUploader:
    return StreamUploader(BUCKET, client=s3_client, part_bytes=PART_BYTES)


def ingesting(repository: AssetRepository, now: datetime) -> Asset:
    asset = new_asset(
        created_at=now,
        status=AssetStatus.INGESTING,
        source=AssetSource.INGEST,
        asset_type=AssetType.GENERATED,
        source_url="https://videos.example.com/clip.mp4",
    )
    repository.create(asset)
    return asset


def ingest(repository: AssetRepository, uploader: StreamUploader, now: datetime, asset: Asset, data: bytes) -> str:
    worker = ingest_worker(repository, uploader, FakeTime(now=now), ScriptedFetcher([data]))
    return run_ingest(IngestJob(owner=asset.owner, assetId=asset.id), worker=worker)


def test_a_video_is_uploaded_in_parts_under_videos(
    repository: AssetRepository, uploader: StreamUploader, s3_client: Any, now: datetime
) -> None:
    # Given an ingesting asset whose source is an 11 MiB MP4
    asset, data = ingesting(repository, now), mp4_bytes(11 * MIB, seed=1)
    # When the worker runs
    outcome = ingest(repository, uploader, now, asset, data)
    # Then the asset is a video, `processing` for the video function, and its bytes are under videos/
    stored = repository.get("alice", asset.id).asset
    assert outcome == "stored"
    assert (stored.kind, stored.status, stored.mime, stored.size) == ("video", "processing", "video/mp4", len(data))
    assert stored.original_key.startswith("videos/")
    got = s3_client.get_object(Bucket=BUCKET, Key=stored.original_key)
    assert (got["Body"].read() == data, got["ContentType"]) == (True, "video/mp4")
    assert got["ETag"].strip('"').endswith("-3")  # three parts, assembled by S3
    # And the bytes count towards the owner's usage, as an ingested image's do
    assert repository.usage("alice").bytes == len(data)


def test_a_part_that_fails_aborts_the_upload_and_lambdas_retry_stores_it(
    repository: AssetRepository, uploader: StreamUploader, s3_client: Any, now: datetime
) -> None:
    # Given S3 failing the second part of the upload
    asset, data = ingesting(repository, now), mp4_bytes(11 * MIB, seed=2)
    second_part = {"when": lambda params: params.get("PartNumber") == 2}
    with (
        refusing(s3_client.meta.events, "s3", "UploadPart", code="InternalError", status=500, **second_part),
        pytest.raises(TransientError),
    ):
        # When the worker runs
        ingest(repository, uploader, now, asset, data)
    # Then no parts are left behind, nothing is stored, and the asset waits for Lambda's retry holding no bytes
    assert s3_client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    waiting = repository.get("alice", asset.id).asset
    assert (waiting.status, waiting.stored_bytes) == (AssetStatus.INGESTING, 0)
    assert repository.usage("alice").bytes == 0
    # And the retry stores it
    assert ingest(repository, uploader, now, asset, data) == "stored"


def test_the_same_video_twice_is_a_duplicate_of_the_first(
    repository: AssetRepository, uploader: StreamUploader, now: datetime
) -> None:
    # Given a video already ingested
    data = mp4_bytes(64 * 1024, seed=3)
    first = ingesting(repository, now)
    ingest(repository, uploader, now, first, data)
    second = ingesting(repository, now)
    # When the same bytes come in again
    outcome = ingest(repository, uploader, now, second, data)
    # Then the sha256 index finds the first: the second failed as its duplicate
    failed = repository.get("alice", second.id).asset
    assert outcome == "duplicate"
    assert (failed.sha256, failed.error and failed.error.code) == (hashlib.sha256(data).hexdigest(), "duplicate")


def test_an_image_through_the_same_store_is_one_put_under_originals(
    repository: AssetRepository, uploader: StreamUploader, s3_client: Any, now: datetime
) -> None:
    # Given an ingesting asset whose source is a PNG
    asset, data = ingesting(repository, now), png_bytes(20, 10)
    # When the worker runs with the store it is deployed with
    assert ingest(repository, uploader, now, asset, data) == "stored"
    # Then the image is under originals/, written whole, as before videos
    stored = repository.get("alice", asset.id).asset
    assert (stored.kind, stored.original_key.split("/")[0], stored.width) == ("image", "originals", 20)
    got = s3_client.get_object(Bucket=BUCKET, Key=stored.original_key)
    assert (got["Body"].read(), got["ContentType"], "-" in got["ETag"]) == (data, "image/png", False)
