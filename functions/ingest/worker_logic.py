"""The ingest worker: fetch the source until it is ready or the deadline passes, then store it like an upload.

The format comes from the bytes: an image is probed as an upload is and written whole; a video (told by
`sniff_video`) is streamed from its spooled body under `videos/` and left `processing` for the video function.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from functions.common.bucket_ports import ObjectWriter, StreamWriter
from functions.common.clock import Clock
from functions.common.duplicates import DUPLICATE_CODE, find_duplicate
from functions.common.errors import NotFound
from functions.common.formats import AssetKind, sniff_video
from functions.common.images import ImageRejected, probe
from functions.common.models import Asset, AssetError, AssetStatus
from functions.common.retries import retry_on_conflict
from functions.ingest.body import SpooledBody
from functions.ingest.fetcher import Fetched
from functions.ingest.in_flight import IngestRecords
from functions.ingest.outcomes import FetchBlocked, SourceNotReady, SourceTimeout, SourceTooLarge, SourceUnreachable

log = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 15.0
MAX_RETRY_AFTER_SECONDS = 60.0
# A star or trash landing between the worker's read and write is retried; this many in a row is a real fault.
_WRITE_ATTEMPTS = 5
_MESSAGES = {
    "source_blocked": FetchBlocked.MESSAGE,
    "source_timeout": "The source did not deliver the file before the deadline.",
    "source_unreachable": "The source could not be fetched.",
    "source_too_large": "The source is larger than the size limit.",
    "source_not_image": "The source is not an accepted image or video.",
    "image_too_complex": "The source is an image that costs far more to decode than its size allows.",
}
# What an upload would be refused with, as the ingested asset's failure code (anything else: not an image).
_PROBE_CODES = {"image_too_large": "source_too_large", "image_too_complex": "image_too_complex"}


class Fetcher(Protocol):
    def fetch(self, url: str, *, deadline: float) -> Fetched: ...


class IngestJob(BaseModel):
    """What the API hands the worker."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    owner: str = Field(min_length=1)
    asset_id: str = Field(alias="assetId", min_length=1)


class IngestStore(ObjectWriter, StreamWriter, Protocol):
    """Images are written whole, videos streamed from their spooled body."""


@dataclass(frozen=True)
class IngestWorker:
    repository: IngestRecords
    store: IngestStore
    clock: Clock
    fetcher: Fetcher
    max_image_pixels: int
    deadline_seconds: int
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic


