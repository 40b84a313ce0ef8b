"""Builds each function's collaborators from its settings: the one place handlers get real AWS clients from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from functions.common.clock import utc_now
from functions.common.cursor import CursorCodec
from functions.common.repository import AssetRepository
from functions.common.settings import ApiSettings, settings_for
from functions.common.storage import ObjectStore

if TYPE_CHECKING:
    from functions.gallery.logic import Gallery
    from functions.sign.logic import Signer


def gallery_service(settings: ApiSettings | None = None) -> Gallery:
    from functions.gallery.logic import Gallery

    settings = settings or settings_for(ApiSettings)
    return Gallery(
        repository=AssetRepository(settings.asset_table_name),
        store=ObjectStore(settings.media_bucket_name),
        clock=utc_now,
        cursors=CursorCodec(settings.cursor_secret.get_secret_value().encode()),
        read_ttl_seconds=settings.read_url_ttl_seconds,
        download_ttl_seconds=settings.download_url_ttl_seconds,
        retention_days=settings.trash_retention_days,
    )


def sign_service(settings: ApiSettings | None = None) -> Signer:
    from functions.sign.logic import Signer

    settings = settings or settings_for(ApiSettings)
    return Signer(
        repository=AssetRepository(settings.asset_table_name),
        store=ObjectStore(settings.media_bucket_name),
        clock=utc_now,
        max_image_bytes=settings.max_image_bytes,
        upload_ttl_seconds=settings.upload_url_ttl_seconds,
        read_ttl_seconds=settings.read_url_ttl_seconds,
    )
