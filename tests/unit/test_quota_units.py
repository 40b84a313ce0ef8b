"""Per-user quotas over in-memory collaborators: who is refused, what counts, and that every writer counts once.

The fakes keep the owner's usage as the table's transactions do (tests/fakes.py); the transactions themselves, their
IAM and concurrent writers are tested on moto in tests/integration/test_quota.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.common.clock import fixed_clock
from functions.common.errors import Conflict, QuotaExceeded
from functions.common.failures import PermanentError, TransientError
from functions.common.metadata import AssetMetadata
from functions.common.models import AssetStatus
from functions.common.ports import Quota, Usage
from functions.common.quota import DEFAULT_QUOTA, MIB, quota_of, usage_report
from functions.common.settings import PurgeSettings, load_settings
from functions.gallery import logic as gallery_logic
from functions.ingest.worker_logic import IngestJob, run_ingest
from functions.purge.logic import purge
from functions.sign.logic import Signer, SignUploadRequest, sign_upload
from functions.thumbnail.logic import CreatedObject, Thumbnailer, process_created
from functions.upload.logic import Uploader, upload
from tests.builders import ingest_worker, make_assets, new_asset, new_gallery, trash
from tests.fakes import FakeTime, MemoryAssets, MemoryStore, ScriptedFetcher, Ticking
from tests.imagegen import png_bytes

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def signer(repository: MemoryAssets, quota: Quota) -> Signer:
    return Signer(
        repository=repository,
        store=MemoryStore(),
        clock=Ticking(NOW),
        max_image_bytes=10 * MIB,
        upload_ttl_seconds=300,
        read_ttl_seconds=3600,
        quota=quota,
    )


def uploader(repository: MemoryAssets, store: MemoryStore, quota: Quota = DEFAULT_QUOTA) -> Uploader:
    return Uploader(
        repository=repository,
        store=store,
        clock=Ticking(NOW),
        max_image_pixels=10**7,
        read_ttl_seconds=3600,
        quota=quota,
    )


def thumbnailer(repository: MemoryAssets, store: MemoryStore) -> Thumbnailer:
    return Thumbnailer(
        repository=repository, store=store, clock=fixed_clock(NOW), box=64, max_pixels=10**7, max_bytes=10 * MIB
    )


def announced(store: MemoryStore, key: str, delivery: str = "1") -> CreatedObject:
    info = store.stat(key)
    assert info is not None
    return CreatedObject(bucket=store.bucket, key=key, etag=info.etag, version_id=None, delivery=delivery)


def sign(on: Signer, size: int = 100) -> str:
    return sign_upload(
        owner="alice", request=SignUploadRequest(content_type="image/png", size=size), signer=on
    ).asset.id


def truth(repository: MemoryAssets, owner: str = "alice") -> Usage:
    """What the counters must equal: the owner's records, counted one by one."""
    mine = [stored.asset for (who, _), stored in repository.items.items() if who == owner]
    return Usage(bytes=sum(asset.stored_bytes for asset in mine), assets=len(mine))


@pytest.mark.parametrize(
    ("quota", "usage", "allowed"),
    [
        (Quota(max_assets=3), Usage(assets=2), True),
        (Quota(max_assets=3), Usage(assets=3), False),
        (Quota(max_bytes=100), Usage(bytes=99), True),
        (Quota(max_bytes=100), Usage(bytes=100), False),
        (Quota(max_bytes=100, max_assets=3), Usage(bytes=150, assets=1), False),
        (Quota(), Usage(bytes=10**15, assets=10**9), True),
    ],
)
def test_a_user_at_or_over_either_limit_may_create_nothing_and_zero_is_no_limit(
    quota: Quota, usage: Usage, allowed: bool
) -> None:
    assert quota.allows(usage) is allowed


def test_the_defaults_are_ten_gib_and_a_hundred_thousand_assets() -> None:
    assert Quota(max_bytes=10240 * MIB, max_assets=100_000) == DEFAULT_QUOTA
    assert quota_of(quota_mb=0, quota_assets=0) == Quota()


