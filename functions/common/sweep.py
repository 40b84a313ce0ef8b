"""Lost S3 events: re-trigger the pipeline for originals whose asset is still `pending` or `processing`.

`pending` means the upload's event never came; `processing` means a reprocess's did not.

The re-trigger is a copy of the object onto itself, which makes S3 emit a fresh ObjectCreated event, so the
exact same pipeline runs (locally through the notification queue, on AWS through the Lambda trigger). This
module never imports Pillow: the gallery API uses it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from functions.common.errors import NotFound
from functions.common.models import Asset, AssetStatus
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.system import PURGE_SHARDS

_UNFINISHED = frozenset({AssetStatus.PENDING, AssetStatus.PROCESSING})


@dataclass
class SweepResult:
    """How many assets were announced again, and why the others that should have been were not."""

    swept: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # asset id (or the shard whose Query failed) -> reason


def retrigger(asset: Asset, *, store: ObjectStore) -> bool:
    """Make S3 announce the asset's original again; False when there is no original to announce."""
    return store.rewrite_in_place(asset.original_key)


def _sweep_one(owner: str, asset_id: str, *, repository: AssetRepository, store: ObjectStore) -> bool:
    try:
        asset = repository.get(owner, asset_id).asset
    except NotFound:
        return False
    if asset.status not in _UNFINISHED or asset.deleting:
        return False
    return retrigger(asset, store=store)


def sweep_unfinished(
    *, now: datetime, repository: AssetRepository, store: ObjectStore, older_than: timedelta
) -> SweepResult:
    """Re-trigger every asset unfinished since before `now - older_than` whose original exists.

    One asset (or shard) that fails is reported and never stops the others; the next run tries it again.
    """
    cutoff = now - older_than
    result = SweepResult()
    for shard in range(PURGE_SHARDS):
        try:
            unfinished = list(repository.unfinished_before(shard, cutoff))
        except Exception as error:  # a failed Query loses only its shard for this run
            result.failed[f"shard {shard}"] = f"sweep selection failed: {error}"
            continue
        for owner, asset_id in unfinished:
            try:
                if _sweep_one(owner, asset_id, repository=repository, store=store):
                    result.swept += 1
            except Exception as error:  # one failing asset never stops the others
                result.failed[asset_id] = f"sweep failed: {error}"
    return result
