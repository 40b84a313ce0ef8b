"""The public share routes' collaborators: the asset table (shares, assets), the media bucket, the metadata stripper."""

from __future__ import annotations

from functools import partial

from functions.common.clock import utc_now
from functions.common.metadata_strip import strip_metadata
from functions.common.repository import AssetRepository
from functions.common.repository.shares import ShareRepository
from functions.common.settings import SharesSettings, settings_for
from functions.common.storage import ObjectStore
from functions.common.wiring import Collaborators
from functions.public_shares.logic import PublicShares


def build(settings: SharesSettings | None = None) -> PublicShares:
    settings = settings or settings_for(SharesSettings)
    return PublicShares(
        shares=ShareRepository(settings.asset_table_name),
        assets=AssetRepository(settings.asset_table_name),
        store=ObjectStore(settings.media_bucket_name, read_url_window_seconds=settings.read_url_window_seconds),
        clock=utc_now,
        strip=partial(strip_metadata, max_pixels=settings.max_image_pixels),
        read_ttl_seconds=settings.read_url_ttl_seconds,
        download_ttl_seconds=settings.download_url_ttl_seconds,
    )


collaborators = Collaborators(build)
