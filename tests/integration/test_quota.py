"""Per-user quotas on moto, each function under its deployed role: 409 `quota_exceeded`, `GET /usage`, and counters
that equal the truth (the records and the bytes in the bucket) after every writer, redeliveries, races and threads.

moto's conditional writes are not atomic under threads (TOOLING-NOTES): races are deterministic interleavings, and the
threaded tests run each DynamoDB call alone (`atomic_dynamodb`), as DynamoDB's own conditional writes are atomic.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event
from botocore.client import BaseClient

from devserver.iam.principal import acting_as
from functions.common.clock import fixed_clock
from functions.common.errors import Conflict, QuotaExceeded
from functions.common.metadata import AssetMetadata
from functions.common.models import AssetStatus
from functions.common.ports import Quota, Usage
from functions.common.repository import AssetRepository
from functions.common.repository.tooling import dynamodb_client, every_asset
from functions.common.storage import ObjectStore
from functions.gallery import logic as gallery_logic
from functions.ingest.worker_logic import IngestJob, run_ingest
from functions.purge.logic import purge
from functions.thumbnail.logic import Thumbnailer, process_event
from functions.upload.logic import Uploader, upload
from tests.api_events import FakeContext, decoded, http_event, multipart
from tests.builders import ingest_worker, new_asset, new_gallery
from tests.conftest import BUCKET, function_environment
from tests.fakes import FakeTime, ScriptedFetcher, Ticking
from tests.imagegen import png_bytes
from tests.integration.purge_support import purge_settings, unlimited_time
from tests.thumbnail_support import created_event


def truth(repository: AssetRepository, s3_client: Any, owner: str = "alice") -> Usage:
    """The counters' truth, by scanning: the owner's records, and the bytes of its originals in the bucket."""
    records = [asset for asset in every_asset(repository) if asset.owner == owner]
    listed = s3_client.list_objects_v2(Bucket=BUCKET, Prefix=f"originals/{owner}/").get("Contents", [])
    stored = sum(int(entry["Size"]) for entry in listed)
    assert stored == sum(asset.stored_bytes for asset in records), "the records describe the bytes stored"
    return Usage(bytes=stored, assets=len(records))


def uploader(repository: AssetRepository, store: ObjectStore, now: datetime, quota: Quota = Quota()) -> Uploader:
    return Uploader(
        repository=repository,
        store=store,
        clock=Ticking(now),
        max_image_pixels=10**7,
        read_ttl_seconds=600,
        quota=quota,
    )


def thumbnailer(repository: AssetRepository, store: ObjectStore, now: datetime) -> Thumbnailer:
    return Thumbnailer(
        repository=repository, store=store, clock=fixed_clock(now), box=64, max_pixels=10**7, max_bytes=10**7
    )


def announce(repository: AssetRepository, store: ObjectStore, now: datetime, key: str, etag: str) -> dict[str, str]:
    with acting_as("thumbnail"):
        return process_event(S3Event(created_event(BUCKET, key, etag)), thumbnailer=thumbnailer(repository, store, now))


@pytest.fixture
def handlers(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The sign, upload and gallery handlers with a quota of two assets."""
    environment = function_environment(monkeypatch, USER_QUOTA_ASSETS="2", USER_QUOTA_MB="1")
    next(environment)
    from functions.gallery import handler as gallery
    from functions.sign import handler as sign
    from functions.upload import handler as upload_handler

    yield {"sign": sign.handler, "upload": upload_handler.handler, "gallery": gallery.handler}
    next(environment, None)


