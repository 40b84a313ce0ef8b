"""Builds the thumbnail pipeline's collaborators from its settings (real AWS clients, the idempotency table)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from functions.common.settings import ThumbnailSettings, settings_for
from functions.common.wiring import data_access
from functions.thumbnail.logic import Thumbnailer


def thumbnailer_from_settings(settings: ThumbnailSettings | None = None) -> Thumbnailer:
    settings = settings or settings_for(ThumbnailSettings)
    return Thumbnailer(
        **data_access(settings),
        box=settings.thumbnail_size,
        max_pixels=settings.max_image_pixels,
        max_bytes=settings.asset_max_image_mb * 1024 * 1024,
        idempotency_store=DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name),
    )
