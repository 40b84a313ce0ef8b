"""The gallery function's collaborators, built from its settings."""

from __future__ import annotations

from functions.common.cursor import CursorCodec
from functions.common.cursor_secret import cursor_secret
from functions.common.quota import quota_from
from functions.common.settings import ApiSettings, settings_for
from functions.common.wiring import Collaborators, data_access
from functions.gallery.logic import Gallery


def build(settings: ApiSettings | None = None) -> Gallery:
    settings = settings or settings_for(ApiSettings)
    data = data_access(settings)
    return Gallery(
        **data,
        cursors=CursorCodec(cursor_secret(data["store"])),  # one GetObject per cold start (created by the first)
        read_ttl_seconds=settings.read_url_ttl_seconds,
        download_ttl_seconds=settings.download_url_ttl_seconds,
        retention_days=settings.trash_retention_days,
        quota=quota_from(settings),
    )


collaborators = Collaborators(build)