class _Failed(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def run_ingest(job: IngestJob, *, worker: IngestWorker) -> str:
    """Finish one `ingesting` asset; returns what happened. Safe to run twice: a finished asset is left alone."""
    outcome = _run(job, worker)
    # Whatever the outcome (stored, failed, duplicate, or already finished by an earlier run that died before this
    # line), the user's place is free again; an exception leaves it held for Lambda's retry.
    worker.repository.free_ingest_slots(job.owner, [job.asset_id])
    return outcome


def _run(job: IngestJob, worker: IngestWorker) -> str:
    try:
        asset = worker.repository.get(job.owner, job.asset_id).asset
    except NotFound:
        return "gone"
    if asset.status != AssetStatus.INGESTING or asset.source_url is None:
        return "skipped"
    # The deadline counts from when this worker starts: a job queued behind other users' ingests gets its whole
    # budget. A retried invocation starts again, bounded by Lambda's two retries of an asynchronous event.
    deadline = worker.monotonic() + worker.deadline_seconds
    try:
        with _fetch_until_ready(asset.source_url, deadline, worker).body as body:
            return _store(asset, body, worker)
    except _Failed as failure:
        log.info("ingest %s failed: %s %s", asset.id, failure.code, failure.detail)
        _update(
            asset,
            worker,
            status=AssetStatus.FAILED,
            error=AssetError(code=failure.code, message=_MESSAGES[failure.code]),
        )
        return failure.code


def _fetch_until_ready(url: str, deadline: float, worker: IngestWorker) -> Fetched:
    """Retry "not ready" answers and network failures with backoff (honouring Retry-After) until the deadline."""
    attempt = 0
    last_code = "source_timeout"
    while True:
        try:
            return worker.fetcher.fetch(url, deadline=deadline)
        except FetchBlocked as error:
            raise _Failed("source_blocked", error.reason) from error
        except SourceTooLarge as error:
            raise _Failed("source_too_large", str(error)) from error
        except SourceTimeout as error:
            raise _Failed(last_code, str(error)) from error
        except SourceUnreachable as error:
            if not error.retryable:
                raise _Failed("source_unreachable", str(error)) from error
            last_code, delay = "source_unreachable", _backoff(attempt)
        except SourceNotReady as error:
            last_code = "source_timeout"
            hint = error.retry_after
            delay = _backoff(attempt) if hint is None else min(hint, MAX_RETRY_AFTER_SECONDS)
        if worker.monotonic() + delay >= deadline:
            raise _Failed(last_code, "deadline reached while the source was not ready")
        worker.sleep(delay)
        attempt += 1


def _backoff(attempt: int) -> float:
    return float(min(FIRST_BACKOFF_SECONDS * 2**attempt, MAX_BACKOFF_SECONDS))


def _store(asset: Asset, body: SpooledBody, worker: IngestWorker) -> str:
    """Validate exactly like an upload; a duplicate points at the existing asset, else the original is written."""
    video_mime = sniff_video(body.head)
    data = b""
    if video_mime is None:
        data = body.data()
        try:
            facts = probe(data, max_pixels=worker.max_image_pixels)
        except ImageRejected as rejected:
            code = _PROBE_CODES.get(rejected.code, "source_not_image")
            raise _Failed(code, rejected.message) from rejected
        kind, mime = AssetKind.IMAGE, facts.mime
        shape: dict[str, Any] = {"width": facts.width, "height": facts.height}
    else:
        # The fetcher capped it at the video limit; the video function probes it (and refuses it) when it lands.
        kind, mime, shape = AssetKind.VIDEO, video_mime, {}
    existing = find_duplicate(worker.repository, asset.owner, body.sha256)
    if existing is not None and existing.id != asset.id:
        message = f"The same {kind} is already asset {existing.id}."
        _update(
            asset,
            worker,
            status=AssetStatus.FAILED,
            sha256=body.sha256,
            error=AssetError(code=DUPLICATE_CODE, message=message),
        )
        return DUPLICATE_CODE
    # `processing` first: the thumbnail and video functions only work on pending/processing assets when the object
    # lands. Its bytes count towards the owner's usage from here (the repository counts the record's `stored_bytes`).
    # The kind goes in the same write: it decides `original_key` (`videos/…` for a video).
    facts_update: dict[str, Any] = {"kind": kind, "mime": mime, "size": body.size, "stored_bytes": body.size, **shape}
    stored = _update(asset, worker, status=AssetStatus.PROCESSING, sha256=body.sha256, **facts_update)
    if stored is None:
        return "skipped"
    try:
        if kind is AssetKind.VIDEO:
            worker.store.write_stream(stored.original_key, body.reader(), body.size, mime)
        else:
            worker.store.write(stored.original_key, data, mime)
    except Exception:
        _update(stored, worker, expect=AssetStatus.PROCESSING, status=AssetStatus.INGESTING, stored_bytes=0)
        raise  # the asynchronous invocation is retried by Lambda
    return "stored"


def _update(
    asset: Asset, worker: IngestWorker, expect: AssetStatus = AssetStatus.INGESTING, **changes: Any
) -> Asset | None:
    """Apply `changes` if the asset is still in `expect`, re-reading on a concurrent write (a star, a trash)."""

    def attempt() -> Asset | None:
        try:
            stored = worker.repository.get(asset.owner, asset.id)
        except NotFound:
            return None
        if stored.asset.status != expect:
            return None
        updated = stored.asset.model_copy(update={**changes, "updated_at": worker.clock()})
        worker.repository.replace(stored, updated)
        return updated

    gave_up = "The asset kept changing while ingest tried to update it."
    return retry_on_conflict(attempt, attempts=_WRITE_ATTEMPTS, gave_up=gave_up)
