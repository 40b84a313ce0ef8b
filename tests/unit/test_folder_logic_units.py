"""Folder logic over in-memory collaborators: names, move's rules, unknown ids that never become keys, counts.

What DynamoDB does (one Query per page, transactional counts, covers) is tested on moto in
tests/integration/test_folders.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from functions.common.errors import Conflict, FolderNotFound, InvalidRequest
from functions.common.models import View
from functions.gallery import folders, logic
from functions.gallery.folders import FolderRequest
from functions.gallery.models import BulkAction, BulkRequest, PatchRequest
from tests.builders import make_assets, new_gallery, trash
from tests.fakes import MemoryAssets, MemoryStore, Ticking

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
UNKNOWN = "01KB0000000000000000000000"


def gallery(repository: MemoryAssets | None = None) -> logic.Gallery:
    return new_gallery(repository or MemoryAssets(), MemoryStore(), Ticking(NOW))


def test_a_folder_name_is_trimmed_and_1_to_100_characters() -> None:
    # Then
    assert FolderRequest(name="  Trips \n").name == "Trips"
    assert len(FolderRequest(name="x" * 100).name) == 100
    for bad in ("", "   ", "x" * 101):
        with pytest.raises(ValidationError):
            FolderRequest(name=bad)


def _documented_name_pattern() -> str:
    schema = FolderRequest.model_json_schema(by_alias=True)
    return schema["properties"]["name"]["pattern"]


def test_the_document_and_the_api_agree_on_every_one_character_name() -> None:
    # Given the pattern the OpenAPI document gives a folder name, which the fuzzer reads as ECMA-262 (\S there does
    # not cover U+001C..U+001F or U+0085, Python's does) — so it is spelt without \s or \S, read alike by both
    pattern = _documented_name_pattern()
    assert "\\s" not in pattern.lower()
    # When every character of the BMP is a name on its own
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        name = chr(code)
        documented = re.search(pattern, name) is not None
        try:
            FolderRequest(name=name)
            accepted = True
        except ValidationError:
            accepted = False
        # Then the API accepts exactly the names the document allows
        assert accepted == documented, hex(code)


@pytest.mark.parametrize("blank", ["\u0085", "\x1c\x1f", "\x1d", "\u00a0\u3000", "\t\u2028", "\ufeff"])
def test_a_name_of_whitespace_is_refused_and_a_name_is_trimmed_of_it(blank: str) -> None:
    # Given a name of characters some engine counts as whitespace
    assert re.search(_documented_name_pattern(), blank) is None
    # When / Then the API refuses it, and trims them around a real name
    with pytest.raises(ValidationError):
        FolderRequest(name=blank)
    assert FolderRequest(name=f"{blank}Trips{blank}").name == "Trips"


def test_move_needs_a_folder_id_and_no_other_action_takes_one() -> None:
    # Given an asset
    on = gallery()
    (asset,) = make_assets(on, "alice", 1)
    # When / Then
    with pytest.raises(InvalidRequest):
        logic.bulk_action(owner="alice", request=BulkRequest(action=BulkAction.MOVE, ids=[asset.id]), gallery=on)
    request = BulkRequest(action=BulkAction.STAR, ids=[asset.id], folder_id=None)
    with pytest.raises(InvalidRequest):
        logic.bulk_action(owner="alice", request=request, gallery=on)


def test_bulk_move_to_null_takes_assets_out_and_counts_follow() -> None:
    # Given three assets in a folder, one of them trashed
    repository = MemoryAssets()
    on = gallery(repository)
    folder = folders.create_folder(owner="alice", request=FolderRequest(name="f"), gallery=on).id
    made = make_assets(on, "alice", 3)
    moved = logic.bulk_action(
        owner="alice",
        request=BulkRequest(action=BulkAction.MOVE, ids=[a.id for a in made], folder_id=folder),
        gallery=on,
    )
    assert [result.asset.folder_id for result in moved.results if result.asset] == [folder] * 3
    trash(on, "alice", made[:1])
    assert repository.get_folder("alice", folder).asset_count == 2
    # When two are moved out with `folderId: null`
    request = BulkRequest(action=BulkAction.MOVE, ids=[a.id for a in made[1:]], folder_id=None)
    logic.bulk_action(owner="alice", request=request, gallery=on)
    # Then only the trashed one is still a member, and it is in no count shown
    kept = repository.get_folder("alice", folder)
    assert (kept.asset_count, kept.members) == (0, 1)
    assert [
        item.id
        for item in logic.list_gallery(
            owner="alice", view=View.TRASH, asset_type=None, limit=10, cursor=None, folder_id=folder, gallery=on
        ).items
    ] == [made[0].id]


def test_ids_that_are_no_ulid_are_unknown_folders_without_a_lookup() -> None:
    # Given an asset
    repository = MemoryAssets()
    on = gallery(repository)
    (asset,) = make_assets(on, "alice", 1)
    # When the gallery lists a folder id that is no ULID / Then nothing, and no page was read
    page = logic.list_gallery(
        owner="alice", view=View.ALL, asset_type=None, limit=10, cursor=None, folder_id="../x", gallery=on
    )
    assert page.items == [] and repository.folder_pages == []
    # And moving to one, renaming or deleting one is `folder_not_found`
    with pytest.raises(FolderNotFound):
        logic.patch_asset(owner="alice", asset_id=asset.id, request=PatchRequest(folder_id="x"), gallery=on)
    with pytest.raises(FolderNotFound):
        folders.rename_folder(owner="alice", folder_id="x", request=FolderRequest(name="y"), gallery=on)
    with pytest.raises(FolderNotFound):
        folders.delete_folder(owner="alice", folder_id="x", move_assets_out=True, gallery=on)


def test_bulk_move_to_an_unknown_folder_is_refused_whole() -> None:
    # Given an asset
    on = gallery()
    (asset,) = make_assets(on, "alice", 1)
    # When it is moved to a folder that does not exist / Then nothing moved
    request = BulkRequest(action=BulkAction.MOVE, ids=[asset.id], folder_id=UNKNOWN)
    with pytest.raises(FolderNotFound):
        logic.bulk_action(owner="alice", request=request, gallery=on)
    assert on.repository.get("alice", asset.id).asset.folder_id is None


def test_an_asset_being_deleted_cannot_change_folder() -> None:
    # Given a trashed asset a deletion has claimed, and a folder
    on = gallery()
    folder = folders.create_folder(owner="alice", request=FolderRequest(name="f"), gallery=on).id
    (asset,) = make_assets(on, "alice", 1, trashed_at=NOW, deleting=True)
    # When it is moved / Then it is a conflict
    with pytest.raises(Conflict):
        logic.patch_asset(owner="alice", asset_id=asset.id, request=PatchRequest(folder_id=folder), gallery=on)


def test_an_empty_patch_names_folder_id_among_the_fields() -> None:
    # Given an asset
    on = gallery()
    (asset,) = make_assets(on, "alice", 1)
    # When nothing is patched / Then the message lists folderId too
    with pytest.raises(InvalidRequest, match="folderId"):
        logic.patch_asset(owner="alice", asset_id=asset.id, request=PatchRequest(), gallery=on)
