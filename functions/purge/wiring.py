"""The purge function's collaborators, built from its settings."""

from __future__ import annotations

from functions.common.multipart_storage import MultipartStore
from functions.common.settings import PurgeSettings, settings_for
from functions.common.wiring import Collaborators, data_access
from functions.purge.logic import Purger


def build(settings: PurgeSettings | None = None) -> Purger:
    settings = settings or settings_for(PurgeSettings)
    return Purger(**data_access(settings), settings=settings, uploads=MultipartStore(settings.media_bucket_name))


collaborators = Collaborators(build)