def test_signing_past_the_asset_limit_is_quota_exceeded_and_creates_nothing() -> None:
    # Given alice holds as many assets as she may, one of them in the trash
    repository = MemoryAssets()
    on = signer(repository, Quota(max_assets=2))
    first, _ = sign(on), sign(on)
    gallery = new_gallery(repository, MemoryStore(), Ticking(NOW))
    trash(gallery, "alice", [repository.get("alice", first).asset])
    # When she signs another upload
    with pytest.raises(QuotaExceeded) as refused:
        sign(on)
    # Then it is refused with the limit named, nothing was created, and bob is not affected
    assert "2 assets" in refused.value.detail
    assert repository.usage("alice") == Usage(assets=2) == truth(repository)
    assert sign_upload(owner="bob", request=SignUploadRequest(content_type="image/png", size=5), signer=on).upload


def test_a_user_at_the_byte_limit_may_upload_nothing_more() -> None:
    # Given alice's stored bytes reached her quota with one direct upload
    repository, store = MemoryAssets(), MemoryStore()
    data = png_bytes(40, 40)
    on = uploader(repository, store, Quota(max_bytes=len(data)))
    upload(owner="alice", data=data, metadata=AssetMetadata(), uploader=on)
    # When she uploads other bytes, or signs an upload
    with pytest.raises(QuotaExceeded):
        upload(owner="alice", data=png_bytes(41, 41), metadata=AssetMetadata(), uploader=on)
    with pytest.raises(QuotaExceeded):
        sign(signer(repository, Quota(max_bytes=len(data))))
    # Then both are refused and her usage is the one upload, counted at once
    assert repository.usage("alice") == Usage(bytes=len(data), assets=1) == truth(repository)


def test_a_failed_direct_upload_uncounts_what_it_counted() -> None:
    # Given S3 refuses the original
    class Down(MemoryStore):
        def write(self, key: str, body: bytes, content_type: str) -> None:
            raise TransientError("S3 is down")

    repository = MemoryAssets()
    # When alice uploads
    with pytest.raises(TransientError):
        upload(owner="alice", data=png_bytes(), metadata=AssetMetadata(), uploader=uploader(repository, Down()))
    # Then nothing stays counted
    assert repository.usage("alice") == Usage() == truth(repository)


def test_a_presigned_upload_counts_its_bytes_once_the_thumbnail_records_them_and_a_redelivery_adds_nothing() -> None:
    # Given a signed upload whose bytes arrived
    repository, store = MemoryAssets(), MemoryStore()
    asset_id = sign(signer(repository, DEFAULT_QUOTA))
    asset = repository.get("alice", asset_id).asset
    data = png_bytes(50, 50)
    store.write(asset.original_key, data, "image/png")
    assert repository.usage("alice") == Usage(assets=1)  # pending: counted, its bytes not yet stored
    # When S3 announces it, twice (the same event redelivered, then a re-trigger of the same object)
    event = announced(store, asset.original_key)
    assert process_created(event, thumbnailer=thumbnailer(repository, store)) == "ready"
    process_created(event, thumbnailer=thumbnailer(repository, store))
    process_created(announced(store, asset.original_key, delivery="2"), thumbnailer=thumbnailer(repository, store))
    # Then its bytes count once
    assert repository.usage("alice") == Usage(bytes=len(data), assets=1) == truth(repository)


def test_a_replaced_original_counts_the_difference() -> None:
    # Given a ready asset
    repository, store = MemoryAssets(), MemoryStore()
    asset = repository.get("alice", sign(signer(repository, DEFAULT_QUOTA))).asset
    store.write(asset.original_key, png_bytes(50, 50), "image/png")
    process_created(announced(store, asset.original_key), thumbnailer=thumbnailer(repository, store))
    # When its presigned POST is used again with larger bytes, announced twice
    bigger = png_bytes(300, 300)
    store.write(asset.original_key, bigger, "image/png")
    for delivery in ("2", "2", "3"):
        process_created(announced(store, asset.original_key, delivery), thumbnailer=thumbnailer(repository, store))
    # Then the usage holds the new size, not both
    assert repository.usage("alice") == Usage(bytes=len(bigger), assets=1) == truth(repository)


