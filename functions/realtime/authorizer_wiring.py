"""The `$connect` authorizer's collaborators: the tickets in the connections table."""

from __future__ import annotations

from functions.common.clock import utc_now
from functions.common.repository.connections import ConnectionRepository
from functions.common.settings import RealtimeSettings, settings_for
from functions.common.wiring import Collaborators
from functions.realtime.tickets import Tickets


def build(settings: RealtimeSettings | None = None) -> Tickets:
    settings = settings or settings_for(RealtimeSettings)
    return Tickets(tickets=ConnectionRepository(settings.connections_table_name), clock=utc_now)


collaborators = Collaborators(build)
