"""Without any emulator: our code never depends on calls AWS refuses our roles (issue 11), proved with fakes.

`StrictS3` answers as S3 answers a role without `s3:ListBucket`: HeadObject and GetObject of a missing key are
403 AccessDenied, never 404. DynamoDB is a botocore Stubber: any call but the expected ones (BatchWriteItem
included) fails the test.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from functions.common.clock import fixed_clock
from functions.common.errors import Conflict, NotFound, NotReady
from functions.common.failures import TransientError
from functions.common.models import Asset, AssetStatus
from functions.common.objects import ObjectChanged
from functions.common.repository import AssetRepository, Candidate, StoredAsset
from functions.common.repository.tooling import dynamodb_client
from functions.common.settings import PurgeSettings, load_settings
from functions.common.storage import ObjectStore
from functions.common.sweep import sweep_unfinished
from functions.gallery.logic import Gallery, reprocess_asset
from functions.purge.logic import purge
from functions.thumbnail.logic import CreatedObject, Thumbnailer, process_created
from tests.builders import new_asset, new_gallery

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
BUCKET = "media"


def error(operation: str, code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


class StrictS3:
    """An in-memory bucket answering like S3 to a role that may not list it (HeadObject of a missing key: 403)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.calls: list[str] = []
        self.uncopyable: set[str] = set()

    def _etag(self, key: str) -> str:
        return f'"{hashlib.md5(self.objects[key]).hexdigest()}"'  # noqa: S324 - S3's eTag of a single-part object

    def _found(self, operation: str, key: str) -> None:
        self.calls.append(operation)
        if key not in self.objects:
            raise error(operation, "AccessDenied", 403)

    def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        self._found("HeadObject", Key)
        return {"ETag": self._etag(Key), "ContentLength": len(self.objects[Key]), "ContentType": "image/png"}

    def get_object(self, *, Bucket: str, Key: str, IfMatch: str | None = None) -> dict[str, Any]:
        self._found("GetObject", Key)
        if IfMatch is not None and IfMatch.strip('"') != self._etag(Key).strip('"'):
            raise error("GetObject", "PreconditionFailed", 412)
        return {"Body": io.BytesIO(self.objects[Key]), "ETag": self._etag(Key)}

    def list_objects_v2(self, *, Bucket: str, Prefix: str, MaxKeys: int) -> dict[str, Any]:
        self.calls.append("ListObjectsV2")
        keys = sorted(key for key in self.objects if key.startswith(Prefix))[:MaxKeys]
        return {"Contents": [{"Key": k, "ETag": self._etag(k), "Size": len(self.objects[k])} for k in keys]}

    def copy_object(self, *, Bucket: str, Key: str, CopySource: dict[str, str], **_: Any) -> dict[str, Any]:
        self._found("CopyObject", CopySource["Key"])
        if Key in self.uncopyable:
            raise error("CopyObject", "InternalError", 500)
        return {}

    def list_object_versions(self, *, Bucket: str, Prefix: str) -> dict[str, Any]:
        self.calls.append("ListObjectVersions")
        keys = sorted(key for key in self.objects if key.startswith(Prefix))
        return {"Versions": [{"Key": key, "VersionId": "null"} for key in keys], "IsTruncated": False}

    def delete_objects(self, *, Bucket: str, Delete: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("DeleteObjects")
        for item in Delete["Objects"]:
            self.objects.pop(item["Key"], None)
        return {}


def asset(n: int, *, status: AssetStatus = AssetStatus.READY, trashed: bool = False) -> Asset:
    return new_asset(
        asset_id=f"0{n:025d}",
        status=status,
        created_at=NOW - timedelta(days=60),
        trashed_at=NOW - timedelta(days=31) if trashed else None,
    )


class FakeRepository:
    """The repository calls the purge, the sweep, reprocess and the thumbnail make, over a dict."""

    def __init__(self, *assets: Asset) -> None:
        self.stored = {item.id: StoredAsset(asset=item, version=1) for item in assets}
        self.unclaimable: set[str] = set()

    def get(self, owner: str, asset_id: str) -> StoredAsset:
        if asset_id not in self.stored:
            raise NotFound("no such asset")
        return self.stored[asset_id]

    def replace(self, stored: StoredAsset, changed: Asset) -> StoredAsset:
        self.stored[changed.id] = StoredAsset(asset=changed, version=stored.version + 1)
        return self.stored[changed.id]

    def unfinished_before(self, shard: int, cutoff: datetime) -> Iterator[tuple[str, str]]:
        if shard == 0:
            unfinished = (AssetStatus.PENDING, AssetStatus.PROCESSING)
            yield from ((s.asset.owner, s.asset.id) for s in self.stored.values() if s.asset.status in unfinished)

    def expired_trash(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]:
        if shard == 0:
            yield from (Candidate("alice", s.asset.id, 1) for s in self.stored.values() if s.asset.in_trash)

    def abandoned_uploads(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]:
        if shard == 0:
            pending = [s.asset.id for s in self.stored.values() if s.asset.status == AssetStatus.PENDING]
            yield from (Candidate("alice", asset_id, 1, pending=True) for asset_id in pending)

    def claim_for_deletion(self, candidate: Candidate, *, now_ms: int, lease_ms: int | None) -> StoredAsset:
        if candidate.asset_id in self.unclaimable:
            raise TransientError("DynamoDB is throttling")
        stored = self.stored[candidate.asset_id]
        return self.replace(stored, stored.asset.model_copy(update={"deleting": True}))

    def delete_claimed(self, keys: Iterable[tuple[str, str]]) -> dict[str, str]:
        for _owner, asset_id in keys:
            self.stored.pop(asset_id, None)
        return {}

    def release_claim(self, owner: str, asset_id: str) -> None:
        raise Conflict("not expected")


def store_with(s3: StrictS3, *keys: str) -> ObjectStore:
    for key in keys:
        s3.objects[key] = b"bytes of " + key.encode()
    return ObjectStore(BUCKET, client=s3)


def test_exists_is_one_listing_with_an_exact_key_match() -> None:
    # Given A1 and A10 stored (A1 is a prefix of A10)
    s3 = StrictS3()
    store = store_with(s3, "originals/alice/A1", "originals/alice/A10")

    # When existence is asked / Then only exact keys exist, from listings alone
    assert [store.exists(f"originals/alice/{name}") for name in ("A1", "A10", "A", "A2")] == [True, True, False, False]
    assert set(s3.calls) == {"ListObjectsV2"}


def test_re_announcing_a_missing_original_is_false_and_never_heads_it() -> None:
    # Given an empty bucket / When an original is re-announced / Then there was nothing, and no 403 was asked for
    s3 = StrictS3()
    assert store_with(s3).rewrite_in_place("originals/alice/NEVER") is False
    assert s3.calls == ["ListObjectsV2"]


def test_reading_bytes_replaced_since_is_object_changed() -> None:
    # Given an object whose eTag was taken, then other bytes stored
    s3 = StrictS3()
    store = store_with(s3, "originals/alice/X")
    info = store.stat("originals/alice/X")
    assert info is not None
    s3.objects["originals/alice/X"] = b"other bytes"

    # When the old bytes are read by eTag / Then they are gone
    with pytest.raises(ObjectChanged):
        store.read("originals/alice/X", etag=info.etag)


def test_delete_claimed_is_one_read_and_one_conditional_transaction_per_record_never_batch_write() -> None:
    # Given a repository whose DynamoDB expects exactly these calls (anything else fails the test): a read of each
    # record, claimed A1 at version 3 holding 70 bytes, A2 no longer claimed; then A1's delete with its owner's usage
    from functions.common.repository.mapping import to_attributes
    from functions.common.repository.model import asset_model

    repository = AssetRepository("unit-assets")
    client = dynamodb_client(repository)
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems", lambda params, **_: sent.append(params)
    )
    model = asset_model("unit-assets")

    def item(asset_id: str, *, deleting: bool) -> dict[str, Any]:
        asset = new_asset(created_at=NOW, asset_id=asset_id, trashed_at=NOW, deleting=deleting, stored_bytes=70)
        return dict(model(**to_attributes(asset), version=3).serialize())

    def read(asset_id: str) -> dict[str, Any]:
        key = {"owner": {"S": "alice"}, "asset_id": {"S": asset_id}}
        return {"TableName": "unit-assets", "Key": key, "ConsistentRead": True, "ReturnConsumedCapacity": "TOTAL"}

    with Stubber(client) as stub:
        stub.add_response("get_item", {"Item": item("A1", deleting=True)}, read("A1"))
        stub.add_response("transact_write_items", {})
        stub.add_response("get_item", {"Item": item("A2", deleting=False)}, read("A2"))

        # When two claimed records are deleted
        refused = repository.delete_claimed([("alice", "A1"), ("alice", "A2"), ("alice", "A1")])

        # Then the claimed one went at the version read, uncounting its asset and bytes in the same transaction;
        # the one no longer claimed is reported, not deleted
        stub.assert_no_pending_responses()
    assert list(refused) == ["A2"] and "no longer claimed" in refused["A2"]
    ((delete, usage),) = [[item.get("Delete") or item["Update"] for item in params["TransactItems"]] for params in sent]
    assert delete["Key"]["asset_id"] == {"S": "A1"} and {"N": "3"} in delete["ExpressionAttributeValues"].values()
    assert usage["Key"]["asset_id"] == {"S": "#usage"}
    assert sorted(value["N"] for value in usage["ExpressionAttributeValues"].values()) == ["-1", "-70"]


