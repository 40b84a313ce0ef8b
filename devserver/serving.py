"""The local server's HTTP servers, each served on a daemon thread of its own."""

from __future__ import annotations

import threading
from socketserver import BaseServer

# How often a server checks for shutdown: socketserver's default, 0.5 s, made every stop of the local server wait
# about 2 s, once per server in turn.
SHUTDOWN_POLL_SECONDS = 0.05


def serve_until_shutdown(server: BaseServer) -> None:
    """Serve until `server.shutdown()`, which then returns within SHUTDOWN_POLL_SECONDS."""
    server.serve_forever(SHUTDOWN_POLL_SECONDS)


def serve_in_background(server: BaseServer, name: str) -> threading.Thread:
    thread = threading.Thread(target=serve_until_shutdown, args=(server,), name=name, daemon=True)
    thread.start()
    return thread
