"""Thumbnail logic: S3 ObjectCreated events in, WebP thumbnails and recorded facts out.

S3 delivers at least once and out of order, so every step is safe to repeat: a duplicate event is answered
from the idempotency store, an event for an object replaced since is skipped, and the asset is only written
with a conditional write: forward from `pending`/`processing`, or again when its original's bytes changed.
Each thumbnail (and its preview, #17) gets a new random key, recorded in that write; the key it replaces is
deleted once the write holds, and one written for a write that did not hold is deleted at once, so a repeat
leaves no object behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import thumb_recording as recording
from functions.common.bucket_ports import ThumbnailStore
from functions.common.clock import Clock
from functions.common.formats import AssetKind
from functions.common.images import ImageRejected
from functions.common.models import AssetError, AssetStatus
from functions.common.object_events import (
    REPLACEABLE_STATUSES,
    CreatedObject,
    RecordsFailed,
    admit,
    created_objects,
    finish,
    process_each_once,
)
from functions.common.objects import ObjectChanged
from functions.common.ports import AssetRecords, StoredAsset
from functions.thumbnail.imaging import Thumbnail, make_thumbnail

__all__ = ["CreatedObject", "RecordsFailed", "Thumbnailer", "created_objects", "process_created", "process_event"]

_GAVE_UP = "The asset kept changing while its thumbnail was recorded."


@dataclass(frozen=True)
class Thumbnailer:
    """The collaborators and limits of the pipeline."""

    repository: AssetRecords
    store: ThumbnailStore
    clock: Clock
    box: int
    max_pixels: int
    max_bytes: int
    idempotency_store: BasePersistenceLayer | None = None  # None: no duplicate suppression (unit tests only)
    make: Callable[..., Thumbnail] = make_thumbnail
    preview_box: int | None = None  # the preview's longest side (#17); None: no preview (older unit tests)


def _failure(code: str, message: str, *, thumbnailer: Thumbnailer) -> dict[str, Any]:
    return {
        "status": AssetStatus.FAILED,
        "updated_at": thumbnailer.clock(),
        "error": AssetError(code=code, message=message),
        "retriggers": 0,
        "thumb_key": None,  # no thumbnail describes these bytes; one of earlier bytes is deleted with the write
        "preview_key": None,  # nor a preview
    }


def _render(stored: StoredAsset, data: bytes, sha256: str, *, thumbnailer: Thumbnailer) -> dict[str, Any]:
    """Make and store the thumbnail; the update that marks the asset ready, or failed for a poison image."""
    try:
        thumb = thumbnailer.make(
            data, box=thumbnailer.box, max_pixels=thumbnailer.max_pixels, preview_box=thumbnailer.preview_box
        )
    except ImageRejected as rejected:
        return _failure(rejected.code, rejected.message, thumbnailer=thumbnailer)
    # The preview shares the thumbnail's prefix and key shape: the same grants, and its key reveals nothing either.
    return recording.write_renditions(thumb.webp, thumb.preview, store=thumbnailer.store) | {
        "status": AssetStatus.READY,
        "updated_at": thumbnailer.clock(),
        "width": thumb.width,
        "height": thumb.height,
        "mime": thumb.mime,
        "size": len(data),
        "sha256": sha256,
        "placeholder": thumb.placeholder,
        "error": None,
        "retriggers": 0,  # finished: a later reprocess gets the sweep's full allowance again
    }


def _update_for(stored: StoredAsset, created: CreatedObject, size: int, *, thumbnailer: Thumbnailer) -> dict[str, Any]:
    """What the record must say about the announced bytes; reads them unless they are over the size limit."""
    asset = stored.asset
    replacing = asset.status in REPLACEABLE_STATUSES
    sha256: str | None = None
    if size > thumbnailer.max_bytes:
        update = _failure("image_too_large", "The file is larger than allowed.", thumbnailer=thumbnailer)
    else:
        data = thumbnailer.store.read(created.key, etag=created.etag)  # exactly the announced bytes, or ObjectChanged
        sha256 = hashlib.sha256(data).hexdigest()
        if replacing and sha256 == asset.sha256:  # the same bytes under another eTag: nothing to redo
            return {"status": asset.status, "original_etag": created.etag, "original_version_id": created.version_id}
        update = _render(stored, data, sha256, thumbnailer=thumbnailer)
    if replacing and update["status"] == AssetStatus.FAILED:  # what described the previous bytes goes with them
        update |= {"sha256": sha256, "size": size, "width": None, "height": None, "placeholder": None}
    return update | {"original_etag": created.etag, "original_version_id": created.version_id}


def process_created(created: CreatedObject, *, thumbnailer: Thumbnailer) -> str:
    """Thumbnail one new original and record what it is (ready, or failed); returns what happened.

    A `ready` or `failed` asset is redone only when its original was replaced by other bytes (a presigned POST can
    be reused until it expires): the record always describes the bytes stored. Its recorded eTag makes a repeat
    delivery of the same object a no-op without any S3 call. Poison images end as `failed` and return normally;
    `TransientError` (S3, DynamoDB) propagates so Lambda retries.
    """
    admitted = admit(created, kind=AssetKind.IMAGE, repository=thumbnailer.repository, store=thumbnailer.store)
    if isinstance(admitted, str):
        return admitted
    stored, info = admitted.stored, admitted.info
    try:
        update = _update_for(stored, created, info.size, thumbnailer=thumbnailer)
    except ObjectChanged:
        return "stale"
    # The announced object is what the record now describes: its size is what the owner's usage counts (the
    # repository adds the difference to what the record counted before, in the same conditional write).
    update["stored_bytes"] = info.size
    asset = stored.asset
    write = partial(
        finish, update, created, asset, repository=thumbnailer.repository, store=thumbnailer.store, gave_up=_GAVE_UP
    )
    return recording.record(update, write, prior=asset, repository=thumbnailer.repository, store=thumbnailer.store)


def process_event(event: S3Event, *, thumbnailer: Thumbnailer, context: LambdaContext | None = None) -> dict[str, str]:
    """Every ObjectCreated record of `event`, each done once per delivery (Powertools idempotency).

    One record's failure never costs another its work: all are tried, then `RecordsFailed` asks for a retry.
    """
    return process_each_once(
        event,
        partial(process_created, thumbnailer=thumbnailer),
        idempotency_store=thumbnailer.idempotency_store,
        key_prefix="thumbnail",
        context=context,
    )
