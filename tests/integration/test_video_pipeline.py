"""The video function on moto, under its own role: ranged reads only, posters recorded, poison and repeats harmless."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from PIL import Image

from devserver.iam.principal import acting_as
from functions.common.clock import fixed_clock
from functions.common.failures import TransientError
from functions.common.formats import AssetKind
from functions.common.models import Asset, AssetStatus
from functions.common.range_storage import RangedObjectStore
from functions.common.repository import AssetRepository
from functions.video.logic import VideoProcessor, process_event
from functions.video.probe import VideoLimits
from tests import videogen
from tests.api_events import FakeContext
from tests.builders import new_asset
from tests.conftest import BUCKET, IDEMPOTENCY_TABLE
from tests.thumbnail_support import created_event

OWNER = "alice"
LIMITS = VideoLimits(max_pixels=35_389_440, max_seconds=14_400, max_bytes=2048 * 1024 * 1024)


class CountingStore(RangedObjectStore):
    """The real ranged store, keeping every range it was asked for."""

    def __init__(self, bucket: str, client: Any) -> None:
        super().__init__(bucket, client=client)
        self.ranges: list[tuple[int, int]] = []

    def read_range(self, key: str, start: int, end: int, *, etag: str | None = None) -> bytes:
        self.ranges.append((start, end))
        return super().read_range(key, start, end, etag=etag)


@pytest.fixture
def counting_store(s3_client: Any) -> CountingStore:
    return CountingStore(BUCKET, s3_client)


@pytest.fixture
def videos_for(
    repository: AssetRepository, counting_store: CountingStore, idempotency_table: str, now: datetime
) -> Callable[..., VideoProcessor]:
    def build(**overrides: Any) -> VideoProcessor:
        values: dict[str, Any] = {
            "repository": repository,
            "store": counting_store,
            "clock": fixed_clock(now),
            "box": 256,
            "limits": LIMITS,
            "idempotency_store": DynamoDBPersistenceLayer(table_name=idempotency_table),
            "block_bytes": 128 * 1024,
        }
        return VideoProcessor(**values | overrides)

    return build


def upload(s3_client: Any, repository: AssetRepository, asset_id: str, body: bytes, now: datetime) -> tuple[Asset, str]:
    """A pending video asset and its original under videos/; the original's eTag."""
    asset = repository.create(
        new_asset(owner=OWNER, asset_id=asset_id, created_at=now, status=AssetStatus.PENDING, kind=AssetKind.VIDEO)
    ).asset
    etag = s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=body, ContentType="video/mp4")["ETag"]
    return asset, str(etag)


def test_a_large_video_with_its_index_at_the_end_is_read_in_a_few_ranges(
    s3_client: Any,
    repository: AssetRepository,
    counting_store: CountingStore,
    videos_for: Callable[..., VideoProcessor],
    now: datetime,
) -> None:
    # Given a pending video whose 8 MB MP4 (index at the end) arrived under videos/
    data = videogen.padded(videogen.video(audio="aac"), 8 * 1024 * 1024)
    asset, etag = upload(s3_client, repository, "V1", data, now)

    # When the video function gets the ObjectCreated event (its calls made under its own role)
    outcomes = process_event(S3Event(created_event(BUCKET, asset.original_key, etag)), videos=videos_for())

    # Then the asset is ready with its facts and a WebP poster, having read under 5 % of the object in ranges
    done = repository.get(OWNER, "V1").asset
    assert outcomes == {asset.original_key: "ready"}
    assert (done.status, done.mime, done.video_codec, done.has_audio, done.width, done.height) == (
        AssetStatus.READY,
        "video/mp4",
        "h264",
        True,
        64,
        48,
    )
    assert done.thumb_key is not None
    poster = s3_client.get_object(Bucket=BUCKET, Key=done.thumb_key)
    assert poster["ContentType"] == "image/webp"
    assert Image.open(io.BytesIO(poster["Body"].read())).format == "WEBP"
    read = sum(end - start + 1 for start, end in counting_store.ranges)
    assert 0 < read < 0.05 * len(data)
    assert len(counting_store.ranges) <= 4


def test_the_video_role_reads_no_image_original(
    s3_client: Any, counting_store: CountingStore, repository: AssetRepository, now: datetime
) -> None:
    # Given an image original
    s3_client.put_object(Bucket=BUCKET, Key="originals/alice/I1", Body=b"\xff\xd8\xff image")

    # When the video function's role asks for a range of it
    # Then S3 refuses: its read grant covers videos/ only
    with acting_as("video"), pytest.raises(TransientError, match="AccessDenied"):
        counting_store.read_range("originals/alice/I1", 0, 3)