def test_an_ingest_counts_its_bytes_when_the_worker_stores_them_even_if_it_runs_twice() -> None:
    # Given an ingesting asset
    repository, store = MemoryAssets(), MemoryStore()
    ingesting = new_asset(owner="alice", created_at=NOW, status=AssetStatus.INGESTING, source_url="https://x.test/a")
    repository.create(ingesting)
    data = png_bytes(60, 60)
    worker = ingest_worker(repository, store, FakeTime(now=NOW), ScriptedFetcher([data]))
    job = IngestJob(owner="alice", assetId=ingesting.id)
    # When the worker runs, Lambda runs it again, and the thumbnail records the same object
    assert run_ingest(job, worker=worker) == "stored"
    assert run_ingest(job, worker=worker) == "skipped"
    process_created(announced(store, ingesting.original_key), thumbnailer=thumbnailer(repository, store))
    # Then its bytes count once
    assert repository.usage("alice") == Usage(bytes=len(data), assets=1) == truth(repository)


def test_every_delete_forever_uncounts_and_a_second_run_uncounts_nothing() -> None:
    # Given five stored assets of alice, all in the trash but one
    repository, store = MemoryAssets(), MemoryStore()
    on = new_gallery(repository, store, Ticking(NOW))
    made = make_assets(on, "alice", 5, stored_bytes=1000)
    for asset in made:
        store.write(asset.original_key, b"x" * 1000, "image/png")
    trash(on, "alice", made[:4])
    # When one is deleted forever, two in bulk (twice), and the trash is emptied
    gallery_logic.delete_asset(owner="alice", asset_id=made[0].id, gallery=on)
    request = gallery_logic.BulkRequest(action=gallery_logic.BulkAction.DELETE, ids=[a.id for a in made[1:3]])
    gallery_logic.bulk_action(owner="alice", request=request, gallery=on)
    gallery_logic.bulk_action(owner="alice", request=request, gallery=on)
    gallery_logic.empty_trash(owner="alice", gallery=on)
    # Then only the active asset counts
    assert repository.usage("alice") == Usage(bytes=1000, assets=1) == truth(repository)


def test_the_purge_uncounts_expired_trash_and_abandoned_uploads() -> None:
    # Given an expired trashed asset, an abandoned upload and an active asset
    repository, store = MemoryAssets(), MemoryStore()
    old = NOW - timedelta(days=60)
    on = new_gallery(repository, store, Ticking(old))
    expired, active = make_assets(on, "alice", 2, stored_bytes=10)
    trash(on, "alice", [expired])
    repository.create(new_asset(owner="alice", created_at=old, status=AssetStatus.PENDING))
    settings = load_settings(PurgeSettings, {"ASSET_TABLE_NAME": "t", "MEDIA_BUCKET_NAME": "b"})
    # When the purge runs (twice)
    for _ in range(2):
        purge(now=NOW, settings=settings, repository=repository, store=store, time_left_ms=lambda: 600_000)
    # Then only the active asset counts
    assert repository.usage("alice") == Usage(bytes=10, assets=1) == truth(repository)
    assert list(repository.items) == [("alice", active.id)]


def test_usage_shows_the_counts_and_the_limits_with_null_for_none() -> None:
    # Given alice has two assets
    repository = MemoryAssets()
    make_assets(new_gallery(repository, MemoryStore(), Ticking(NOW)), "alice", 2, stored_bytes=7)
    # When / Then
    shown = usage_report("alice", records=repository, quota=Quota(max_assets=10))
    assert shown.model_dump(by_alias=True) == {"bytes": 14, "assets": 2, "limits": {"bytes": None, "assets": 10}}
    assert usage_report("nobody", records=repository, quota=Quota()).bytes == 0


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        ([None, "ConditionalCheckFailed"], QuotaExceeded),
        (["ConditionalCheckFailed", None], Conflict),
        (["ConditionalCheckFailed", "ConditionalCheckFailed"], QuotaExceeded),
        (["TransactionConflict", None], TransientError),
        ([None, "ThrottlingError"], TransientError),
        (["ValidationError", None], PermanentError),
    ],
)
def test_a_cancelled_transaction_says_which_condition_failed(
    reasons: list[str | None], expected: type[Exception]
) -> None:
    # Given DynamoDB's cancellation of a record's write (first) and its owner's usage (last)
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    from functions.common.repository.usage import raise_cancelled

    error = {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}}
    cause = VerboseClientError(
        error,
        "TransactWriteItems",
        cancellation_reasons=[CancellationReason(code=code) if code else None for code in reasons],
    )
    assert isinstance(cause, ClientError)
    # When / Then
    with pytest.raises(expected):
        raise_cancelled(TransactWriteError("Failed to write transaction items", cause))
