"""Thumbnail (and poster) and preview objects follow the record: each has a random key, and only the keys the asset
records are kept (the thumbnail and the preview are written together and recorded in one write).

A thumbnail is written before the conditional write that records it. Once the write holds, the thumbnail it
replaces goes (every version: the bucket is versioned); when it does not hold (the asset moved on, vanished, or a
concurrent delivery got there first), the one just written goes instead, so a repeated event leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from functions.common.bucket_ports import ObjectDeleter, ObjectWriter
from functions.common.deletion import delete_objects_forever
from functions.common.errors import NotFound
from functions.common.models import Asset
from functions.common.object_keys import new_thumb_key
from functions.common.ports import AssetRecords


class RenditionStore(ObjectWriter, ObjectDeleter, Protocol):
    """Writes renditions, and deletes one forever when its sibling could not be written."""


def write_renditions(webp: bytes, preview: bytes | None, *, store: RenditionStore) -> dict[str, str | None]:
    """Write the thumbnail (or poster) and its preview at fresh random keys: the record's `thumb_key`, `preview_key`.

    A preview whose thumbnail fails to be written is recorded nowhere, so it goes at once rather than stay an orphan.
    """
    preview_key = None
    if preview is not None:
        preview_key = new_thumb_key()
        store.write(preview_key, preview, "image/webp")
    key = new_thumb_key()
    try:
        store.write(key, webp, "image/webp")
    except Exception:
        if preview_key is not None:
            delete_objects_forever([preview_key], store=store)
        raise
    return {"thumb_key": key, "preview_key": preview_key}


def superseded_thumb(replaced: Asset) -> str | None:
    """The thumbnail an asset had before an update: its recorded key, or an owner/id key if it was processed before."""
    if replaced.thumb_key is not None:
        return replaced.thumb_key
    # Processed (it has an eTag) with no recorded key: a thumbnail from before keys were random may be there.
    return replaced.thumb_object_key if replaced.original_etag is not None else None


def _recorded(key: str, prior: Asset, *, repository: AssetRecords) -> bool:
    """Whether the asset records `key` now (after an error the write may still have held); True if that is unknown."""
    try:
        return key in _derivatives(repository.get(prior.owner, prior.id).asset)
    except NotFound:
        return False
    except Exception:  # a thumbnail nobody records costs bytes; a record pointing at nothing costs the owner an image
        return True


def _derivatives(asset: Asset) -> tuple[str | None, str | None]:
    """The thumbnail (poster) and preview keys an asset records."""
    return asset.thumb_key, asset.preview_key


def _superseded(update: dict[str, Any], replaced: Asset, written: list[str]) -> list[str]:
    """The derivatives `update` replaced: each it sets (to a key or None) whose previous object it does not keep."""
    old = [superseded_thumb(replaced) if "thumb_key" in update else None]
    old.append(replaced.preview_key if "preview_key" in update else None)
    return [key for key in old if key is not None and key not in written]


def record(
    update: dict[str, Any],
    write: Callable[[], tuple[str, Asset | None]],
    *,
    prior: Asset,
    repository: AssetRecords,
    store: ObjectDeleter,
) -> str:
    """`write()` the update (it returns the outcome and the asset it replaced, None when it did not write), then
    delete the thumbnail and preview made obsolete: the replaced ones if the write held, else those `update` brought."""
    written = [key for key in (update.get("thumb_key"), update.get("preview_key")) if key]
    try:
        outcome, replaced = write()
    except Exception:
        if written and not _recorded(written[0], prior, repository=repository):
            delete_objects_forever(written, store=store)
        raise
    if replaced is None:
        if written:
            delete_objects_forever(written, store=store)
    elif old := _superseded(update, replaced, written):
        delete_objects_forever(old, store=store)
    return outcome
