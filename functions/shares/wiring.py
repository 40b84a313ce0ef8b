"""The share routes' collaborators: the asset table (shares, assets, folders), the media bucket, the link's base."""

from __future__ import annotations

from functions.common.clock import utc_now
from functions.common.repository import AssetRepository
from functions.common.repository.shares import ShareRepository
from functions.common.settings import SharesSettings, settings_for
from functions.common.storage import ObjectStore
from functions.common.wiring import Collaborators
from functions.shares.logic import Shares


def build(settings: SharesSettings | None = None) -> Shares:
    settings = settings or settings_for(SharesSettings)
    return Shares(
        shares=ShareRepository(settings.asset_table_name),
        assets=AssetRepository(settings.asset_table_name),
        store=ObjectStore(settings.media_bucket_name),
        clock=utc_now,
        base_url=settings.share_base_url,
    )


collaborators = Collaborators(build)
