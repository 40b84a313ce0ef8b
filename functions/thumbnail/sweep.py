"""Lost S3 events: re-trigger the pipeline for originals whose asset is still `pending` or `processing`.

`pending` means the upload's event never came; `processing` means a reprocess's did not.

The re-trigger is a copy of the object onto itself, which makes S3 emit a fresh ObjectCreated event, so the
exact same pipeline runs (locally through the notification queue, on AWS through the Lambda trigger). This
module never imports Pillow: the gallery API uses it too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.common.errors import NotFound
from functions.common.models import Asset, AssetStatus
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.system import PURGE_SHARDS

_UNFINISHED = frozenset({AssetStatus.PENDING, AssetStatus.PROCESSING})


def retrigger(asset: Asset, *, store: ObjectStore) -> bool:
    """Make S3 announce the asset's original again; False when there is no original to announce."""
    return store.rewrite_in_place(asset.original_key)


def sweep_unfinished(*, now: datetime, repository: AssetRepository, store: ObjectStore, older_than: timedelta) -> int:
    """Re-trigger every asset unfinished since before `now - older_than` whose original exists; returns how many."""
    cutoff = now - older_than
    retriggered = 0
    for shard in range(PURGE_SHARDS):
        for owner, asset_id in list(repository.unfinished_before(shard, cutoff)):
            try:
                asset = repository.get(owner, asset_id).asset
            except NotFound:
                continue
            if asset.status not in _UNFINISHED or asset.deleting:
                continue
            if retrigger(asset, store=store):
                retriggered += 1
    return retriggered