def call(handler: Any, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    result = handler(http_event(method, path, **kwargs), FakeContext())
    status, body = decoded(result)
    return status, body, result.get("headers") or {}


def test_sign_and_upload_past_the_quota_are_409_problems_and_usage_shows_why(handlers: dict[str, Any]) -> None:
    # Given alice signed one upload and uploaded one small image: two assets, her limit
    json_headers = {"content-type": "application/json"}
    body = json.dumps({"contentType": "image/png", "size": 1000})
    assert call(handlers["sign"], "POST", "/uploads/sign", body=body, headers=json_headers)[0] == 201
    data = png_bytes(30, 30)
    form, header = multipart({}, {"file": ("a.png", data, "image/png")})
    upload_event: dict[str, Any] = {"body": form, "headers": {"content-type": header}, "binary": True}
    assert call(handlers["upload"], "POST", "/uploads", **upload_event)[0] == 201
    # When she signs and uploads once more, and bob signs
    signed = call(handlers["sign"], "POST", "/uploads/sign", body=body, headers=json_headers)
    form, header = multipart({}, {"file": ("b.png", png_bytes(31, 31), "image/png")})
    uploaded = call(handlers["upload"], "POST", "/uploads", body=form, headers={"content-type": header}, binary=True)
    bobs = call(handlers["sign"], "POST", "/uploads/sign", sub="bob", body=body, headers=json_headers)
    # Then hers are 409 `quota_exceeded` problems (declared: strict mode would make them 500s), bob's is accepted
    for status, problem, headers in (signed, uploaded):
        assert (status, problem["code"]) == (409, "quota_exceeded")
        assert headers["Content-Type"] == "application/problem+json"
    assert bobs[0] == 201
    # And GET /usage shows her two assets, the bytes stored so far and her limits
    status, usage, _ = call(handlers["gallery"], "GET", "/usage")
    assert (status, usage) == (200, {"bytes": len(data), "assets": 2, "limits": {"bytes": 1024 * 1024, "assets": 2}})


def test_an_ingest_past_the_quota_is_refused_and_frees_its_place(
    aws: None, repository: AssetRepository, store: ObjectStore, idempotency_table: str, now: datetime
) -> None:
    # Given alice is at her limit of one asset
    from functions.ingest.idempotency import PowertoolsIdempotency
    from functions.ingest.logic import Ingester, IngestRequest, start_ingest
    from functions.ingest.urls import PUBLIC_NETWORK, HostAllowlist

    repository.create(new_asset(owner="alice", created_at=now))
    payloads: list[dict[str, Any]] = []
    ingester = Ingester(
        repository=repository,
        store=store,
        clock=fixed_clock(now),
        invoker=type("Invoker", (), {"invoke": lambda self, payload: payloads.append(payload)})(),
        idempotency=PowertoolsIdempotency.on_table(idempotency_table),
        allowlist=HostAllowlist(),
        network=PUBLIC_NETWORK,
        read_ttl_seconds=600,
        quota=Quota(max_assets=1),
    )
    # When she ingests a URL
    request = IngestRequest(url="https://images.example.com/a.png")
    with pytest.raises(QuotaExceeded):
        start_ingest(owner="alice", request=request, idempotency_key="k1", wait_seconds=0, ingester=ingester)
    # Then nothing was created or started, and her in-flight place is free again
    assert payloads == [] and repository.ingest_slots("alice") == set()
    assert repository.usage("alice") == Usage(assets=1)
    # And the Idempotency-Key was not spent: once there is room, the same request starts the ingest
    roomier = dataclasses.replace(ingester, quota=Quota(max_assets=2))
    start_ingest(owner="alice", request=request, idempotency_key="k1", wait_seconds=0, ingester=roomier)
    assert len(payloads) == 1 and repository.usage("alice") == Usage(assets=2)


def test_every_writer_keeps_the_counters_equal_to_the_records_and_the_bucket(
    repository: AssetRepository, store: ObjectStore, s3_client: Any, now: datetime
) -> None:
    quota = Quota(max_assets=100, max_bytes=10**8)
    # A direct upload (counted at once), under the upload function's role
    with acting_as("upload"):
        direct = upload(
            owner="alice",
            data=png_bytes(40, 40),
            metadata=AssetMetadata(),
            uploader=uploader(repository, store, now, quota),
        )
    assert repository.usage("alice") == truth(repository, s3_client)
    # A presigned upload: pending counts as an asset, its bytes once the thumbnail records them (redelivered too)
    from functions.sign.logic import Signer, SignUploadRequest, sign_upload

    data = png_bytes(80, 80)
    signer = Signer(
        repository=repository,
        store=store,
        clock=Ticking(now),
        max_image_bytes=10**7,
        upload_ttl_seconds=300,
        read_ttl_seconds=600,
        quota=quota,
    )
    with acting_as("sign"):
        signed = sign_upload(
            owner="alice", request=SignUploadRequest(content_type="image/png", size=len(data)), signer=signer
        ).asset
    key = f"originals/alice/{signed.id}"
    assert repository.usage("alice") == Usage(bytes=direct.size or 0, assets=2)
    etag = s3_client.put_object(Bucket=BUCKET, Key=key, Body=data)["ETag"]
    for _ in range(2):
        announce(repository, store, now, key, etag)
    assert (
        repository.usage("alice")
        == truth(repository, s3_client)
        == Usage(bytes=(direct.size or 0) + len(data), assets=2)
    )
    # A replaced original: the difference
    etag = s3_client.put_object(Bucket=BUCKET, Key=key, Body=png_bytes(200, 200))["ETag"]
    announce(repository, store, now, key, etag)
    assert repository.usage("alice") == truth(repository, s3_client)
    # An ingest, stored by the worker (run twice, as Lambda may)
    ingesting = new_asset(owner="alice", created_at=now, status=AssetStatus.INGESTING, source_url="https://x.test/a")
    with acting_as("ingest"):
        repository.create(ingesting, quota=quota)
    worker = ingest_worker(repository, store, FakeTime(now=now), ScriptedFetcher([png_bytes(90, 90)]))
    with acting_as("ingest_worker"):
        for _ in range(2):
            run_ingest(IngestJob(owner="alice", assetId=ingesting.id), worker=worker)
    assert repository.usage("alice") == truth(repository, s3_client)
    # Delete forever, bulk delete, empty trash, under the gallery's role
    gallery = new_gallery(repository, store, Ticking(now))
    ids = [direct.id, signed.id, ingesting.id]
    bulk = gallery_logic.BulkRequest
    gallery_logic.bulk_action(
        owner="alice", request=bulk(action=gallery_logic.BulkAction.TRASH, ids=ids), gallery=gallery
    )
    gallery_logic.delete_asset(owner="alice", asset_id=direct.id, gallery=gallery)
    assert repository.usage("alice") == truth(repository, s3_client)
    for _ in range(2):
        gallery_logic.bulk_action(
            owner="alice", request=bulk(action=gallery_logic.BulkAction.DELETE, ids=[signed.id]), gallery=gallery
        )
    assert repository.usage("alice") == truth(repository, s3_client)
    gallery_logic.empty_trash(owner="alice", gallery=gallery)
    assert repository.usage("alice") == truth(repository, s3_client) == Usage()


def test_the_purge_uncounts_expired_trash_and_abandoned_uploads(
    repository: AssetRepository, store: ObjectStore, s3_client: Any, now: datetime
) -> None:
    # Given an expired trashed asset with its original, and an abandoned upload
    old = now - timedelta(days=60)
    expired = new_asset(owner="alice", created_at=old, trashed_at=old, stored_bytes=3)
    repository.create(expired)
    s3_client.put_object(Bucket=BUCKET, Key=expired.original_key, Body=b"abc")
    repository.create(new_asset(owner="alice", created_at=old, status=AssetStatus.PENDING))
    assert repository.usage("alice") == Usage(bytes=3, assets=2)
    # When the purge runs, twice, under its role
    with acting_as("purge"):
        for _ in range(2):
            purge(now=now, settings=purge_settings(), repository=repository, store=store, time_left_ms=unlimited_time)
    # Then nothing is counted any more
    assert repository.usage("alice") == truth(repository, s3_client) == Usage()


def test_two_creations_racing_for_the_last_asset_cannot_both_win(repository: AssetRepository, now: datetime) -> None:
    # Given alice holds all but one of her assets
    quota = Quota(max_assets=3)
    with acting_as("sign"):
        for n in range(2):
            repository.create(new_asset(owner="alice", created_at=now + timedelta(seconds=n)), quota=quota)
        # When two requests that both saw one place free create one after the other
        repository.create(new_asset(owner="alice", created_at=now + timedelta(seconds=5)), quota=quota)
        with pytest.raises(QuotaExceeded):
            repository.create(new_asset(owner="alice", created_at=now + timedelta(seconds=6)), quota=quota)
    # Then only the first is created: the check is the condition of the creating transaction
    assert repository.usage("alice") == Usage(assets=3)
    assert len([a for a in every_asset(repository) if a.owner == "alice"]) == 3


def test_two_deliveries_recording_other_bytes_from_the_same_read_count_only_the_winner(
    repository: AssetRepository, now: datetime
) -> None:
    # Given a pending asset both deliveries read at the same version
    pending = new_asset(owner="alice", created_at=now, status=AssetStatus.PENDING)
    repository.create(pending)
    read = repository.get("alice", pending.id)
    with acting_as("thumbnail"):
        # When one records 500 bytes and then the other 700 from the same read
        repository.replace(read, read.asset.model_copy(update={"stored_bytes": 500, "status": AssetStatus.READY}))
        with pytest.raises(Conflict):
            repository.replace(read, read.asset.model_copy(update={"stored_bytes": 700, "status": AssetStatus.READY}))
    # Then the loser counted nothing: record and counter are written together or not at all
    assert repository.usage("alice") == Usage(bytes=500, assets=1)


def test_a_delete_racing_a_late_writer_uncounts_the_bytes_the_record_holds_at_the_end(
    repository: AssetRepository, store: ObjectStore, s3_client: Any, now: datetime
) -> None:
    # Given a trashed asset claimed for deletion, and a writer that records its bytes between the delete's read and
    # its write (a thumbnail delivery that read the record before the claim)
    trashed = new_asset(owner="alice", created_at=now, trashed_at=now, status=AssetStatus.PROCESSING)
    repository.create(trashed)
    client = dynamodb_client(repository)
    interleaved: list[bool] = []

    def late_writer(**_: Any) -> None:
        if interleaved:
            return
        interleaved.append(True)
        current = repository.get("alice", trashed.id)
        repository.replace(current, current.asset.model_copy(update={"stored_bytes": 900}))

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", late_writer)
    try:
        with acting_as("gallery"):
            gallery_logic.delete_asset(
                owner="alice", asset_id=trashed.id, gallery=new_gallery(repository, store, Ticking(now))
            )
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", late_writer)
    # Then the delete read again and uncounted what the record held when it went
    assert interleaved
    assert repository.usage("alice") == truth(repository, s3_client) == Usage()


@pytest.fixture
def atomic_dynamodb(aws: None) -> Iterator[None]:
    """Each DynamoDB call runs alone, so moto's conditional writes are atomic as DynamoDB's are."""
    original: Callable[..., Any] = BaseClient._make_api_call  # type: ignore[attr-defined]
    lock = threading.RLock()

    def one_at_a_time(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original(self, operation_name, api_params)
        with lock:
            return original(self, operation_name, api_params)

    BaseClient._make_api_call = one_at_a_time  # type: ignore[attr-defined]
    yield
    BaseClient._make_api_call = original  # type: ignore[attr-defined]


def test_concurrent_uploads_take_exactly_the_assets_left_and_the_counters_equal_the_truth(
    atomic_dynamodb: None, repository: AssetRepository, store: ObjectStore, s3_client: Any, now: datetime
) -> None:
    # Given alice may hold five assets
    on = uploader(repository, store, now, Quota(max_assets=5))

    def one(n: int) -> str:
        try:
            upload(owner="alice", data=png_bytes(20 + n, 20), metadata=AssetMetadata(), uploader=on)
            return "created"
        except QuotaExceeded:
            return "refused"

    # When twelve uploads of hers run at once
    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(one, range(12)))
    # Then exactly five were created and the counters equal the records and the bucket
    assert outcomes.count("created") == 5
    assert repository.usage("alice") == truth(repository, s3_client)


def test_concurrent_uploads_and_deletions_leave_the_counters_equal_to_the_truth(
    atomic_dynamodb: None, repository: AssetRepository, store: ObjectStore, s3_client: Any, now: datetime
) -> None:
    # Given alice's uploads under a byte quota, each either kept or trashed and deleted forever at once
    data = [png_bytes(30 + n, 30) for n in range(16)]
    on = uploader(repository, store, now, Quota(max_bytes=sum(map(len, data)) // 2))
    gallery = new_gallery(repository, store, Ticking(now))

    def one(n: int) -> str:
        try:
            made = upload(owner="alice", data=data[n], metadata=AssetMetadata(), uploader=on)
        except QuotaExceeded:
            return "refused"
        if n % 2:
            trashed = gallery_logic.PatchRequest(trashed=True)
            gallery_logic.patch_asset(owner="alice", asset_id=made.id, request=trashed, gallery=gallery)
            gallery_logic.delete_asset(owner="alice", asset_id=made.id, gallery=gallery)
            return "deleted"
        return "kept"

    # When they all run at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(one, range(16)))
    # Then the counters equal the records and the bucket, and the bytes went past the quota by at most one in-flight
    # upload per thread (each may pass the check just before another stores its bytes)
    usage = repository.usage("alice")
    assert usage == truth(repository, s3_client)
    assert "kept" in outcomes
    assert usage.bytes < on.quota.max_bytes + 8 * max(map(len, data))
