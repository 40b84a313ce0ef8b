"""Gallery logic over in-memory collaborators: patch retries, bulk outcomes, emptying the trash, outages.

What DynamoDB does (views read only what they return, owners' keys, claims' conditions) is tested on moto in
tests/integration/test_gallery_logic.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.common.clock import epoch_ms, fixed_clock
from functions.common.errors import Conflict, NotFound
from functions.common.models import View
from functions.gallery import logic
from functions.gallery.models import BulkAction, BulkRequest, PatchRequest
from tests.builders import make_assets, new_gallery, trash
from tests.fakes import MemoryAssets, MemoryStore, Ticking

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def gallery(repository: MemoryAssets | None = None, store: MemoryStore | None = None) -> logic.Gallery:
    return new_gallery(repository or MemoryAssets(), store or MemoryStore(), Ticking(NOW))


def ids_in(on: logic.Gallery, owner: str, view: View = View.ALL) -> list[str]:
    page = logic.list_gallery(owner=owner, view=view, asset_type=None, limit=100, cursor=None, gallery=on)
    return [item.id for item in page.items]


def test_a_trashed_asset_shows_its_purge_time_retention_days_later() -> None:
    # Given an asset
    on = gallery()
    (asset,) = make_assets(on, "alice", 1)
    # When it is trashed
    shown = logic.patch_asset(owner="alice", asset_id=asset.id, request=PatchRequest(trashed=True), gallery=on)
    # Then its purge time is the trash time plus the retention
    assert shown.trashed_at is not None and shown.purge_at == shown.trashed_at + timedelta(days=30)


def test_a_patch_that_loses_to_a_concurrent_write_is_retried_once_on_a_fresh_read() -> None:
    # Given an asset whose next write loses to a concurrent one
    on = gallery()
    (asset,) = make_assets(on, "alice", 1)
    on.repository.conflicts = 1  # type: ignore[attr-defined]
    # When it is starred
    shown = logic.patch_asset(owner="alice", asset_id=asset.id, request=PatchRequest(starred=True), gallery=on)
    # Then the second attempt wins
    assert shown.starred and on.repository.get("alice", asset.id).asset.starred


def test_a_patch_that_loses_twice_is_a_conflict() -> None:
    # Given an asset whose next two writes lose
    on = gallery()
    (asset,) = make_assets(on, "alice", 1)
    on.repository.conflicts = 2  # type: ignore[attr-defined]
    # When it is starred / Then the caller hears of the conflict and nothing changed
    with pytest.raises(Conflict):
        logic.patch_asset(owner="alice", asset_id=asset.id, request=PatchRequest(starred=True), gallery=on)
    assert not on.repository.get("alice", asset.id).asset.starred


def test_restoring_an_asset_being_deleted_is_a_conflict_without_a_retry() -> None:
    # Given a trashed asset a deletion has claimed
    repository = MemoryAssets()
    on = gallery(repository)
    (asset,) = make_assets(on, "alice", 1, trashed_at=NOW, deleting=True)
    # When it is restored / Then it is refused after one read (reading again changes nothing) and stays in the trash
    with pytest.raises(Conflict):
        logic.patch_asset(owner="alice", asset_id=asset.id, request=PatchRequest(trashed=False), gallery=on)
    assert repository.reads == 1
    assert repository.get("alice", asset.id).asset.in_trash


def test_bulk_ids_that_are_no_ulid_are_not_found_without_being_looked_up() -> None:
    # Given one asset
    repository = MemoryAssets()
    on = gallery(repository)
    (asset,) = make_assets(on, "alice", 1)
    # When a bulk star names it and two ids that cannot exist
    response = logic.bulk_action(
        owner="alice", request=BulkRequest(action=BulkAction.STAR, ids=[asset.id, "nope", "../x"]), gallery=on
    )
    # Then only the ULID was looked up, once, and each id has its outcome
    assert repository.batch_gets == [[asset.id]]
    assert [(r.id, r.result) for r in response.results] == [
        (asset.id, "ok"),
        ("nope", "not_found"),
        ("../x", "not_found"),
    ]


def test_bulk_star_returns_the_updated_assets() -> None:
    # Given three assets
    on = gallery()
    made = make_assets(on, "alice", 3)
    # When they are starred in bulk
    response = logic.bulk_action(
        owner="alice", request=BulkRequest(action=BulkAction.STAR, ids=[a.id for a in made]), gallery=on
    )
    # Then each result carries its starred asset, and the starred view holds them
    assert all(result.result == "ok" and result.asset and result.asset.starred for result in response.results)
    assert sorted(ids_in(on, "alice", View.STARRED)) == sorted(a.id for a in made)


def test_empty_trash_deletes_only_the_callers_trash_with_its_objects() -> None:
    # Given alice's two trashed and one active asset, bob's trashed one, each with an original
    store = MemoryStore()
    on = gallery(store=store)
    mine, theirs = make_assets(on, "alice", 3), make_assets(on, "bob", 1)
    for asset in mine + theirs:
        store.write(asset.original_key, b"original", "image/png")
    trash(on, "alice", mine[:2])
    trash(on, "bob", theirs)
    # When alice empties her trash
    deleted = logic.empty_trash(owner="alice", gallery=on).deleted
    # Then her two are gone with their originals; her active asset and bob's trash stay
    assert deleted == 2
    assert ids_in(on, "alice") == [mine[2].id] and ids_in(on, "alice", View.TRASH) == []
    assert ids_in(on, "bob", View.TRASH) == [theirs[0].id]
    assert set(store.objects) == {mine[2].original_key, theirs[0].original_key}


def test_a_failing_deletion_costs_only_its_own_item_and_keeps_it_claimed() -> None:
    # Given two trashed assets and an S3 that refuses deletes
    store = MemoryStore()
    on = gallery(store=store)
    made = make_assets(on, "alice", 2)
    trash(on, "alice", made)
    store.down = True
    # When alice bulk-deletes them and empties her trash
    bulk = logic.bulk_action(
        owner="alice", request=BulkRequest(action=BulkAction.DELETE, ids=[a.id for a in made]), gallery=on
    )
    emptied = logic.empty_trash(owner="alice", gallery=on)
    # Then every item gets its own outcome, nothing is lost, and each stays claimed (no restore can bring it back)
    assert [result.result for result in bulk.results] == ["conflict", "conflict"]
    assert emptied.deleted == 0
    assert sorted(ids_in(on, "alice", View.TRASH)) == sorted(a.id for a in made)
    assert all(on.repository.get("alice", a.id).asset.deleting for a in made)


class RecordingClaims(MemoryAssets):
    def __init__(self) -> None:
        super().__init__()
        self.claimed_at: list[int] = []

    def claim_for_deletion(self, candidate: Any, *, now_ms: int, lease_ms: int | None) -> Any:
        self.claimed_at.append(now_ms)
        return super().claim_for_deletion(candidate, now_ms=now_ms, lease_ms=lease_ms)


def test_deleting_forever_claims_as_of_the_gallerys_clock() -> None:
    # Given a trashed asset and a gallery whose clock is years from the wall clock
    repository = RecordingClaims()
    then = datetime(2001, 1, 1, tzinfo=UTC)
    on = replace(gallery(repository), clock=fixed_clock(then))
    (asset,) = make_assets(on, "alice", 1)
    trash(on, "alice", [asset])
    # When it is deleted forever
    logic.delete_asset(owner="alice", asset_id=asset.id, gallery=on)
    # Then its claim was taken at the gallery's time, and it is gone
    assert repository.claimed_at == [epoch_ms(then)]
    with pytest.raises(NotFound):
        repository.get("alice", asset.id)
