"""DELETE, bulk delete and empty trash share the purge's deletion path: claim, objects, record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from functions.common.deletion import DeletionFailed, claim, delete_forever, object_keys
from functions.common.errors import Conflict, NotInTrash
from functions.common.failures import TransientError
from functions.common.objects import ObjectVersion
from functions.common.repository import candidate_for
from functions.common.storage import ObjectStore
from functions.gallery.logic import bulk_action, delete_asset, empty_trash, patch_asset
from functions.gallery.models import BulkAction, BulkRequest, PatchRequest
from tests.integration.purge_support import (
    RETENTION_DAYS,
    bucket_keys,
    gallery_at,
    new_asset,
    record_ids,
    store_asset,
)

DAY = timedelta(days=1)


def test_delete_forever_removes_record_original_and_thumbnail(repository, store, s3_client, now):
    # Given a trashed asset with its objects and an active one
    trashed = new_asset(created_at=now - 5 * DAY, trashed_at=now - DAY)
    active = new_asset(created_at=now - 5 * DAY)
    store_asset(repository, store, trashed)
    store_asset(repository, store, active)

    # When the user deletes the trashed one forever
    delete_asset(owner=trashed.owner, asset_id=trashed.id, gallery=gallery_at(repository, store, now))

    # Then only the active one remains, with its objects
    assert record_ids(repository) == {active.id}
    assert bucket_keys(s3_client) == set(object_keys(active))


def test_delete_forever_refuses_an_asset_outside_the_trash(repository, store, s3_client, now):
    # Given an active asset
    active = new_asset(created_at=now - 5 * DAY)
    store_asset(repository, store, active)

    # When deleted forever / Then it is refused and nothing is touched
    with pytest.raises(NotInTrash):
        delete_asset(owner=active.owner, asset_id=active.id, gallery=gallery_at(repository, store, now))
    assert record_ids(repository) == {active.id}
    assert bucket_keys(s3_client) == set(object_keys(active))


def test_delete_forever_loses_to_a_restore_that_came_first(repository, store, s3_client, now):
    # Given a trashed asset read by one request, then restored by another
    trashed = new_asset(created_at=now - 5 * DAY, trashed_at=now - DAY)
    read_earlier = store_asset(repository, store, trashed)
    gallery = gallery_at(repository, store, now)
    patch_asset(owner=trashed.owner, asset_id=trashed.id, request=PatchRequest(trashed=False), gallery=gallery)

    # When the first request deletes it forever from its stale read / Then the restore wins
    with pytest.raises(Conflict):
        delete_forever(read_earlier, repository=repository, store=store, now=now)
    assert record_ids(repository) == {trashed.id}
    assert bucket_keys(s3_client) == set(object_keys(trashed))


def test_bulk_trash_shows_purge_at_and_bulk_delete_uses_the_same_path(repository, store, s3_client, now):
    # Given two active assets
    assets = [new_asset(created_at=now - 5 * DAY) for _ in range(2)]
    for asset in assets:
        store_asset(repository, store, asset)
    gallery = gallery_at(repository, store, now)
    ids = [asset.id for asset in assets]

    # When they are trashed in bulk
    trashed = bulk_action(owner="alice", request=BulkRequest(action=BulkAction.TRASH, ids=ids), gallery=gallery)

    # Then each shows trashedAt and purgeAt = trashedAt + retention
    for result in trashed.results:
        assert result.asset is not None
        assert result.asset.trashed_at == now
        assert result.asset.purge_at == now + timedelta(days=RETENTION_DAYS)

    # When they are deleted in bulk / Then records and objects are gone
    deleted = bulk_action(owner="alice", request=BulkRequest(action=BulkAction.DELETE, ids=ids), gallery=gallery)
    assert [result.result for result in deleted.results] == ["ok", "ok"]
    assert record_ids(repository) == set()
    assert bucket_keys(s3_client) == set()


def test_empty_trash_finishes_an_asset_a_crashed_purge_claimed(repository, store, s3_client, now):
    # Given a trashed asset claimed by a purge that crashed, and another trashed asset
    claimed = new_asset(created_at=now - 50 * DAY, trashed_at=now - 31 * DAY)
    other = new_asset(created_at=now - 5 * DAY, trashed_at=now - DAY)
    store_asset(repository, store, claimed)
    store_asset(repository, store, other)
    claim(candidate_for(claimed), repository=repository, now=now, lease_ms=900_000)

    # When the user empties the trash
    response = empty_trash(owner="alice", gallery=gallery_at(repository, store, now))

    # Then both are gone
    assert response.deleted == 2
    assert record_ids(repository) == set()
    assert bucket_keys(s3_client) == set()


class BrokenStore(ObjectStore):
    """S3 DeleteObjects always fails."""

    def __init__(self, store: ObjectStore, client: Any) -> None:
        super().__init__(store.bucket, client=client)

    def delete_batch(self, versions: list[ObjectVersion]) -> set[str]:
        raise TransientError("S3 is down")


def test_a_failed_delete_leaves_the_asset_claimed_and_unrestorable(repository, store, s3_client, now):
    # Given a trashed asset and an S3 that fails
    trashed = new_asset(created_at=now - 5 * DAY, trashed_at=now - DAY)
    stored = store_asset(repository, store, trashed)

    # When it is deleted forever
    with pytest.raises(DeletionFailed):
        delete_forever(stored, repository=repository, store=BrokenStore(store, s3_client), now=now)

    # Then the record stays, refuses a restore, and a retry finishes it
    with pytest.raises(Conflict):
        patch_asset(
            owner=trashed.owner,
            asset_id=trashed.id,
            request=PatchRequest(trashed=False),
            gallery=gallery_at(repository, store, now),
        )
    delete_forever(repository.get(trashed.owner, trashed.id), repository=repository, store=store, now=now)
    assert record_ids(repository) == set()
    assert bucket_keys(s3_client) == set()
