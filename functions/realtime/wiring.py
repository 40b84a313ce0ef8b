"""The ticket route's collaborators, built from its settings (the connections table, the WebSocket URL)."""

from __future__ import annotations

from functions.common.clock import utc_now
from functions.common.repository.connections import ConnectionRepository
from functions.common.settings import RealtimeTicketSettings, settings_for
from functions.common.wiring import Collaborators
from functions.realtime.tickets import Tickets


def build(settings: RealtimeTicketSettings | None = None) -> Tickets:
    settings = settings or settings_for(RealtimeTicketSettings)
    return Tickets(
        tickets=ConnectionRepository(settings.connections_table_name),
        clock=utc_now,
        realtime_url=settings.realtime_url,
        ttl_seconds=settings.ticket_ttl_seconds,
    )


collaborators = Collaborators(build)
