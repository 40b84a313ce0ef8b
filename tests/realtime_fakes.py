"""In-memory collaborators of the real-time logic (`functions.common.ports`: tickets, connections, `@connections`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from functions.common import ports
from functions.common.failures import TransientError


class MemoryConnections:
    """The connections table in dicts: tickets by digest, connections by owner (with their expiry)."""

    def __init__(self) -> None:
        self.tickets: dict[str, tuple[str, int]] = {}
        self.connections: dict[str, dict[str, int]] = {}
        self.down = False  # every read fails (an outage)

    def put_ticket(self, digest: str, *, owner: str, expires_at: int) -> None:
        self.tickets[digest] = (owner, expires_at)

    def redeem_ticket(self, digest: str, *, now: int) -> str | None:
        owner, expires_at = self.tickets.get(digest, ("", 0))
        if not owner or expires_at <= now:
            return None
        del self.tickets[digest]
        return owner

    def put_connection(self, owner: str, connection_id: str, *, connected_ms: int, expires_at: int) -> None:
        self.connections.setdefault(owner, {})[connection_id] = expires_at

    def delete_connection(self, owner: str, connection_id: str) -> None:
        self.connections.get(owner, {}).pop(connection_id, None)

    def connections_of(self, owner: str, *, now: int) -> list[str]:
        if self.down:
            raise TransientError("DynamoDB is down")
        return [cid for cid, expires_at in self.connections.get(owner, {}).items() if expires_at > now]


@dataclass
class RecordingPoster:
    """`@connections` that records each post; `gone` connections answer Gone, `failing` ones fail."""

    gone: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    posts: list[tuple[str, bytes]] = field(default_factory=list)

    def post(self, connection_id: str, data: bytes) -> bool:
        if connection_id in self.failing:
            raise TransientError("429 LimitExceededException")
        if connection_id in self.gone:
            return False
        self.posts.append((connection_id, data))
        return True

    def to(self, connection_id: str) -> list[dict[str, Any]]:
        return [json.loads(data) for cid, data in self.posts if cid == connection_id]


def _conforms(connections: MemoryConnections, poster: RecordingPoster) -> None:
    """Never called: mypy checks that the fakes keep the contracts the logic is typed with."""
    _: tuple[ports.TicketStore, ports.ConnectionStore, ports.ConnectionPoster] = (connections, connections, poster)
