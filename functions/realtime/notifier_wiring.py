"""The stream notifier's collaborators: connections, `@connections`, and what presenting an asset needs."""

from __future__ import annotations

from functions.common.clock import utc_now
from functions.common.repository.connections import ConnectionRepository
from functions.common.settings import RealtimeSettings, settings_for
from functions.common.storage import ObjectStore
from functions.common.wiring import Collaborators
from functions.realtime.gateway import ConnectionsApi
from functions.realtime.notify import Notifier


def build(settings: RealtimeSettings | None = None) -> Notifier:
    settings = settings or settings_for(RealtimeSettings)
    return Notifier(
        connections=ConnectionRepository(settings.connections_table_name),
        poster=ConnectionsApi(),
        store=ObjectStore(settings.media_bucket_name, read_url_window_seconds=settings.read_url_window_seconds),
        clock=utc_now,
        read_ttl_seconds=settings.read_url_ttl_seconds,
    )


collaborators = Collaborators(build)