def gallery(repository: FakeRepository, store: ObjectStore) -> Gallery:
    return new_gallery(
        repository, store, fixed_clock(NOW), cursor_key=b"k" * 32, read_ttl_seconds=60, download_ttl_seconds=60
    )


def test_reprocess_without_an_original_is_not_stored_not_a_403() -> None:
    # Given a failed asset whose original never arrived
    failed = asset(1, status=AssetStatus.FAILED)
    repository = FakeRepository(failed)

    # When it is reprocessed / Then it is 409 `not_stored` and unchanged
    with pytest.raises(NotReady):
        reprocess_asset(owner="alice", asset_id=failed.id, gallery=gallery(repository, store_with(StrictS3())))
    assert repository.get("alice", failed.id).asset == failed


def test_an_event_for_an_original_deleted_since_is_missing() -> None:
    # Given a pending asset whose original is gone
    pending = asset(2, status=AssetStatus.PENDING)
    thumbnailer = Thumbnailer(
        repository=FakeRepository(pending),  # type: ignore[arg-type]
        store=store_with(StrictS3()),
        clock=fixed_clock(NOW),
        box=256,
        max_pixels=10**6,
        max_bytes=10**6,
    )
    created = CreatedObject(bucket=BUCKET, key=pending.original_key, etag="e", version_id=None, delivery="1")

    # When its event is handled / Then it is missing, not a 403 retried for ever
    assert process_created(created, thumbnailer=thumbnailer) == "missing"


