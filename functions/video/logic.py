"""Video logic: S3 ObjectCreated events under `videos/` in, posters and recorded facts out.

The sibling of the thumbnail function, under the same delivery rules (functions/common/object_events.py): a
duplicate event is answered from the idempotency store, an event for an object replaced since is skipped, and the
asset is only written with a conditional write. The poster is the asset's thumbnail: a new random key recorded in
that write, the key it replaces deleted once the write holds (functions/common/thumb_recording.py).

The original is never downloaded: FFmpeg reads it through ranged GETs (`RangeReader`), its index and the packets
around the poster frame only. So the sha256 of its bytes is not computed here: the record keeps the one the upload
declared (a presigned POST pins it as the object's checksum, so S3 stored exactly those bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import thumb_recording as recording
from functions.common.bucket_ports import VideoStore
from functions.common.clock import Clock
from functions.common.formats import AssetKind
from functions.common.models import AssetError, AssetStatus
from functions.common.object_events import (
    REPLACEABLE_STATUSES,
    CreatedObject,
    admit,
    finish,
    process_each_once,
)
from functions.common.objects import ObjectChanged
from functions.common.ports import AssetRecords, StoredAsset
from functions.video.probe import VideoFacts, VideoLimits, VideoRejected, make_poster
from functions.video.range_reader import BLOCK_BYTES, RangeReader

logger = Logger(service="video", child=True)
_GAVE_UP = "The asset kept changing while its poster was recorded."
# What no longer describes the stored bytes once they turn out to be a poison video.
_CLEARED_ON_FAILURE = ("width", "height", "placeholder", "duration_ms", "video_codec", "has_audio", "playable")


@dataclass(frozen=True)
class VideoProcessor:
    """The collaborators and limits of the video pipeline."""

    repository: AssetRecords
    store: VideoStore
    clock: Clock
    box: int
    limits: VideoLimits
    idempotency_store: BasePersistenceLayer | None = None  # None: no duplicate suppression (unit tests only)
    make: Callable[..., VideoFacts] = make_poster
    preview_box: int | None = None  # the viewer's poster (#17); None: none (older unit tests)
    block_bytes: int = BLOCK_BYTES


def _failure(code: str, message: str, *, videos: VideoProcessor) -> dict[str, Any]:
    return {
        "status": AssetStatus.FAILED,
        "updated_at": videos.clock(),
        "error": AssetError(code=code, message=message),
        "retriggers": 0,
        "thumb_key": None,  # no poster describes these bytes; one of earlier bytes is deleted with the write
        "preview_key": None,  # nor a preview
    }


def _ready(facts: VideoFacts, size: int, *, videos: VideoProcessor) -> dict[str, Any]:
    """Store the poster; the update that marks the asset ready with what the container says."""
    # The viewer's larger poster (#17) is recorded and replaced with the poster.
    return recording.write_renditions(facts.webp, facts.preview, store=videos.store) | {
        "status": AssetStatus.READY,
        "updated_at": videos.clock(),
        "width": facts.width,
        "height": facts.height,
        "mime": facts.mime,
        "size": size,
        "duration_ms": facts.duration_ms,
        "video_codec": facts.video_codec,
        "has_audio": facts.has_audio,
        "playable": facts.playable,
        "placeholder": facts.placeholder,
        "error": None,
        "retriggers": 0,
    }


def _probe(created: CreatedObject, size: int, *, videos: VideoProcessor) -> dict[str, Any]:
    """Probe the announced bytes through ranged reads; a read error FFmpeg swallowed is raised, not recorded."""
    fetch = partial(videos.store.read_range, created.key, etag=created.etag)
    reader = RangeReader(fetch, size, block_bytes=videos.block_bytes)
    try:
        facts = videos.make(reader, box=videos.box, limits=videos.limits, preview_box=videos.preview_box)
    except VideoRejected as rejected:
        if reader.failure is not None:
            raise reader.failure from rejected
        update = _failure(rejected.code, rejected.message, videos=videos)
    else:
        if reader.failure is not None:
            raise reader.failure
        update = _ready(facts, size, videos=videos)
    logger.info(
        "video probed",
        extra={"key": created.key, "size": size, "bytes_read": reader.bytes_read, "requests": reader.requests},
    )
    return update


def _update_for(stored: StoredAsset, created: CreatedObject, size: int, *, videos: VideoProcessor) -> dict[str, Any]:
    """What the record must say about the announced bytes; reads some of them unless their size rules them out."""
    if size > videos.limits.max_bytes:
        update = _failure("video_too_large", "The file is larger than allowed.", videos=videos)
    elif size == 0:
        update = _failure("video_unreadable", "The file is empty.", videos=videos)
    else:
        update = _probe(created, size, videos=videos)
    if stored.asset.status in REPLACEABLE_STATUSES and update["status"] == AssetStatus.FAILED:
        update |= {"size": size} | dict.fromkeys(_CLEARED_ON_FAILURE)
    return update | {"original_etag": created.etag, "original_version_id": created.version_id}


def process_created(created: CreatedObject, *, videos: VideoProcessor) -> str:
    """Probe one new video original, make its poster and record what it is (ready, or failed); returns what happened.

    Poison videos end as `failed` with their code and return normally; `TransientError` (S3, DynamoDB) propagates
    so Lambda retries.
    """
    admitted = admit(created, kind=AssetKind.VIDEO, repository=videos.repository, store=videos.store)
    if isinstance(admitted, str):
        return admitted
    stored, info = admitted.stored, admitted.info
    try:
        update = _update_for(stored, created, info.size, videos=videos)
    except ObjectChanged:
        return "stale"
    update["stored_bytes"] = info.size  # what the owner's usage counts (see the thumbnail function)
    asset = stored.asset
    write = partial(finish, update, created, asset, repository=videos.repository, store=videos.store, gave_up=_GAVE_UP)
    return recording.record(update, write, prior=asset, repository=videos.repository, store=videos.store)


def process_event(event: S3Event, *, videos: VideoProcessor, context: LambdaContext | None = None) -> dict[str, str]:
    """Every ObjectCreated record of `event`, each done once per delivery (Powertools idempotency)."""
    return process_each_once(
        event,
        partial(process_created, videos=videos),
        idempotency_store=videos.idempotency_store,
        key_prefix="video",
        context=context,
    )
