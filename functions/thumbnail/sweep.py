"""Lost S3 events: re-trigger the pipeline for originals that arrived but whose asset is still `pending`.

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


def retrigger(asset: Asset, *, store: ObjectStore) -> bool:
    """Make S3 announce the asset's original again; False when there is no original to announce."""
    return store.rewrite_in_place(asset.original_key)


def sweep_pending(*, now: datetime, repository: AssetRepository, store: ObjectStore, older_than: timedelta) -> int:
    """Re-trigger every asset `pending` since before `now - older_than` whose original exists; returns how many."""
    cutoff = now - older_than
    retriggered = 0
    for shard in range(PURGE_SHARDS):
        for owner, asset_id in list(repository.pending_created_before(shard, cutoff)):
            try:
                asset = repository.get(owner, asset_id).asset
            except NotFound:
                continue
            if asset.status != AssetStatus.PENDING or asset.deleting:
                continue
            if retrigger(asset, store=store):
                retriggered += 1
    return retriggered
