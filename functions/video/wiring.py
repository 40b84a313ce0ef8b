"""The video function's collaborators, built from its settings (the idempotency table included)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from functions.common.range_storage import RangedObjectStore
from functions.common.settings import VideoSettings, settings_for
from functions.common.wiring import Collaborators, data_access
from functions.system import IDEMPOTENCY_KEY_ATTRIBUTE
from functions.video.logic import VideoProcessor
from functions.video.probe import VideoLimits


def build(settings: VideoSettings | None = None) -> VideoProcessor:
    settings = settings or settings_for(VideoSettings)
    return VideoProcessor(
        **data_access(settings) | {"store": RangedObjectStore(settings.media_bucket_name)},
        box=settings.thumbnail_size,
        preview_box=settings.preview_size,
        limits=VideoLimits(
            max_pixels=settings.max_video_pixels,
            max_seconds=settings.max_video_seconds,
            max_bytes=settings.max_video_bytes,
        ),
        idempotency_store=DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table_name, key_attr=IDEMPOTENCY_KEY_ATTRIBUTE
        ),
    )


collaborators = Collaborators(build)
