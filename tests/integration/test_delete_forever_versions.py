"""Deleting forever leaves no version behind in the versioned bucket: not the bytes, not a delete marker.

The moto bucket is versioned as the deployed one is (tests/conftest.py), so a plain DeleteObjects would leave every
version listed here, under a delete marker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.common.deletion import object_keys
from functions.common.models import Asset, AssetStatus
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.gallery.logic import bulk_action, delete_asset, empty_trash
from functions.gallery.models import BulkAction, BulkRequest
from functions.purge.logic import purge
from tests.conftest import BUCKET
from tests.integration.purge_support import (
    gallery_at,
    new_asset,
    purge_settings,
    record_ids,
    store_asset,
    unlimited_time,
)

DAY = timedelta(days=1)


def versions_of(s3_client: Any, keys: list[str]) -> list[tuple[str, str]]:
    """Every version and delete marker of exactly these keys, as S3 lists them."""
    found = []
    for key in keys:
        for page in s3_client.get_paginator("list_object_versions").paginate(Bucket=BUCKET, Prefix=key):
            entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            found += [(entry["Key"], entry["VersionId"]) for entry in entries if entry["Key"] == key]
    return found


def replaced(store: ObjectStore, asset: Asset) -> None:
    """The original uploaded again with other bytes (a presigned POST reused), and the thumbnail redone: 2 versions."""
    for key in object_keys(asset):
        store.write(key, b"other bytes", "image/png")


Path = Callable[[AssetRepository, ObjectStore, Asset, datetime], None]


def delete_one(repository: AssetRepository, store: ObjectStore, asset: Asset, now: datetime) -> None:
    delete_asset(owner=asset.owner, asset_id=asset.id, gallery=gallery_at(repository, store, now))


def delete_in_bulk(repository: AssetRepository, store: ObjectStore, asset: Asset, now: datetime) -> None:
    request = BulkRequest(action=BulkAction.DELETE, ids=[asset.id])
    result = bulk_action(owner=asset.owner, request=request, gallery=gallery_at(repository, store, now))
    assert [item.result for item in result.results] == ["ok"]


def empty_the_trash(repository: AssetRepository, store: ObjectStore, asset: Asset, now: datetime) -> None:
    assert empty_trash(owner=asset.owner, gallery=gallery_at(repository, store, now)).deleted == 1


def purge_later(repository: AssetRepository, store: ObjectStore, asset: Asset, now: datetime) -> None:
    later = now + 40 * DAY  # past the retention, and long after an upload is abandoned
    report = purge(
        now=later, settings=purge_settings(), repository=repository, store=store, time_left_ms=unlimited_time
    )
    assert (report.purged + report.abandoned_removed, report.failed) == (1, 0)


TRASH_PATHS = {"delete": delete_one, "bulk": delete_in_bulk, "empty_trash": empty_the_trash, "purge": purge_later}


@pytest.mark.parametrize("path", TRASH_PATHS.values(), ids=TRASH_PATHS.keys())
def test_every_delete_forever_path_removes_every_version(repository, store, s3_client, now, path: Path):
    # Given a trashed asset whose original and thumbnail were replaced once (two versions each), and a kept asset
    trashed = new_asset(created_at=now - 5 * DAY, trashed_at=now - DAY)
    kept = new_asset(created_at=now - 5 * DAY)
    store_asset(repository, store, trashed)
    replaced(store, trashed)
    store_asset(repository, store, kept)
    assert len(versions_of(s3_client, object_keys(trashed))) == 4

    # When it is deleted forever
    path(repository, store, trashed, now)

    # Then no version and no delete marker of any of its objects is left; the other asset keeps its own
    assert versions_of(s3_client, object_keys(trashed)) == []
    assert len(versions_of(s3_client, object_keys(kept))) == 2
    assert record_ids(repository) == {kept.id}


def test_delete_markers_of_an_earlier_plain_delete_go_too(repository, store, s3_client, now):
    # Given a trashed asset whose thumbnail was once deleted the plain way (a delete marker over its bytes)
    trashed = new_asset(created_at=now - 5 * DAY, trashed_at=now - DAY)
    store_asset(repository, store, trashed)
    s3_client.delete_object(Bucket=BUCKET, Key=trashed.thumb_object_key)
    assert {marker["Key"] for marker in s3_client.list_object_versions(Bucket=BUCKET)["DeleteMarkers"]} == {
        trashed.thumb_object_key
    }

    # When it is deleted forever
    delete_one(repository, store, trashed, now)

    # Then the marker and the bytes under it are gone with the original
    assert versions_of(s3_client, object_keys(trashed)) == []


def test_an_abandoned_upload_leaves_no_version(repository, store, s3_client, now):
    # Given an upload abandoned long ago whose bytes once arrived and were deleted the plain way (a delete marker)
    pending = new_asset(created_at=now - 5 * DAY, status=AssetStatus.PENDING)
    store_asset(repository, store, pending, objects=False)
    store.write(pending.original_key, b"bytes", "image/png")
    s3_client.delete_object(Bucket=BUCKET, Key=pending.original_key)

    # When the purge removes it
    purge_later(repository, store, pending, now)

    # Then nothing of it is left
    assert versions_of(s3_client, object_keys(pending)) == []
    assert record_ids(repository) == set()


def test_only_the_exact_keys_are_deleted_not_keys_they_prefix(repository, store, s3_client, now):
    # Given a trashed asset and an object whose key starts with its original's key
    trashed = new_asset(created_at=now - 5 * DAY, trashed_at=now - DAY)
    store_asset(repository, store, trashed)
    neighbour = f"{trashed.original_key}0"
    store.write(neighbour, b"bytes", "image/png")

    # When it is deleted forever
    delete_one(repository, store, trashed, now)

    # Then the neighbour keeps its version
    assert versions_of(s3_client, object_keys(trashed)) == []
    assert len(versions_of(s3_client, [neighbour])) == 1
