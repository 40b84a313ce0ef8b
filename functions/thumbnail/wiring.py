"""The thumbnail function's collaborators, built from its settings (the idempotency table included)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from functions.common.settings import ThumbnailSettings, settings_for
from functions.common.wiring import Collaborators, data_access
from functions.system import IDEMPOTENCY_KEY_ATTRIBUTE
from functions.thumbnail.logic import Thumbnailer


def build(settings: ThumbnailSettings | None = None) -> Thumbnailer:
    settings = settings or settings_for(ThumbnailSettings)
    return Thumbnailer(
        **data_access(settings),
        box=settings.thumbnail_size,
        preview_box=settings.preview_size,
        max_pixels=settings.max_image_pixels,
        max_bytes=settings.max_image_bytes,
        idempotency_store=DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table_name, key_attr=IDEMPOTENCY_KEY_ATTRIBUTE
        ),
    )


collaborators = Collaborators(build)
