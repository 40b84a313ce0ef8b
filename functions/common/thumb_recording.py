"""Thumbnail (and poster) objects follow the record: each has a random key, and only the key the asset records is kept.

A thumbnail is written before the conditional write that records it. Once the write holds, the thumbnail it
replaces goes (every version: the bucket is versioned); when it does not hold (the asset moved on, vanished, or a
concurrent delivery got there first), the one just written goes instead, so a repeated event leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from functions.common.deletion import delete_objects_forever
from functions.common.errors import NotFound
from functions.common.models import Asset
from functions.common.ports import AssetRecords, ObjectDeleter


def superseded_thumb(replaced: Asset) -> str | None:
    """The thumbnail an asset had before an update: its recorded key, or an owner/id key if it was processed before."""
    if replaced.thumb_key is not None:
        return replaced.thumb_key
    # Processed (it has an eTag) with no recorded key: a thumbnail from before keys were random may be there.
    return replaced.thumb_object_key if replaced.original_etag is not None else None


def _recorded(key: str, prior: Asset, *, repository: AssetRecords) -> bool:
    """Whether the asset records `key` now (after an error the write may still have held); True if that is unknown."""
    try:
        return repository.get(prior.owner, prior.id).asset.thumb_key == key
    except NotFound:
        return False
    except Exception:  # a thumbnail nobody records costs bytes; a record pointing at nothing costs the owner an image
        return True


def record(
    update: dict[str, Any],
    write: Callable[[], tuple[str, Asset | None]],
    *,
    prior: Asset,
    repository: AssetRecords,
    store: ObjectDeleter,
) -> str:
    """`write()` the update (it returns the outcome and the asset it replaced, None when it did not write), then
    delete the thumbnail made obsolete: the replaced one when the write held, else the one `update` brought."""
    written: str | None = update.get("thumb_key")
    try:
        outcome, replaced = write()
    except Exception:
        if written and not _recorded(written, prior, repository=repository):
            delete_objects_forever([written], store=store)
        raise
    if replaced is None:
        if written:
            delete_objects_forever([written], store=store)
    elif "thumb_key" in update and (old := superseded_thumb(replaced)) not in (None, written):
        delete_objects_forever([old], store=store)
    return outcome