def purge_settings() -> PurgeSettings:
    return load_settings(PurgeSettings, {"ASSET_TABLE_NAME": "t", "MEDIA_BUCKET_NAME": BUCKET})


def test_the_purge_tells_abandoned_from_uploaded_and_isolates_a_failing_asset() -> None:
    # Given an abandoned upload, an upload whose original arrived, an expired asset and one that cannot be claimed
    abandoned, uploaded = asset(3, status=AssetStatus.PENDING), asset(4, status=AssetStatus.PENDING)
    expired, stuck = asset(5, trashed=True), asset(6, trashed=True)
    repository = FakeRepository(abandoned, uploaded, expired, stuck)
    repository.unclaimable.add(stuck.id)
    s3 = StrictS3()
    store = store_with(s3, uploaded.original_key, expired.original_key, expired.thumb_object_key, stuck.original_key)

    # When the purge runs
    report = purge(
        now=NOW,
        settings=purge_settings(),
        repository=repository,
        store=store,
        time_left_ms=lambda: 900_000,  # type: ignore[arg-type]
    )

    # Then the abandoned and the expired ones are gone, the uploaded kept, the stuck one reported; no HeadObject
    assert set(repository.stored) == {uploaded.id, stuck.id}
    assert (report.purged, report.abandoned_removed, report.kept_uploaded, report.failed) == (1, 1, 1, 1)
    assert report.failures[0].startswith(stuck.id)
    assert "HeadObject" not in s3.calls


def test_the_sweep_isolates_an_asset_whose_copy_fails() -> None:
    # Given three pending uploads whose originals arrived, one of which S3 fails to copy, and one that never arrived
    assets = [asset(n, status=AssetStatus.PENDING) for n in range(7, 11)]
    s3 = StrictS3()
    store = store_with(s3, *(item.original_key for item in assets[:3]))
    s3.uncopyable.add(assets[1].original_key)

    # When the sweep runs
    result = sweep_unfinished(
        now=NOW,
        repository=FakeRepository(*assets),
        store=store,
        older_than=timedelta(minutes=10),  # type: ignore[arg-type]
    )

    # Then the two others were re-announced, the failing one is named, the missing one is no failure
    assert result.swept == 2
    assert list(result.failed) == [assets[1].id]
