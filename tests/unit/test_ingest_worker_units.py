"""The ingest worker over in-memory collaborators: the deadline, failure codes, running a job twice.

What needs AWS (the original stored in S3, duplicates found on the sha256 index, Idempotency-Key on DynamoDB) is
tested on moto in tests/integration/test_ingest_logic.py.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from functions.common.models import Asset, AssetSource, AssetStatus, AssetType
from functions.ingest.outcomes import FetchBlocked, SourceNotReady, SourceUnreachable
from functions.ingest.worker_logic import IngestJob, run_ingest
from tests.builders import ingest_worker, new_asset
from tests.fakes import FakeTime, MemoryAssets, MemoryStore, ScriptedFetcher
from tests.imagegen import png_bytes
from tests.jpeg_bombs import progressive_jpeg, with_last_scan_repeated
from tests.video_bytes import mp4_bytes

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
URL = "https://images.example.com/gen/cat.png"


def ingesting(repository: MemoryAssets) -> Asset:
    asset = new_asset(
        created_at=NOW,
        status=AssetStatus.INGESTING,
        source=AssetSource.INGEST,
        asset_type=AssetType.GENERATED,
        source_url=URL,
    )
    repository.create(asset)
    return asset


def run(repository: MemoryAssets, store: MemoryStore, time_: FakeTime, fetcher: ScriptedFetcher, asset: Asset) -> str:
    worker = ingest_worker(repository, store, time_, fetcher)
    return run_ingest(IngestJob(owner=asset.owner, assetId=asset.id), worker=worker)


def test_the_worker_waits_as_the_source_asks_then_stores_the_facts_and_the_bytes() -> None:
    # Given a source that is not ready twice, then delivers
    repository, store, time_ = MemoryAssets(), MemoryStore(), FakeTime(now=NOW)
    asset, data = ingesting(repository), png_bytes(40, 30)
    fetcher = ScriptedFetcher([SourceNotReady(425, 7.0), SourceNotReady(503, None), data])
    # When the job runs
    outcome = run(repository, store, time_, fetcher, asset)
    # Then it slept as told (Retry-After, then backoff), stored the bytes and recorded their facts
    stored = repository.get("alice", asset.id).asset
    assert (outcome, time_.sleeps) == ("stored", [7.0, 2.0])
    assert stored.status == AssetStatus.PROCESSING
    assert (stored.mime, stored.width, stored.height, stored.size) == ("image/png", 40, 30, len(data))
    assert store.objects == {asset.original_key: data}


def test_the_worker_gives_up_at_the_deadline() -> None:
    # Given a source that is never ready
    repository, time_ = MemoryAssets(), FakeTime(now=NOW)
    asset = ingesting(repository)
    # When the job runs
    outcome = run(repository, MemoryStore(), time_, ScriptedFetcher([SourceNotReady(202, None)]), asset)
    # Then it failed as a timeout, within the deadline
    stored = repository.get("alice", asset.id).asset
    assert outcome == "source_timeout"
    assert stored.status == AssetStatus.FAILED and stored.error and stored.error.code == "source_timeout"
    assert 0 < time_.elapsed <= 120


@pytest.mark.parametrize(
    ("script", "code"),
    [
        ([FetchBlocked("resolves to 10.0.0.1")], "source_blocked"),
        ([b"<html>not an image</html>"], "source_not_image"),
        ([with_last_scan_repeated(progressive_jpeg(), 5000)], "image_too_complex"),
        ([SourceUnreachable("410", retryable=False)], "source_unreachable"),
        ([SourceUnreachable("connect", retryable=True)], "source_unreachable"),
    ],
)
def test_worker_failures_have_codes(script: list[Exception | bytes], code: str) -> None:
    # Given an ingesting asset whose source fails so
    repository, store = MemoryAssets(), MemoryStore()
    asset = ingesting(repository)
    # When the job runs
    run(repository, store, FakeTime(now=NOW), ScriptedFetcher(script), asset)
    # Then the asset failed with that code, the reason stays in our logs, and nothing was stored
    stored = repository.get("alice", asset.id).asset
    assert stored.status == AssetStatus.FAILED
    assert stored.error is not None and stored.error.code == code
    assert "10.0.0.1" not in stored.error.message
    assert store.objects == {}


def test_a_job_delivered_twice_does_the_work_once() -> None:
    # Given a finished ingest
    repository, store, time_ = MemoryAssets(), MemoryStore(), FakeTime(now=NOW)
    asset = ingesting(repository)
    fetcher = ScriptedFetcher([png_bytes()])
    run(repository, store, time_, fetcher, asset)
    # When the same job is delivered again
    outcome = run(repository, store, time_, fetcher, asset)
    # Then it is skipped without fetching
    assert (outcome, fetcher.calls) == ("skipped", 1)


def test_a_job_whose_asset_is_gone_does_nothing() -> None:
    # Given a job for an asset deleted meanwhile
    repository = MemoryAssets()
    asset = ingesting(repository)
    repository.delete(repository.get("alice", asset.id))
    fetcher = ScriptedFetcher([png_bytes()])
    # When it runs / Then
    assert run(repository, MemoryStore(), FakeTime(now=NOW), fetcher, asset) == "gone"
    assert fetcher.calls == 0


# Videos (#16)


def test_a_video_is_stored_under_videos_streamed_and_left_processing_for_the_video_function() -> None:
    # Given a source that delivers an MP4
    repository, store, time_ = MemoryAssets(), MemoryStore(), FakeTime(now=NOW)
    asset, data = ingesting(repository), mp4_bytes(10_000)
    # When the job runs
    outcome = run(repository, store, time_, ScriptedFetcher([data]), asset)
    # Then the asset is a video whose bytes went up through the streaming write, under videos/
    stored = repository.get("alice", asset.id).asset
    assert outcome == "stored"
    assert (stored.kind, stored.status, stored.mime, stored.size) == ("video", "processing", "video/mp4", len(data))
    assert (stored.width, stored.height, stored.sha256) == (None, None, hashlib.sha256(data).hexdigest())
    assert stored.original_key.startswith("videos/")
    assert store.objects == {stored.original_key: data}
    assert store.streamed == [stored.original_key]
    # And its bytes count towards the owner's usage as an image's do
    assert repository.usage("alice").bytes == len(data)


def test_the_same_video_ingested_twice_points_at_the_first() -> None:
    # Given a video already ingested
    repository, store, time_ = MemoryAssets(), MemoryStore(), FakeTime(now=NOW)
    data = mp4_bytes(5_000, seed=7)
    first = ingesting(repository)
    run(repository, store, time_, ScriptedFetcher([data]), first)
    second = ingesting(repository)
    # When the same bytes come in again
    outcome = run(repository, store, time_, ScriptedFetcher([data]), second)
    # Then the second fails as a duplicate naming the first, and no second original is kept
    failed = repository.get("alice", second.id).asset
    assert outcome == "duplicate"
    assert failed.error is not None and failed.error.code == "duplicate" and first.id in failed.error.message
    assert list(store.objects) == [repository.get("alice", first.id).asset.original_key]


def test_an_image_is_still_written_whole_under_originals() -> None:
    # Given / When an image is ingested
    repository, store = MemoryAssets(), MemoryStore()
    asset = ingesting(repository)
    run(repository, store, FakeTime(now=NOW), ScriptedFetcher([png_bytes(8, 8)]), asset)
    # Then it is an image under originals/, not streamed
    stored = repository.get("alice", asset.id).asset
    assert (stored.kind, stored.original_key.split("/")[0], store.streamed) == ("image", "originals", [])
