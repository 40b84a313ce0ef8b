"""Lost S3 events: re-trigger the pipeline for originals whose asset is still `pending` or `processing`.

`pending` means the upload's event never came; `processing` means a reprocess's did not.

The re-trigger is a copy of the object onto itself, which makes S3 emit a fresh ObjectCreated event, so the
exact same pipeline runs (locally through the notification queue, on AWS through the Lambda trigger). The purge
sweeps; the gallery's reprocess re-triggers one asset, so this module never imports Pillow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from functions.common.errors import NotFound
from functions.common.models import UNFINISHED_STATUSES, Asset
from functions.common.ports import ObjectRewriter, UnfinishedRecords
from functions.system import PURGE_SHARDS


@dataclass
class SweepResult:
    """How many assets were announced again, and why the others that should have been were not."""

    swept: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # asset id (or the shard whose Query failed) -> reason


def retrigger(asset: Asset, *, store: ObjectRewriter) -> bool:
    """Make S3 announce the asset's original again; False when there is no original to announce."""
    return store.rewrite_in_place(asset.original_key)


def _sweep_one(owner: str, asset_id: str, *, repository: UnfinishedRecords, store: ObjectRewriter) -> bool:
    try:
        asset = repository.get(owner, asset_id).asset
    except NotFound:
        return False
    if asset.status not in UNFINISHED_STATUSES or asset.deleting:
        return False
    return retrigger(asset, store=store)


def sweep_unfinished(
    *, now: datetime, repository: UnfinishedRecords, store: ObjectRewriter, older_than: timedelta
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
