"""`$connect` and `$disconnect`: which connections each owner has open, for the notifier to post to."""

from __future__ import annotations

from functions.common.ports import ConnectionStore
from functions.system import REALTIME_CONNECTION_MAX_SECONDS


def connected(*, owner: str, connection_id: str, connected_ms: int, connections: ConnectionStore) -> None:
    """Remember the connection until API Gateway closes it anyway (2 hours after it opened); TTL removes it then."""
    expires_at = connected_ms // 1000 + 1 + REALTIME_CONNECTION_MAX_SECONDS
    connections.put_connection(owner, connection_id, connected_ms=connected_ms, expires_at=expires_at)


def disconnected(*, owner: str, connection_id: str, connections: ConnectionStore) -> None:
    """Forget the connection (a `$disconnect` delivered twice, or after a `GoneException` cleanup, is harmless)."""
    connections.delete_connection(owner, connection_id)
