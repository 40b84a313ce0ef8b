"""Gallery logic on moto: views read only what they return, trash and restore, bulk and delete forever.

Logic that needs no AWS behaviour (retries, bulk outcomes, emptying the trash, outages) is tested over in-memory
fakes in tests/unit/test_gallery_logic_units.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest

from functions.common.errors import Conflict, InvalidCursor, NotFound, NotInTrash
from functions.common.models import AssetType, View
from functions.common.repository import AssetRepository
from functions.common.repository.tooling import dynamodb_client
from functions.common.storage import ObjectStore
from functions.gallery import logic
from functions.gallery.models import BulkAction, BulkRequest, PatchRequest
from tests.builders import make_assets, new_gallery, trash
from tests.fakes import Ticking


@pytest.fixture
def gallery(repository: AssetRepository, store: ObjectStore, now: datetime) -> logic.Gallery:
    return new_gallery(repository, store, Ticking(now))


@pytest.fixture
def items_read(repository: AssetRepository) -> Iterator[list[int]]:
    """Counts the items every DynamoDB Query and Scan reads (ScannedCount), via botocore's event hooks."""
    counts: list[int] = []

    def count(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("Query", "Scan"):
            counts.append(int(parsed.get("ScannedCount", 0)))
        if model.name == "Scan":
            raise AssertionError("the gallery must never Scan")

    client = dynamodb_client(repository)
    client.meta.events.register("after-call.dynamodb", count)
    yield counts
    client.meta.events.unregister("after-call.dynamodb", count)


def list_ids(gallery: logic.Gallery, owner: str, view: View = View.ALL, **kwargs: Any) -> list[str]:
    page = logic.list_gallery(
        owner=owner,
        view=view,
        asset_type=kwargs.get("asset_type"),
        limit=kwargs.get("limit", 100),
        cursor=kwargs.get("cursor"),
        gallery=gallery,
    )
    return [item.id for item in page.items]


def test_a_page_reads_only_the_items_it_returns_plus_one(gallery: logic.Gallery, items_read: list[int]) -> None:
    # Given 12 active items and 40 in the trash, newest in the trash
    active = make_assets(gallery, "alice", 12)
    trashed = make_assets(gallery, "alice", 40)
    trash(gallery, "alice", trashed)
    items_read.clear()

    # When the first page of 5 of "all" is listed
    page = logic.list_gallery(owner="alice", view=View.ALL, asset_type=None, limit=5, cursor=None, gallery=gallery)

    # Then it shows the newest active items and read one query of at most 6 items
    assert [item.id for item in page.items] == [asset.id for asset in reversed(active)][:5]
    assert items_read == [6]
    assert page.next_cursor


def test_pages_cover_a_view_exactly_once(gallery: logic.Gallery) -> None:
    # Given 7 starred among 15
    made = make_assets(gallery, "alice", 15)
    for asset in made[::2]:
        logic.patch_asset(owner="alice", asset_id=asset.id, request=PatchRequest(starred=True), gallery=gallery)

    # When the starred view is read 3 at a time
    seen: list[str] = []
    cursor = None
    while True:
        page = logic.list_gallery(
            owner="alice", view=View.STARRED, asset_type=None, limit=3, cursor=cursor, gallery=gallery
        )
        seen += [item.id for item in page.items]
        cursor = page.next_cursor
        if not cursor:
            break

    # Then every starred item appears once, newest first
    assert seen == [asset.id for asset in reversed(made[::2])]


def test_trash_is_most_recently_trashed_first_and_excluded_elsewhere(gallery: logic.Gallery) -> None:
    # Given three items, the oldest trashed last
    first, second, third = make_assets(gallery, "alice", 3, starred=True)
    trash(gallery, "alice", [second, first])

    # Then trash lists by trash time, all and starred exclude the trash
    assert list_ids(gallery, "alice", View.TRASH) == [first.id, second.id]
    assert list_ids(gallery, "alice") == [third.id]
    assert list_ids(gallery, "alice", View.STARRED) == [third.id]


def test_asset_type_filter_reads_its_own_partition(gallery: logic.Gallery, items_read: list[int]) -> None:
    # Given 3 generated among 10 uploads
    make_assets(gallery, "alice", 10)
    generated = make_assets(gallery, "alice", 3, asset_type=AssetType.GENERATED)
    items_read.clear()

    # When filtering by type
    shown = list_ids(gallery, "alice", asset_type=AssetType.GENERATED, limit=10)

    # Then only those are read
    assert shown == [asset.id for asset in reversed(generated)]
    assert items_read == [3]


def test_users_never_see_each_other(gallery: logic.Gallery) -> None:
    (mine,) = make_assets(gallery, "alice", 1)
    make_assets(gallery, "bob", 2)
    assert list_ids(gallery, "alice") == [mine.id]
    with pytest.raises(NotFound):
        logic.get_asset(owner="bob", asset_id=mine.id, gallery=gallery)
    with pytest.raises(NotFound):
        logic.patch_asset(owner="bob", asset_id=mine.id, request=PatchRequest(starred=True), gallery=gallery)


def test_cursor_of_another_view_is_refused(gallery: logic.Gallery) -> None:
    make_assets(gallery, "alice", 3)
    page = logic.list_gallery(owner="alice", view=View.ALL, asset_type=None, limit=1, cursor=None, gallery=gallery)
    assert page.next_cursor
    with pytest.raises(InvalidCursor):
        list_ids(gallery, "alice", View.TRASH, cursor=page.next_cursor)


def test_delete_forever_only_from_trash_and_removes_objects(
    gallery: logic.Gallery, store: ObjectStore, s3_client: Any
) -> None:
    # Given an asset with its original and thumbnail stored
    (asset,) = make_assets(gallery, "alice", 1)
    store.write(asset.original_key, b"original", "image/png")
    store.write(asset.thumb_object_key, b"thumb", "image/webp")

    # Then deleting it outside the trash is refused and keeps everything
    with pytest.raises(NotInTrash):
        logic.delete_asset(owner="alice", asset_id=asset.id, gallery=gallery)
    assert store.head(asset.original_key) is not None

    # When it is trashed and deleted forever
    trash(gallery, "alice", [asset])
    logic.delete_asset(owner="alice", asset_id=asset.id, gallery=gallery)

    # Then record, original and thumbnail are gone
    with pytest.raises(NotFound):
        gallery.repository.get("alice", asset.id)
    assert store.head(asset.original_key) is None and store.head(asset.thumb_object_key) is None


def test_a_restore_racing_a_deletion_is_never_lost(gallery: logic.Gallery) -> None:
    # Given a trashed asset that a deletion has read
    (asset,) = make_assets(gallery, "alice", 1)
    trash(gallery, "alice", [asset])
    stale = gallery.repository.get("alice", asset.id)

    # When the user restores it before the deletion writes
    logic.patch_asset(owner="alice", asset_id=asset.id, request=PatchRequest(trashed=False), gallery=gallery)

    # Then the deletion loses and the asset stays
    from functions.common.deletion import delete_forever

    with pytest.raises(Conflict):
        delete_forever(stale, repository=gallery.repository, store=gallery.store, now=gallery.clock())
    assert gallery.repository.get("alice", asset.id).asset.trashed_at is None


def test_bulk_reports_each_outcome(gallery: logic.Gallery) -> None:
    # Given one trashed and one active asset of alice and one of bob
    trashed, active = make_assets(gallery, "alice", 2)
    (bobs,) = make_assets(gallery, "bob", 1)
    trash(gallery, "alice", [trashed])

    # When alice bulk-deletes all three and an unknown id
    response = logic.bulk_action(
        owner="alice",
        request=BulkRequest(action=BulkAction.DELETE, ids=[trashed.id, active.id, bobs.id, "nope"]),
        gallery=gallery,
    )

    # Then the trashed one is deleted, the active one conflicts, the others are not found
    outcome = {result.id: result.result for result in response.results}
    assert outcome == {trashed.id: "ok", active.id: "conflict", bobs.id: "not_found", "nope": "not_found"}
    assert list_ids(gallery, "alice") == [active.id]
    assert list_ids(gallery, "bob") == [bobs.id]


def test_download_url_names_the_file(gallery: logic.Gallery) -> None:
    (asset,) = make_assets(gallery, "alice", 1)
    url = logic.download_url(owner="alice", asset_id=asset.id, gallery=gallery)
    assert "response-content-disposition=attachment" in url
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url


def test_boto3_is_not_left_pointing_anywhere_real() -> None:
    assert boto3.session.Session().region_name == "us-east-1"
