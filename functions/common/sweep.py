"""Lost S3 events: re-trigger the pipeline for originals whose asset is still `pending` or `processing`.

`pending` means the upload's event never came; `processing` means a reprocess's did not.

Each re-trigger is counted on the asset (`retriggers`, reset when the pipeline finishes it). An asset still
unfinished after `MAX_RETRIGGERS` of them is not a lost event but one the pipeline cannot finish (it keeps failing
its retries): the sweep then marks it `failed` (`processing_failed`) instead of re-triggering it for ever.

The re-trigger is a copy of the object onto itself, which makes S3 emit a fresh ObjectCreated event, so the
exact same pipeline runs (locally through the notification queue, on AWS through the Lambda trigger). The purge
sweeps; the gallery's reprocess re-triggers one asset, so this module never imports Pillow.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from functions.common.bucket_ports import ObjectRewriter
from functions.common.errors import Conflict, NotFound
from functions.common.models import UNFINISHED_STATUSES, Asset, AssetError, AssetStatus
from functions.common.ports import UnfinishedRecords
from functions.system import PURGE_SHARDS

# Each sweep waits for Lambda's own retries (two, for an async invocation) to run out first, so three re-triggers
# are at least nine attempts of the same bytes.
MAX_RETRIGGERS = 3
PROCESSING_FAILED = AssetError(code="processing_failed", message="The image could not be processed.")


@dataclass
class SweepResult:
    """How many assets were announced again, and why the others that should have been were not."""

    swept: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # asset id (or the shard whose Query failed) -> reason
    gave_up: list[str] = field(default_factory=list)  # asset ids marked `failed` (`processing_failed`) this run


def retrigger(asset: Asset, *, store: ObjectRewriter) -> bool:
    """Make S3 announce the asset's original again; False when there is no original to announce."""
    return store.rewrite_in_place(asset.original_key)


def _sweep_one(
    owner: str, asset_id: str, *, now: datetime, repository: UnfinishedRecords, store: ObjectRewriter
) -> str | None:
    """ "swept", "gave_up", or None when there was nothing to do."""
    try:
        stored = repository.get(owner, asset_id)
    except NotFound:
        return None
    asset = stored.asset
    if asset.status not in UNFINISHED_STATUSES or asset.deleting:
        return None
    if asset.retriggers >= MAX_RETRIGGERS:
        update = {"status": AssetStatus.FAILED, "error": PROCESSING_FAILED, "updated_at": now, "retriggers": 0}
        try:
            repository.replace(stored, asset.model_copy(update=update))
        except Conflict:  # written meanwhile (finished, trashed, ...): judged again on the next run
            return None
        return "gave_up"
    if not retrigger(asset, store=store):
        return None
    # Counted after the announcement, so a missing original costs nothing; a conflict means the pipeline (or a
    # user) wrote meanwhile, which is progress, not a failure to count.
    with suppress(Conflict):
        repository.replace(stored, asset.model_copy(update={"retriggers": asset.retriggers + 1}))
    return "swept"


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
                outcome = _sweep_one(owner, asset_id, now=now, repository=repository, store=store)
            except Exception as error:  # one failing asset never stops the others
                result.failed[asset_id] = f"sweep failed: {error}"
                continue
            if outcome == "swept":
                result.swept += 1
            elif outcome == "gave_up":
                result.gave_up.append(asset_id)
    return result
