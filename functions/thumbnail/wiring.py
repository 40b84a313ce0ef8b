"""Builds the thumbnail pipeline's collaborators from its settings (real AWS clients, the idempotency table)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from functions.common.clock import utc_now
from functions.common.repository import AssetRepository
from functions.common.settings import ThumbnailSettings, settings_for
from functions.common.storage import ObjectStore
from functions.thumbnail.logic import Thumbnailer


def thumbnailer_from_settings(settings: ThumbnailSettings | None = None) -> Thumbnailer:
    settings = settings or settings_for(ThumbnailSettings)
    return Thumbnailer(
        repository=AssetRepository(settings.asset_table_name),
        store=ObjectStore(settings.media_bucket_name),
        clock=utc_now,
        box=settings.thumbnail_size,
        max_pixels=settings.max_image_pixels,
        max_bytes=settings.asset_max_image_mb * 1024 * 1024,
        idempotency_store=DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name),
    )
