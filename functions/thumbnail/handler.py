"""S3 ObjectCreated on `originals/` → thumbnail, dimensions and status on the asset."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.clock import utc_now
from functions.common.repository import AssetRepository
from functions.common.settings import ThumbnailSettings, settings_for
from functions.common.storage import ObjectStore
from functions.thumbnail.logic import Thumbnailer, process_original

logger = Logger(service="thumbnail")


@lru_cache(maxsize=1)
def _thumbnailer() -> Thumbnailer:
    settings = settings_for(ThumbnailSettings)
    return Thumbnailer(
        repository=AssetRepository(settings.asset_table_name),
        store=ObjectStore(settings.media_bucket_name),
        clock=utc_now,
        box=settings.thumbnail_size,
        max_pixels=settings.max_image_pixels,
        max_bytes=settings.asset_max_image_mb * 1024 * 1024,
    )


@logger.inject_lambda_context
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    outcomes = {}
    for record in event.records:
        key = unquote_plus(record.s3.get_object.key)
        outcomes[key] = process_original(key, thumbnailer=_thumbnailer())
        logger.info("original processed", extra={"key": key, "outcome": outcomes[key]})
    return {"outcomes": outcomes}
