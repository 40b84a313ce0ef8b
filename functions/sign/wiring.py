"""The sign function's collaborators, built from its settings."""

from __future__ import annotations

from functions.common.quota import quota_from
from functions.common.settings import ApiSettings, settings_for
from functions.common.wiring import Collaborators, data_access
from functions.sign.logic import Signer


def build(settings: ApiSettings | None = None) -> Signer:
    settings = settings or settings_for(ApiSettings)
    return Signer(
        **data_access(settings),
        max_image_bytes=settings.max_image_bytes,
        max_video_bytes=settings.max_video_bytes,
        multipart_threshold_bytes=settings.multipart_threshold_bytes,
        upload_ttl_seconds=settings.upload_url_ttl_seconds,
        read_ttl_seconds=settings.read_url_ttl_seconds,
        quota=quota_from(settings),
    )


collaborators = Collaborators(build)
