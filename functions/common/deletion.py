"""Deleting an asset forever: the one code path for DELETE, bulk delete, emptying the trash and the purge."""

from __future__ import annotations

from functions.common.errors import NotInTrash
from functions.common.repository import AssetRepository, StoredAsset
from functions.common.storage import ObjectStore


def delete_forever(stored: StoredAsset, *, repository: AssetRepository, store: ObjectStore) -> None:
    """Claim the asset, remove the original and every derivative, then the record; only from the trash.

    The claim is a conditional write (the record as it was read, still in the trash), so a restore that
    happened after the asset was read wins and this raises `Conflict`; once claimed, a restore is refused.
    Objects go before the record so a crash leaves a claimed record that a rerun finishes (a missing object
    counts as deleted), never an orphan object.
    """
    if not stored.asset.in_trash:
        raise NotInTrash("Only assets in the trash can be deleted forever; move it to the trash first.")
    claimed = stored
    if not stored.asset.deleting:
        claimed = repository.replace(stored, stored.asset.model_copy(update={"deleting": True}))
    store.delete_many([claimed.asset.original_key, claimed.asset.thumb_key])
    repository.delete(claimed)
