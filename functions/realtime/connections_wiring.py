"""`$connect` / `$disconnect`'s collaborators: the connections table."""

from __future__ import annotations

from functions.common.repository.connections import ConnectionRepository
from functions.common.settings import RealtimeSettings, settings_for
from functions.common.wiring import Collaborators


def build(settings: RealtimeSettings | None = None) -> ConnectionRepository:
    return ConnectionRepository((settings or settings_for(RealtimeSettings)).connections_table_name)


collaborators = Collaborators(build)
