"""The multipart function's collaborators, built from its settings."""

from __future__ import annotations

from functions.common.multipart_storage import MultipartStore
from functions.common.quota import quota_from
from functions.common.settings import MultipartSettings, settings_for
from functions.common.wiring import Collaborators, data_access
from functions.multipart.logic import Multiparts


def build(settings: MultipartSettings | None = None) -> Multiparts:
    settings = settings or settings_for(MultipartSettings)
    return Multiparts(
        **data_access(settings),
        uploads=MultipartStore(settings.media_bucket_name),
        max_image_bytes=settings.max_image_bytes,
        max_video_bytes=settings.max_video_bytes,
        upload_ttl_seconds=settings.upload_url_ttl_seconds,
        read_ttl_seconds=settings.read_url_ttl_seconds,
        quota=quota_from(settings),
    )


collaborators = Collaborators(build)
