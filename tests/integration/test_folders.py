"""Folders on moto: a folder page is one Query of page + 1, counts and covers follow trash, restore, move and delete,
and nobody sees or changes another user's folders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.common.errors import FolderNotEmpty, FolderNotFound, InvalidCursor, TooManyFolders
from functions.common.models import Asset, AssetStatus, Folder, View
from functions.common.repository import AssetRepository
from functions.common.repository.tooling import dynamodb_client, every_asset
from functions.gallery import folders, logic
from functions.gallery.folders import FolderRequest
from functions.gallery.models import BulkAction, BulkRequest, PatchRequest
from tests.api_events import FakeContext, http_event
from tests.builders import make_assets, new_gallery, trash
from tests.fakes import Ticking


@pytest.fixture
def gallery(repository: AssetRepository, store: Any, now: datetime) -> logic.Gallery:
    return new_gallery(repository, store, Ticking(now))


@pytest.fixture
def items_read(repository: AssetRepository) -> Iterator[list[int]]:
    """The items every Query reads (ScannedCount); a Scan fails the test."""
    counts: list[int] = []

    def count(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            counts.append(int(parsed.get("ScannedCount", 0)))
        if model.name == "Scan":
            raise AssertionError("the gallery must never Scan")

    client = dynamodb_client(repository)
    client.meta.events.register("after-call.dynamodb", count)
    yield counts
    client.meta.events.unregister("after-call.dynamodb", count)


def new_folder(gallery: logic.Gallery, owner: str = "alice", name: str = "Trips") -> str:
    return folders.create_folder(owner=owner, request=FolderRequest(name=name), gallery=gallery).id


def move(gallery: logic.Gallery, owner: str, assets: list[Asset], folder_id: str | None) -> None:
    request = BulkRequest(action=BulkAction.MOVE, ids=[asset.id for asset in assets], folder_id=folder_id)
    results = logic.bulk_action(owner=owner, request=request, gallery=gallery).results
    assert {result.result for result in results} == {"ok"}


def listed(gallery: logic.Gallery, folder_id: str, view: View = View.ALL, **kwargs: Any) -> list[str]:
    page = logic.list_gallery(
        owner=kwargs.get("owner", "alice"),
        view=view,
        asset_type=None,
        limit=kwargs.get("limit", 100),
        cursor=kwargs.get("cursor"),
        folder_id=folder_id,
        gallery=gallery,
    )
    return [item.id for item in page.items]


def shown(gallery: logic.Gallery, folder_id: str, owner: str = "alice") -> dict[str, Any]:
    items = folders.list_folders(owner=owner, gallery=gallery).items
    return next(folder.model_dump() for folder in items if folder.id == folder_id)


def test_a_folder_page_reads_only_the_items_it_returns_plus_one(gallery: logic.Gallery, items_read: list[int]) -> None:
    # Given 30 assets, 12 of them in a folder, 4 of those trashed
    folder = new_folder(gallery)
    made = make_assets(gallery, "alice", 30)
    inside = made[5:17]
    move(gallery, "alice", inside, folder)
    trash(gallery, "alice", inside[:4])
    items_read.clear()

    # When the folder's first page of 5 is listed
    page = logic.list_gallery(
        owner="alice", view=View.ALL, asset_type=None, limit=5, cursor=None, folder_id=folder, gallery=gallery
    )

    # Then it is the folder's 5 newest not in the trash, read with one Query of 6 items
    assert [item.id for item in page.items] == [asset.id for asset in reversed(inside[4:])][:5]
    assert items_read == [6]
    assert all(item.folder_id == folder for item in page.items)
    # And the following pages hold the rest exactly once, each another Query of at most page + 1
    ids = [item.id for item in page.items]
    cursor = page.next_cursor
    while cursor:
        following = logic.list_gallery(
            owner="alice", view=View.ALL, asset_type=None, limit=5, cursor=cursor, folder_id=folder, gallery=gallery
        )
        ids += [item.id for item in following.items]
        cursor = following.next_cursor
    assert ids == [asset.id for asset in reversed(inside[4:])]
    assert max(items_read) <= 6 and len(items_read) == 2
    # And the folder's trash and starred views are its own
    assert listed(gallery, folder, View.TRASH) == [asset.id for asset in reversed(inside[:4])]
    assert listed(gallery, folder, View.STARRED) == []


def test_a_cursor_of_one_folder_is_refused_for_another(gallery: logic.Gallery) -> None:
    # Given two folders and a cursor of the first
    first, second = new_folder(gallery, name="a"), new_folder(gallery, name="b")
    move(gallery, "alice", make_assets(gallery, "alice", 3), first)
    page = logic.list_gallery(
        owner="alice", view=View.ALL, asset_type=None, limit=1, cursor=None, folder_id=first, gallery=gallery
    )
    assert page.next_cursor
    # When it is used on the second, or on the whole gallery / Then it is refused
    with pytest.raises(InvalidCursor):
        listed(gallery, second, cursor=page.next_cursor)
    with pytest.raises(InvalidCursor):
        logic.list_gallery(
            owner="alice", view=View.ALL, asset_type=None, limit=1, cursor=page.next_cursor, gallery=gallery
        )


def test_counts_and_cover_follow_trash_restore_move_and_delete(gallery: logic.Gallery) -> None:
    # Given a folder holding three ready assets and a pending one (the newest)
    folder = new_folder(gallery)
    ready = make_assets(gallery, "alice", 3)
    (pending,) = make_assets(gallery, "alice", 1, status=AssetStatus.PENDING)
    move(gallery, "alice", [*ready, pending], folder)
    assert shown(gallery, folder)["asset_count"] == 4
    # Then the cover is the newest ready asset's thumbnail
    assert ready[2].id in shown(gallery, folder)["cover_thumb_url"]

    # When the newest ready one is trashed: it leaves the count and the cover
    trash(gallery, "alice", [ready[2]])
    assert shown(gallery, folder)["asset_count"] == 3
    assert ready[1].id in shown(gallery, folder)["cover_thumb_url"]
    # When it is restored: it comes back
    logic.patch_asset(owner="alice", asset_id=ready[2].id, request=PatchRequest(trashed=False), gallery=gallery)
    assert shown(gallery, folder)["asset_count"] == 4
    assert ready[2].id in shown(gallery, folder)["cover_thumb_url"]
    # When one moves out with a PATCH, and one is deleted forever through the trash
    logic.patch_asset(owner="alice", asset_id=ready[0].id, request=PatchRequest(folder_id=None), gallery=gallery)
    trash(gallery, "alice", [ready[1]])
    logic.empty_trash(owner="alice", gallery=gallery)
    # Then the count is what is left, and the folder item agrees
    assert shown(gallery, folder)["asset_count"] == 2
    assert gallery.repository.get_folder("alice", folder).members == 2
    assert sorted(listed(gallery, folder)) == sorted([ready[2].id, pending.id])


def test_deleting_a_folder_needs_it_empty_or_moves_its_assets_out(gallery: logic.Gallery) -> None:
    # Given a folder with one asset in the trash and one not
    folder = new_folder(gallery)
    made = make_assets(gallery, "alice", 2)
    move(gallery, "alice", made, folder)
    trash(gallery, "alice", made[:1])
    # When it is deleted plainly / Then it is not empty (the trash counts)
    with pytest.raises(FolderNotEmpty):
        folders.delete_folder(owner="alice", folder_id=folder, move_assets_out=False, gallery=gallery)
    # When its assets are moved out
    folders.delete_folder(owner="alice", folder_id=folder, move_assets_out=True, gallery=gallery)
    # Then it is gone, and its assets (the trashed one too) are in no folder
    assert folders.list_folders(owner="alice", gallery=gallery).items == []
    assert [asset.folder_id for asset in every_asset(gallery.repository)] == [None, None]  # type: ignore[arg-type]
    with pytest.raises(FolderNotFound):
        folders.delete_folder(owner="alice", folder_id=folder, move_assets_out=True, gallery=gallery)


def test_nobody_sees_or_changes_another_users_folders(gallery: logic.Gallery) -> None:
    # Given alice's folder holding an asset, and bob's asset
    folder = new_folder(gallery)
    move(gallery, "alice", make_assets(gallery, "alice", 1), folder)
    (bobs,) = make_assets(gallery, "bob", 1)
    # Then bob lists no folder and nothing in hers
    assert folders.list_folders(owner="bob", gallery=gallery).items == []
    assert listed(gallery, folder, owner="bob") == []
    # And he can neither rename nor delete it, nor move his asset into it
    with pytest.raises(FolderNotFound):
        folders.rename_folder(owner="bob", folder_id=folder, request=FolderRequest(name="mine"), gallery=gallery)
    with pytest.raises(FolderNotFound):
        folders.delete_folder(owner="bob", folder_id=folder, move_assets_out=True, gallery=gallery)
    with pytest.raises(FolderNotFound):
        logic.patch_asset(owner="bob", asset_id=bobs.id, request=PatchRequest(folder_id=folder), gallery=gallery)
    # And hers is unchanged
    assert shown(gallery, folder)["name"] == "Trips" and shown(gallery, folder)["asset_count"] == 1
    assert gallery.repository.get("bob", bobs.id).asset.folder_id is None


def test_an_asset_cannot_enter_a_folder_deleted_meanwhile(gallery: logic.Gallery) -> None:
    # Given an asset and a folder that is deleted after the asset was read
    folder = new_folder(gallery)
    (asset,) = make_assets(gallery, "alice", 1)
    stored = gallery.repository.get("alice", asset.id)
    gallery.repository.delete_folder("alice", folder)
    # When the asset is written into it / Then the write is refused whole
    with pytest.raises(FolderNotFound):
        gallery.repository.replace(stored, stored.asset.model_copy(update={"folder_id": folder}))
    assert gallery.repository.get("alice", asset.id).asset.folder_id is None


def test_at_most_max_folders_per_user(repository: AssetRepository, now: datetime) -> None:
    # Given a user at a limit of 2 folders
    for number in range(2):
        repository.create_folder(
            Folder(owner="alice", id=f"01KB{number:022d}", name=str(number), created_at=now, updated_at=now),
            max_folders=2,
        )
    third = Folder(owner="alice", id="01KC" + "0" * 22, name="third", created_at=now, updated_at=now)
    # When a third is created / Then it is refused, for her only
    with pytest.raises(TooManyFolders):
        repository.create_folder(third, max_folders=2)
    repository.create_folder(third.model_copy(update={"owner": "bob"}), max_folders=2)
    # And deleting one makes room again
    repository.delete_folder("alice", "01KB" + "0" * 22)
    repository.create_folder(third, max_folders=2)
    assert [folder.name for folder in repository.folders("alice")] == ["1", "third"]


# The handler: routes, status codes and problem+json


@pytest.fixture
def api(api_environment: None) -> Any:
    from functions.gallery import handler

    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
        raw = None if body is None else json.dumps(body)
        response = handler.handler(http_event(method, path, body=raw, **kwargs), FakeContext())
        return response["statusCode"], json.loads(response["body"] or "null"), response.get("headers", {})

    return call


def test_the_folder_routes_end_to_end_through_the_handler(
    api: Any, repository: AssetRepository, gallery: logic.Gallery
) -> None:
    # Given an asset
    (asset,) = make_assets(gallery, "alice", 1)
    # When a folder is created (its name trimmed), the asset moved in and the folder renamed
    status, folder, _ = api("POST", "/folders", {"name": "  Trips  "})
    assert status == 201 and folder["name"] == "Trips" and folder["assetCount"] == 0
    status, moved, _ = api("PATCH", f"/assets/{asset.id}", {"folderId": folder["id"]})
    assert status == 200 and moved["folderId"] == folder["id"]
    status, renamed, _ = api("PATCH", f"/folders/{folder['id']}", {"name": "Holidays"})
    # Then the folder lists with its count and cover, and the gallery lists the folder's assets
    assert status == 200 and renamed["name"] == "Holidays" and renamed["assetCount"] == 1
    status, listing, _ = api("GET", "/folders")
    assert status == 200 and [item["name"] for item in listing["items"]] == ["Holidays"]
    assert listing["items"][0]["coverThumbUrl"]
    status, page, _ = api("GET", "/gallery", query={"folderId": folder["id"]})
    assert status == 200 and [item["id"] for item in page["items"]] == [asset.id]
    # And deleting it needs moveAssetsOut
    status, problem, headers = api("DELETE", f"/folders/{folder['id']}")
    assert status == 409 and problem["code"] == "folder_not_empty"
    assert headers["Content-Type"] == "application/problem+json"
    status, _, _ = api("DELETE", f"/folders/{folder['id']}", query={"moveAssetsOut": "true"})
    assert status == 204
    assert api("GET", f"/assets/{asset.id}")[1]["folderId"] is None


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "status", "code"),
    [
        ("POST", "/folders", {"name": "   "}, None, 422, "validation_error"),
        ("POST", "/folders", {"name": "x" * 101}, None, 422, "validation_error"),
        ("POST", "/folders", {"name": 5}, None, 422, "validation_error"),
        ("POST", "/folders", {"title": "x"}, None, 422, "validation_error"),
        ("PATCH", "/folders/01KB0000000000000000000000", {"name": "x"}, None, 404, "folder_not_found"),
        ("PATCH", "/folders/not-a-ulid", {"name": "x"}, None, 404, "folder_not_found"),
        ("DELETE", "/folders/01KB0000000000000000000000", None, None, 404, "folder_not_found"),
        ("DELETE", "/folders/01KB0000000000000000000000", None, {"moveAssetsOut": "maybe"}, 422, "validation_error"),
        (
            "POST",
            "/assets/bulk",
            {"action": "move", "ids": ["01KB0000000000000000000000"]},
            None,
            422,
            "validation_error",
        ),
        (
            "POST",
            "/assets/bulk",
            {"action": "star", "ids": ["01KB0000000000000000000000"], "folderId": None},
            None,
            422,
            "validation_error",
        ),
        (
            "POST",
            "/assets/bulk",
            {"action": "move", "ids": ["01KB0000000000000000000000"], "folderId": "01KB0000000000000000000000"},
            None,
            404,
            "folder_not_found",
        ),
        ("GET", "/gallery", None, {"folderId": "x" * 65}, 422, "validation_error"),
    ],
)
def test_bad_folder_input_is_problem_json(
    api: Any, method: str, path: str, body: Any, query: dict[str, str] | None, status: int, code: str
) -> None:
    # When / Then
    answered, problem, headers = api(method, path, body, query=query)
    assert (answered, problem["code"]) == (status, code)
    assert headers["Content-Type"] == "application/problem+json"


def test_patching_an_asset_into_an_unknown_folder_is_folder_not_found(api: Any, gallery: logic.Gallery) -> None:
    # Given an asset
    (asset,) = make_assets(gallery, "alice", 1)
    # When it is moved to a folder that does not exist / Then 404 and it stays where it was
    for unknown in ("01KB0000000000000000000000", "nope"):
        status, problem, _ = api("PATCH", f"/assets/{asset.id}", {"folderId": unknown})
        assert (status, problem["code"]) == (404, "folder_not_found")
    assert api("GET", f"/assets/{asset.id}")[1]["folderId"] is None


def test_the_purge_takes_expired_assets_out_of_their_folder(
    repository: AssetRepository, store: Any, now: datetime
) -> None:
    from functions.purge.logic import purge
    from tests.integration.purge_support import new_asset, purge_settings, store_asset, unlimited_time

    # Given a folder holding an asset trashed 31 days ago and one not trashed
    folder = Folder(owner="alice", id="01KB" + "0" * 22, name="old", created_at=now, updated_at=now)
    repository.create_folder(folder, max_folders=10)
    expired = new_asset(created_at=now, trashed_at=now - timedelta(days=31)).model_copy(update={"folder_id": folder.id})
    kept = new_asset(created_at=now).model_copy(update={"folder_id": folder.id})
    for asset in (expired, kept):
        store_asset(repository, store, asset)
    assert repository.get_folder("alice", folder.id).members == 2

    # When the purge runs (with its own role)
    report = purge(now=now, settings=purge_settings(), repository=repository, store=store, time_left_ms=unlimited_time)

    # Then the expired one is gone from the folder too, which can now be deleted once the other leaves
    assert report.purged == 1
    left = repository.get_folder("alice", folder.id)
    assert (left.asset_count, left.members) == (1, 1)
    with pytest.raises(FolderNotEmpty):
        repository.delete_folder("alice", folder.id)
