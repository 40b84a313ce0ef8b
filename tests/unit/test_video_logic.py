"""The video pipeline's decisions with in-memory collaborators: ready, failed, skipped, stale, retried."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from functions.common.clock import fixed_clock
from functions.common.failures import TransientError
from functions.common.formats import AssetKind
from functions.common.models import Asset, AssetStatus
from functions.common.object_events import CreatedObject
from functions.video.logic import VideoProcessor, process_created
from functions.video.probe import VideoLimits
from tests.builders import new_asset
from tests.fakes import MemoryAssets, MemoryStore
from tests.videogen import audio_only, padded, video

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
OWNER = "team#alice"
DECLARED_SHA256 = "ab" * 32
LIMITS = VideoLimits(max_pixels=35_389_440, max_seconds=14_400, max_bytes=10 * 1024 * 1024)


class FlakyStore(MemoryStore):
    """Ranged reads fail like a throttled S3."""

    def read_range(self, key: str, start: int, end: int, *, etag: str | None = None) -> bytes:
        raise TransientError("SlowDown")


def processor(assets: MemoryAssets, store: MemoryStore, **overrides: object) -> VideoProcessor:
    values: dict[str, object] = {
        "repository": assets,
        "store": store,
        "clock": fixed_clock(NOW),
        "box": 256,
        "limits": LIMITS,
        "block_bytes": 64 * 1024,
    }
    return VideoProcessor(**values | overrides)  # type: ignore[arg-type]


def pending_video(assets: MemoryAssets) -> Asset:
    asset = new_asset(
        created_at=NOW, owner=OWNER, status=AssetStatus.PENDING, kind=AssetKind.VIDEO, sha256=DECLARED_SHA256
    )
    return assets.create(asset).asset


def arrival(store: MemoryStore, asset: Asset, data: bytes, delivery: str = "1") -> CreatedObject:
    store.write(asset.original_key, data, "video/mp4")
    info = store.stat(asset.original_key)
    assert info is not None
    return CreatedObject(store.bucket, asset.original_key, info.etag, None, delivery)


def posters(store: MemoryStore) -> set[str]:
    return {key for key in store.objects if key.startswith("thumbs/")}


def test_a_new_video_becomes_ready_with_its_facts_and_poster() -> None:
    # Given a pending video asset (declared with a checksum) whose MP4 arrived under videos/
    assets, store = MemoryAssets(), MemoryStore()
    asset = pending_video(assets)
    data = video(faststart=True, audio="aac")
    created = arrival(store, asset, data)

    # When the pipeline processes the announced object
    outcome = process_created(created, videos=processor(assets, store))

    # Then the asset is ready with what the container says, its poster a WebP at the key it records
    done = assets.get(OWNER, asset.id).asset
    assert outcome == "ready"
    assert asset.original_key.startswith("videos/")
    assert (done.status, done.kind, done.mime, done.width, done.height) == (
        AssetStatus.READY,
        AssetKind.VIDEO,
        "video/mp4",
        64,
        48,
    )
    assert (done.video_codec, done.has_audio, done.playable, done.size) == ("h264", True, True, len(data))
    assert done.duration_ms is not None and 1900 <= done.duration_ms <= 2100
    assert done.thumb_key is not None and posters(store) == {done.thumb_key}
    assert Image.open(io.BytesIO(store.objects[done.thumb_key])).format == "WEBP"
    assert done.placeholder is not None
    # And the declared sha256 is kept (the bytes were not all read), the eTag recorded
    assert done.sha256 == DECLARED_SHA256
    assert done.original_etag == created.etag


def test_the_same_event_twice_changes_nothing_the_second_time() -> None:
    # Given a video processed once
    assets, store = MemoryAssets(), MemoryStore()
    created = arrival(store, pending_video(assets), video())
    videos = processor(assets, store)
    process_created(created, videos=videos)
    first = assets.get(OWNER, created.key.rsplit("/", 1)[1]).asset
    read_before = store.ranged_bytes

    # When the same object is announced again
    outcome = process_created(created, videos=videos)

    # Then it is skipped on its recorded eTag: no read, no new poster, the record unchanged
    assert outcome == "skipped"
    assert store.ranged_bytes == read_before
    assert posters(store) == {first.thumb_key}
    assert assets.get(OWNER, first.id).asset == first


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"\x89PNG\r\n\x1a\n" + bytes(100), "unsupported_format"), (audio_only(), "video_no_stream")],
)
def test_a_poison_video_ends_failed_with_its_code_and_no_poster(data: bytes, code: str) -> None:
    # Given a pending video asset whose bytes are no playable video
    assets, store = MemoryAssets(), MemoryStore()
    created = arrival(store, pending_video(assets), data)

    # When it is processed
    outcome = process_created(created, videos=processor(assets, store))

    # Then it returns normally and the asset is failed with the code; nothing was written
    asset = assets.get(OWNER, created.key.rsplit("/", 1)[1]).asset
    assert outcome == "failed"
    assert (asset.status, asset.error and asset.error.code) == (AssetStatus.FAILED, code)
    assert posters(store) == set()


def test_a_file_over_the_size_limit_fails_without_being_read() -> None:
    # Given a 2 MB video and a 1 MB limit
    assets, store = MemoryAssets(), MemoryStore()
    created = arrival(store, pending_video(assets), padded(video(), 2 * 1024 * 1024))
    small = VideoLimits(max_pixels=LIMITS.max_pixels, max_seconds=LIMITS.max_seconds, max_bytes=1024 * 1024)

    # When it is processed
    process_created(created, videos=processor(assets, store, limits=small))

    # Then it is failed as too large, and not a byte of it was read
    asset = assets.get(OWNER, created.key.rsplit("/", 1)[1]).asset
    assert asset.error is not None and asset.error.code == "video_too_large"
    assert store.ranged_bytes == 0


def test_a_transient_read_error_propagates_and_leaves_the_asset_pending() -> None:
    # Given S3 throttling every ranged read
    assets, store = MemoryAssets(), FlakyStore()
    created = arrival(store, pending_video(assets), video())

    # When the video is processed
    # Then the error propagates (Lambda retries) and the asset is still pending, with no poster
    with pytest.raises(TransientError):
        process_created(created, videos=processor(assets, store))
    assert assets.get(OWNER, created.key.rsplit("/", 1)[1]).asset.status == AssetStatus.PENDING
    assert posters(store) == set()


def test_an_object_replaced_since_the_event_is_stale() -> None:
    # Given an event for bytes replaced since by others
    assets, store = MemoryAssets(), MemoryStore()
    asset = pending_video(assets)
    created = arrival(store, asset, video())
    store.write(asset.original_key, video("mov"), "video/quicktime")

    # When the old event is processed
    # Then nothing is done: the newer object's event will follow
    assert process_created(created, videos=processor(assets, store)) == "stale"
    assert assets.get(OWNER, asset.id).asset.status == AssetStatus.PENDING


def test_replaced_bytes_are_processed_again_and_the_old_poster_goes() -> None:
    # Given a ready video whose original is replaced by a QuickTime file (a presigned POST used twice)
    assets, store = MemoryAssets(), MemoryStore()
    asset = pending_video(assets)
    videos = processor(assets, store)
    process_created(arrival(store, asset, video()), videos=videos)
    old = assets.get(OWNER, asset.id).asset.thumb_key

    # When the new object is announced
    outcome = process_created(arrival(store, asset, video("mov"), delivery="2"), videos=videos)

    # Then the record describes the new bytes, with a new poster; the old one is deleted
    done = assets.get(OWNER, asset.id).asset
    assert (outcome, done.mime) == ("ready", "video/quicktime")
    assert done.thumb_key != old and posters(store) == {done.thumb_key}


def test_a_video_preview_is_recorded_with_its_poster_and_replaced_with_it() -> None:
    # Given a pending video processed with a preview box (#17)
    assets, store = MemoryAssets(), MemoryStore()
    asset = pending_video(assets)
    videos = processor(assets, store, preview_box=1440)
    assert process_created(arrival(store, asset, video()), videos=videos) == "ready"
    first = assets.get(OWNER, asset.id).asset
    assert first.thumb_key and first.preview_key and posters(store) == {first.thumb_key, first.preview_key}

    # When its original is replaced by other bytes
    assert process_created(arrival(store, asset, video("mov"), delivery="2"), videos=videos) == "ready"

    # Then both are new, and only they are stored
    done = assets.get(OWNER, asset.id).asset
    assert done.thumb_key and done.preview_key and posters(store) == {done.thumb_key, done.preview_key}
    assert {done.thumb_key, done.preview_key}.isdisjoint({first.thumb_key, first.preview_key})


def test_only_video_keys_are_processed_and_an_orphan_is_removed() -> None:
    # Given an image key, and a video object that no asset asked for
    assets, store = MemoryAssets(), MemoryStore()
    videos = processor(assets, store)
    image = CreatedObject(store.bucket, "originals/alice/01J000000000000000000000AA", "e", None, "1")
    store.write("videos/alice/01J000000000000000000000AB", video(), "video/mp4")
    orphan = CreatedObject(store.bucket, "videos/alice/01J000000000000000000000AB", "e", None, "1")

    # When both are announced to the video function
    # Then the image key is not its business and the orphan is deleted rather than adopted
    assert process_created(image, videos=videos) == "ignored"
    assert process_created(orphan, videos=videos) == "orphan_removed"
    assert "videos/alice/01J000000000000000000000AB" not in store.objects
