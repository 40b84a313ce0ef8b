"""Thumbnail logic: S3 ObjectCreated events in, WebP thumbnails and recorded facts out.

S3 delivers at least once and out of order, so every step is safe to repeat: a duplicate event is answered
from the idempotency store, an event for an object replaced since is skipped, and the asset is only written
with a conditional write: forward from `pending`/`processing`, or again when its original's bytes changed.
Each thumbnail gets a new random key, recorded in that write; the key it replaces is deleted once the write holds,
and one written for a write that did not hold is deleted at once, so a repeat leaves no object behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.clock import Clock
from functions.common.errors import NotFound
from functions.common.images import ImageRejected
from functions.common.models import UNFINISHED_STATUSES, Asset, AssetError, AssetStatus
from functions.common.object_keys import new_thumb_key, parse_original_key
from functions.common.ports import AssetRecords, StoredAsset, ThumbnailStore
from functions.common.retries import retry_on_conflict
from functions.common.storage import ObjectChanged
from functions.thumbnail import recording
from functions.thumbnail.imaging import Thumbnail, make_thumbnail

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# Finished, but redone when the original was replaced by other bytes.
_REPLACEABLE_STATUSES = frozenset({AssetStatus.READY, AssetStatus.FAILED})
_WRITE_ATTEMPTS = 3


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


@dataclass(frozen=True)
class CreatedObject:
    """One ObjectCreated record: which bytes (by eTag/version) and which delivery (sequencer or event time)."""

    bucket: str
    key: str  # URL-decoded
    etag: str
    version_id: str | None
    delivery: str

    def idempotency_data(self) -> dict[str, str]:
        """What makes two deliveries "the same event": a re-sent event matches, a re-trigger (new event) does not."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "version": self.version_id or self.etag,
            "delivery": self.delivery,
        }


def created_objects(event: S3Event) -> list[CreatedObject]:
    """The ObjectCreated records of an S3 notification; `s3:TestEvent` and other event types give none."""
    if event.raw_event.get("Event") == "s3:TestEvent" or not event.raw_event.get("Records"):
        return []
    found = []
    for record in event.records:
        if not record.event_name.startswith("ObjectCreated"):
            continue
        obj = record.s3.get_object
        found.append(
            CreatedObject(
                bucket=record.s3.bucket.name,
                key=unquote_plus(obj.key),
                etag=obj.etag.strip('"'),
                version_id=obj.version_id,
                delivery=obj.get("sequencer") or record.event_time,
            )
        )
    return found


def _is_current(created: CreatedObject, *, thumbnailer: Thumbnailer) -> bool:
    """Whether the object S3 holds now is the one the event announced (else a newer event will follow)."""
    info = thumbnailer.store.stat(created.key)
    return info is not None and info.etag == created.etag


def _may_write(asset: Asset, created: CreatedObject, prior: Asset, *, thumbnailer: Thumbnailer) -> bool:
    """Whether the facts of `created` may replace what `asset` records now (`prior`: what it recorded at the start)."""
    if asset.deleting:
        return False
    if asset.status in UNFINISHED_STATUSES:
        return True
    if asset.status not in _REPLACEABLE_STATUSES or asset.original_etag == created.etag:
        return False
    # Finished meanwhile from other bytes (a concurrent delivery): only the object stored now may win.
    return asset.original_etag == prior.original_etag or _is_current(created, thumbnailer=thumbnailer)


def _finish(
    asset_update: dict[str, Any], created: CreatedObject, prior: Asset, *, thumbnailer: Thumbnailer
) -> tuple[str, Asset | None]:
    """Apply `asset_update` unless the asset moved on meanwhile (a concurrent edit is retried); and what it replaced."""

    def attempt() -> tuple[str, Asset | None]:
        try:
            stored = thumbnailer.repository.get(prior.owner, prior.id)
        except NotFound:
            return "vanished", None
        if not _may_write(stored.asset, created, prior, thumbnailer=thumbnailer):
            return "skipped", None
        thumbnailer.repository.replace(stored, stored.asset.model_copy(update=asset_update))
        return str(asset_update["status"].value), stored.asset

    gave_up = "The asset kept changing while its thumbnail was recorded."
    return retry_on_conflict(attempt, attempts=_WRITE_ATTEMPTS, gave_up=gave_up)


def _failure(code: str, message: str, *, thumbnailer: Thumbnailer) -> dict[str, Any]:
    return {
        "status": AssetStatus.FAILED,
        "updated_at": thumbnailer.clock(),
        "error": AssetError(code=code, message=message),
        "retriggers": 0,
        "thumb_key": None,  # no thumbnail describes these bytes; one of earlier bytes is deleted with the write
    }


