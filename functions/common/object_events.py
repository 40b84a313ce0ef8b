"""S3 ObjectCreated events for the functions that process originals (thumbnail, video), delivered at least once.

S3 delivers at least once and out of order, so every step is safe to repeat: a duplicate event is answered from
the idempotency store, one record's failure costs no other record its work, and an asset is only written with a
conditional write: forward from `pending`/`processing`, or again when its original's bytes changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import NotFound
from functions.common.formats import AssetKind
from functions.common.models import UNFINISHED_STATUSES, Asset, AssetStatus
from functions.common.object_keys import parse_original_key
from functions.common.ports import AssetRecords, StoredAsset
from functions.common.retries import retry_on_conflict

if TYPE_CHECKING:
    from functions.common.objects import ObjectInfo

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# Finished, but redone when the original was replaced by other bytes.
REPLACEABLE_STATUSES = frozenset({AssetStatus.READY, AssetStatus.FAILED})
_WRITE_ATTEMPTS = 3


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


class RecordsFailed(Exception):
    """Some records of an event failed (a transient error, or a bug no other record should pay for); the rest are done.

    Raised after every record was tried, so Lambda retries the event: each record is idempotent, so the retry
    redoes only the failed ones (the others answer from the idempotency store, or skip on their recorded eTag).
    """

    def __init__(self, failures: dict[str, Exception]) -> None:
        super().__init__(f"{len(failures)} record(s) failed: " + "; ".join(f"{k}: {e!r}" for k, e in failures.items()))
        self.failures = failures


def process_each_once(
    event: S3Event,
    process: Callable[[CreatedObject], str],
    *,
    idempotency_store: BasePersistenceLayer | None,
    key_prefix: str,
    context: LambdaContext | None = None,
) -> dict[str, str]:
    """`process` every ObjectCreated record of `event`, each once per delivery (Powertools idempotency).

    One record's failure never costs another its work: all are tried, then `RecordsFailed` asks for a retry.
    """
    outcomes: dict[str, str] = {}
    failures: dict[str, Exception] = {}
    once = _once(process, idempotency_store, key_prefix, context)
    for created in created_objects(event):
        try:
            outcomes[created.key] = once(origin=created.idempotency_data(), created=created)
        except Exception as error:  # whatever it is, it is this record's alone
            failures[created.key] = error
    if failures:
        raise RecordsFailed(failures) from next(iter(failures.values()))
    return outcomes


def _once(
    process: Callable[[CreatedObject], str],
    store: BasePersistenceLayer | None,
    key_prefix: str,
    context: LambdaContext | None,
) -> Callable[..., str]:
    """`process` keyed on the event's bucket, key, version/eTag and delivery, through the idempotency store."""

    def run(origin: dict[str, str], created: CreatedObject) -> str:
        del origin  # only the idempotency key: `created` carries the same facts, typed
        return process(created)

    if store is None:
        return run
    config = IdempotencyConfig(expires_after_seconds=IDEMPOTENCY_TTL_SECONDS)
    if context is not None:
        config.register_lambda_context(context)
    wrapped: Callable[..., str] = idempotent_function(
        run, data_keyword_argument="origin", persistence_store=store, config=config, key_prefix=key_prefix
    )
    return wrapped


class CurrentObjects(Protocol):
    """What tells whether the object S3 holds now is the announced one."""

    def stat(self, key: str) -> ObjectInfo | None: ...


def _is_current(created: CreatedObject, *, store: CurrentObjects) -> bool:
    """Whether the object S3 holds now is the one the event announced (else a newer event will follow)."""
    info = store.stat(created.key)
    return info is not None and info.etag == created.etag


def may_write(asset: Asset, created: CreatedObject, prior: Asset, *, store: CurrentObjects) -> bool:
    """Whether the facts of `created` may replace what `asset` records now (`prior`: what it recorded at the start)."""
    if asset.deleting:
        return False
    if asset.status in UNFINISHED_STATUSES:
        return True
    if asset.status not in REPLACEABLE_STATUSES or asset.original_etag == created.etag:
        return False
    # Finished meanwhile from other bytes (a concurrent delivery): only the object stored now may win.
    return asset.original_etag == prior.original_etag or _is_current(created, store=store)


def finish(
    update: dict[str, Any],
    created: CreatedObject,
    prior: Asset,
    *,
    repository: AssetRecords,
    store: CurrentObjects,
    gave_up: str,
) -> tuple[str, Asset | None]:
    """Apply `update` unless the asset moved on meanwhile (a concurrent edit is retried); and what it replaced."""

    def attempt() -> tuple[str, Asset | None]:
        try:
            stored = repository.get(prior.owner, prior.id)
        except NotFound:
            return "vanished", None
        if not may_write(stored.asset, created, prior, store=store):
            return "skipped", None
        repository.replace(stored, stored.asset.model_copy(update=update))
        return str(update["status"].value), stored.asset

    return retry_on_conflict(attempt, attempts=_WRITE_ATTEMPTS, gave_up=gave_up)


class AnnouncedOriginals(CurrentObjects, Protocol):
    """The bucket an event names, and what removes an original nobody asked for."""

    @property
    def bucket(self) -> str: ...

    def delete_many(self, keys: Iterable[str]) -> int: ...
    def head(self, key: str) -> dict[str, Any] | None: ...


def _repinned(
    stored: StoredAsset, created: CreatedObject, *, repository: AssetRecords, store: AnnouncedOriginals
) -> str:
    """The same bytes stored again as a new version (a retried upload, a copy onto itself): the record's URLs follow
    it once it is the current one, since a replaced version expires with the bucket's lifecycle rule (#17)."""
    if created.version_id in (None, stored.asset.original_version_id):
        return "skipped"
    # Existence first: HeadObject of a missing key is a 403 to a role that may not list the bucket.
    head = store.head(created.key) if store.stat(created.key) is not None else None
    if head is None or head.get("VersionId") != created.version_id:
        return "skipped"  # not (or no longer) the current version: a later event says which is
    repository.replace(stored, stored.asset.model_copy(update={"original_version_id": created.version_id}))
    return "repinned"


@dataclass(frozen=True)
class Admitted:
    """An announced original worth processing: its asset as read, and the object as S3 lists it now."""

    stored: StoredAsset
    info: ObjectInfo


def admit(
    created: CreatedObject, *, kind: AssetKind, repository: AssetRecords, store: AnnouncedOriginals
) -> Admitted | str:
    """The asset and object to process for `created`, or the outcome that says why there is nothing to do.

    A `ready` or `failed` asset is redone only when its original was replaced by other bytes (a presigned POST can
    be reused until it expires); its recorded eTag makes a repeat delivery of the same object a no-op.
    """
    parsed = parse_original_key(created.key, kind)
    if parsed is None or created.bucket != store.bucket:
        return "ignored"
    owner, asset_id = parsed
    try:
        stored = repository.get(owner, asset_id)
    except NotFound:
        # Nobody asked for this object: remove it rather than adopt it.
        store.delete_many([created.key])
        return "orphan_removed"
    asset = stored.asset
    if asset.deleting or asset.status not in UNFINISHED_STATUSES | REPLACEABLE_STATUSES:
        return "skipped"
    if asset.status in REPLACEABLE_STATUSES and asset.original_etag == created.etag:
        return _repinned(stored, created, repository=repository, store=store)
    # A listing, not HeadObject: to this role a missing key would be a 403 (retried for ever), not a 404.
    info = store.stat(created.key)
    if info is None:
        return "missing"
    if info.etag != created.etag:
        return "stale"
    return Admitted(stored, info)
