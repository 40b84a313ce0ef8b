"""Folder logic: create, list (with counts and covers), rename, delete (moving the assets out when asked)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from functions.common.errors import Conflict, FolderNotFound, NotFound
from functions.common.ids import is_ulid, new_ulid
from functions.common.models import CamelModel, Folder, FolderOut
from functions.common.presenter import thumb_url
from functions.common.retries import retry_on_conflict
from functions.gallery.logic import Gallery
from functions.system import MAX_FOLDER_NAME, MAX_FOLDERS

# Whitespace as every engine that reads the name counts it: the document's `\S` is ECMA-262's (JSON Schema), which
# does not count U+001C..U+001F and U+0085, Python's `str.strip` does, and neither agrees on U+FEFF. A name must hold
# a character outside the union, and is trimmed of the union, so what the schema allows is what the server accepts.
_WHITESPACE_RANGES = (
    (0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF),
)  # fmt: skip
_WHITESPACE = "".join(chr(code) for first, last in _WHITESPACE_RANGES for code in range(first, last + 1))
_NOT_WHITESPACE = (
    "[^"
    + "".join(f"\\u{first:04x}" + (f"-\\u{last:04x}" if last > first else "") for first, last in _WHITESPACE_RANGES)
    + "]"
)


def _trimmed(name: str) -> str:
    if not (trimmed := name.strip(_WHITESPACE)):
        raise ValueError("a folder name needs more than whitespace")
    return trimmed


FolderName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_FOLDER_NAME, pattern=_NOT_WHITESPACE),
    AfterValidator(_trimmed),
]


class FolderRequest(CamelModel):
    name: FolderName


class FolderList(CamelModel):
    items: list[FolderOut]


def _known(folder_id: str) -> str:
    """An id that is not a ULID can never be a folder: unknown without becoming a key."""
    if not is_ulid(folder_id):
        raise FolderNotFound("No such folder.")
    return folder_id


def show_folder(folder: Folder, *, gallery: Gallery) -> FolderOut:
    """The folder with its cover: the thumbnail of its newest ready asset not in the trash (one Query, one item)."""
    cover = gallery.repository.folder_cover(folder.owner, folder.id) if folder.asset_count else None
    url = None
    if cover is not None:
        now, ttl = gallery.clock(), gallery.read_ttl_seconds
        url = thumb_url(cover, store=gallery.store, ttl_seconds=ttl, now=now).url
    return FolderOut(
        id=folder.id,
        name=folder.name,
        asset_count=folder.asset_count,
        cover_thumb_url=url,
        created_at=folder.created_at,
        updated_at=folder.updated_at,
    )


def create_folder(*, owner: str, request: FolderRequest, gallery: Gallery) -> FolderOut:
    now = gallery.clock()
    folder = Folder(owner=owner, id=new_ulid(now), name=request.name, created_at=now, updated_at=now)
    return show_folder(gallery.repository.create_folder(folder, max_folders=MAX_FOLDERS), gallery=gallery)


def list_folders(*, owner: str, gallery: Gallery) -> FolderList:
    """Every folder of the caller, by name."""
    return FolderList(items=[show_folder(folder, gallery=gallery) for folder in gallery.repository.folders(owner)])


def rename_folder(*, owner: str, folder_id: str, request: FolderRequest, gallery: Gallery) -> FolderOut:
    renamed = gallery.repository.rename_folder(owner, _known(folder_id), request.name, gallery.clock())
    return show_folder(renamed, gallery=gallery)


def delete_folder(*, owner: str, folder_id: str, move_assets_out: bool, gallery: Gallery) -> None:
    """Delete an empty folder; with `move_assets_out`, its assets (the trash included) first leave it.

    An asset being deleted forever is left alone (its deletion takes it out), so the folder is then still not empty.
    """
    folder = gallery.repository.get_folder(owner, _known(folder_id))
    if folder.members and move_assets_out:
        for asset in list(gallery.repository.folder_members(owner, folder.id)):
            try:
                retry_on_conflict(partial(_move_out, owner, asset.id, folder.id, gallery), attempts=2)
            except (NotFound, Conflict):
                continue
    gallery.repository.delete_folder(owner, folder.id)


def _move_out(owner: str, asset_id: str, folder_id: str, gallery: Gallery) -> None:
    stored = gallery.repository.get(owner, asset_id)
    if stored.asset.folder_id != folder_id or stored.asset.deleting:
        return
    update = {"folder_id": None, "updated_at": gallery.clock()}
    gallery.repository.replace(stored, stored.asset.model_copy(update=update))