def _render(stored: StoredAsset, data: bytes, sha256: str, *, thumbnailer: Thumbnailer) -> dict[str, Any]:
    """Make and store the thumbnail; the update that marks the asset ready, or failed for a poison image."""
    try:
        thumb = thumbnailer.make(data, box=thumbnailer.box, max_pixels=thumbnailer.max_pixels)
    except ImageRejected as rejected:
        return _failure(rejected.code, rejected.message, thumbnailer=thumbnailer)
    key = new_thumb_key()
    thumbnailer.store.write(key, thumb.webp, "image/webp")
    return {
        "thumb_key": key,
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
    replacing = asset.status in _REPLACEABLE_STATUSES
    sha256: str | None = None
    if size > thumbnailer.max_bytes:
        update = _failure("image_too_large", "The file is larger than allowed.", thumbnailer=thumbnailer)
    else:
        data = thumbnailer.store.read(created.key, etag=created.etag)  # exactly the announced bytes, or ObjectChanged
        sha256 = hashlib.sha256(data).hexdigest()
        if replacing and sha256 == asset.sha256:  # the same bytes under another eTag: nothing to redo
            return {"status": asset.status, "original_etag": created.etag}
        update = _render(stored, data, sha256, thumbnailer=thumbnailer)
    if replacing and update["status"] == AssetStatus.FAILED:  # what described the previous bytes goes with them
        update |= {"sha256": sha256, "size": size, "width": None, "height": None, "placeholder": None}
    return update | {"original_etag": created.etag}


def process_created(created: CreatedObject, *, thumbnailer: Thumbnailer) -> str:
    """Thumbnail one new original and record what it is (ready, or failed); returns what happened.

    A `ready` or `failed` asset is redone only when its original was replaced by other bytes (a presigned POST can
    be reused until it expires): the record always describes the bytes stored. Its recorded eTag makes a repeat
    delivery of the same object a no-op without any S3 call. Poison images end as `failed` and return normally;
    `TransientError` (S3, DynamoDB) propagates so Lambda retries.
    """
    parsed = parse_original_key(created.key)
    if parsed is None or created.bucket != thumbnailer.store.bucket:
        return "ignored"
    owner, asset_id = parsed
    try:
        stored = thumbnailer.repository.get(owner, asset_id)
    except NotFound:
        # Nobody asked for this object: remove it rather than adopt it.
        thumbnailer.store.delete_many([created.key])
        return "orphan_removed"
    asset = stored.asset
    if asset.deleting or asset.status not in UNFINISHED_STATUSES | _REPLACEABLE_STATUSES:
        return "skipped"
    if asset.status in _REPLACEABLE_STATUSES and asset.original_etag == created.etag:
        return "skipped"
    # A listing, not HeadObject: to this role a missing key would be a 403 (retried for ever), not a 404.
    info = thumbnailer.store.stat(created.key)
    if info is None:
        return "missing"
    if info.etag != created.etag:
        return "stale"
    try:
        update = _update_for(stored, created, info.size, thumbnailer=thumbnailer)
    except ObjectChanged:
        return "stale"
    # The announced object is what the record now describes: its size is what the owner's usage counts (the
    # repository adds the difference to what the record counted before, in the same conditional write).
    update["stored_bytes"] = info.size
    finish = partial(_finish, update, created, asset, thumbnailer=thumbnailer)
    return recording.record(update, finish, prior=asset, repository=thumbnailer.repository, store=thumbnailer.store)


class RecordsFailed(Exception):
    """Some records of an event failed (a transient error, or a bug no other record should pay for); the rest are done.

    Raised after every record was tried, so Lambda retries the event: each record is idempotent, so the retry
    redoes only the failed ones (the others answer from the idempotency store, or skip on their recorded eTag).
    """

    def __init__(self, failures: dict[str, Exception]) -> None:
        super().__init__(f"{len(failures)} record(s) failed: " + "; ".join(f"{k}: {e!r}" for k, e in failures.items()))
        self.failures = failures


def process_event(event: S3Event, *, thumbnailer: Thumbnailer, context: LambdaContext | None = None) -> dict[str, str]:
    """Every ObjectCreated record of `event`, each done once per delivery (Powertools idempotency).

    One record's failure never costs another its work: all are tried, then `RecordsFailed` asks for a retry.
    """
    outcomes: dict[str, str] = {}
    failures: dict[str, Exception] = {}
    once = _once(thumbnailer, context)
    for created in created_objects(event):
        try:
            outcomes[created.key] = once(origin=created.idempotency_data(), created=created)
        except Exception as error:  # whatever it is, it is this record's alone
            failures[created.key] = error
    if failures:
        raise RecordsFailed(failures) from next(iter(failures.values()))
    return outcomes


def _once(thumbnailer: Thumbnailer, context: LambdaContext | None) -> Callable[..., str]:
    """`process_created` keyed on the event's bucket, key, version/eTag and delivery, through the idempotency store."""

    def run(origin: dict[str, str], created: CreatedObject) -> str:
        del origin  # only the idempotency key: `created` carries the same facts, typed
        return process_created(created, thumbnailer=thumbnailer)

    if thumbnailer.idempotency_store is None:
        return run
    config = IdempotencyConfig(expires_after_seconds=IDEMPOTENCY_TTL_SECONDS)
    if context is not None:
        config.register_lambda_context(context)
    wrapped: Callable[..., str] = idempotent_function(
        run,
        data_keyword_argument="origin",
        persistence_store=thumbnailer.idempotency_store,
        config=config,
        key_prefix="thumbnail",
    )
    return wrapped