def test_a_poison_video_ends_failed_and_the_handler_returns_normally(
    api_environment: None, idempotency_table: str, monkeypatch: pytest.MonkeyPatch, repository: AssetRepository,
    s3_client: Any, now: datetime,
) -> None:  # fmt: skip
    # Given the handler with its settings, and pending videos whose bytes are corrupt and audio only
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", idempotency_table)
    from functions.video import handler as video

    corrupt, corrupt_etag = upload(s3_client, repository, "P1", videogen.corrupt(videogen.video()), now)
    audio, audio_etag = upload(s3_client, repository, "P2", videogen.audio_only(), now)

    # When Lambda invokes the handler for each
    first = video.handler(created_event(BUCKET, corrupt.original_key, corrupt_etag), FakeContext())
    second = video.handler(created_event(BUCKET, audio.original_key, audio_etag), FakeContext())

    # Then neither raises (no retries), and each asset is failed with its code and no poster
    assert first == {"outcomes": {corrupt.original_key: "failed"}}
    assert second == {"outcomes": {audio.original_key: "failed"}}
    codes = {key: repository.get(OWNER, key).asset for key in ("P1", "P2")}
    assert {key: (a.status, a.error and a.error.code, a.thumb_key) for key, a in codes.items()} == {
        "P1": (AssetStatus.FAILED, "video_unreadable", None),
        "P2": (AssetStatus.FAILED, "video_no_stream", None),
    }


def test_the_same_event_twice_is_answered_from_the_idempotency_table(
    api_environment: None, idempotency_table: str, monkeypatch: pytest.MonkeyPatch, repository: AssetRepository,
    s3_client: Any, now: datetime,
) -> None:  # fmt: skip
    # Given the handler and a pending video whose WebM arrived
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", idempotency_table)
    from functions.video import handler as video

    asset, etag = upload(s3_client, repository, "D1", videogen.video("webm", "libvpx-vp9", audio="libopus"), now)
    event = created_event(BUCKET, asset.original_key, etag)

    # When Lambda delivers the same event twice
    first = video.handler(event, FakeContext())
    done = repository.get(OWNER, "D1").asset
    second = video.handler(event, FakeContext())

    # Then the first made it ready, the second was answered from the idempotency record: one poster, one record
    assert first == second == {"outcomes": {asset.original_key: "ready"}}
    assert repository.get(OWNER, "D1").asset == done
    assert (done.mime, done.video_codec, done.playable) == ("video/webm", "vp9", True)
    thumbs = s3_client.list_objects_v2(Bucket=BUCKET, Prefix="thumbs/").get("Contents", [])
    assert {item["Key"] for item in thumbs} == {done.thumb_key, done.preview_key}
    items = boto3.client("dynamodb").scan(TableName=IDEMPOTENCY_TABLE)["Items"]
    assert [item["status"]["S"] for item in items] == ["COMPLETED"]


def test_replaced_bytes_get_a_new_poster_and_the_old_one_is_deleted_forever(
    s3_client: Any, repository: AssetRepository, videos_for: Callable[..., VideoProcessor], now: datetime
) -> None:
    # Given a ready video
    videos = videos_for()
    asset, etag = upload(s3_client, repository, "R1", videogen.video(), now)
    process_event(S3Event(created_event(BUCKET, asset.original_key, etag)), videos=videos)
    old = repository.get(OWNER, "R1").asset.thumb_key

    # When its original is replaced by a QuickTime file and that is announced
    new_etag = s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=videogen.video("mov"))["ETag"]
    event = created_event(BUCKET, asset.original_key, new_etag, event_time="2026-11-21T12:05:00.000Z")
    outcomes = process_event(S3Event(event), videos=videos)

    # Then the record describes the new bytes, and no version of the old poster is left
    done = repository.get(OWNER, "R1").asset
    assert outcomes == {asset.original_key: "ready"}
    assert done.mime == "video/quicktime" and done.thumb_key not in (None, old)
    versions = s3_client.list_object_versions(Bucket=BUCKET, Prefix="thumbs/")
    keys = {entry["Key"] for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", [])}
    assert keys == {done.thumb_key}


def test_an_orphan_video_is_removed_and_a_vanished_one_is_missing(
    s3_client: Any, repository: AssetRepository, videos_for: Callable[..., VideoProcessor], now: datetime
) -> None:
    # Given a video no asset asked for, and an asset whose video was deleted after its event
    orphan_etag = s3_client.put_object(Bucket=BUCKET, Key="videos/alice/O1", Body=videogen.video())["ETag"]
    asset, etag = upload(s3_client, repository, "M1", videogen.video(), now)
    s3_client.delete_object(Bucket=BUCKET, Key=asset.original_key)

    # When both are announced
    orphan = process_event(S3Event(created_event(BUCKET, "videos/alice/O1", orphan_etag)), videos=videos_for())
    missing = process_event(S3Event(created_event(BUCKET, asset.original_key, etag)), videos=videos_for())

    # Then the orphan is deleted (not adopted), and the vanished one is told apart from a refusal: nothing to do
    assert orphan == {"videos/alice/O1": "orphan_removed"}
    assert "Contents" not in s3_client.list_objects_v2(Bucket=BUCKET, Prefix="videos/alice/O1")
    assert missing == {asset.original_key: "missing"}
    assert repository.get(OWNER, "M1").asset.status == AssetStatus.PENDING
