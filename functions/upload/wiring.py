"""The direct-upload function's collaborators, built from its settings."""

from __future__ import annotations

from functions.common.quota import quota_from
from functions.common.settings import UploadSettings, settings_for
from functions.common.wiring import Collaborators, data_access
from functions.upload.logic import Uploader


def build(settings: UploadSettings | None = None) -> Uploader:
    settings = settings or settings_for(UploadSettings)
    return Uploader(
        **data_access(settings),
        max_image_pixels=settings.max_image_pixels,
        read_ttl_seconds=settings.read_url_ttl_seconds,
        quota=quota_from(settings),
    )


collaborators = Collaborators(build)
