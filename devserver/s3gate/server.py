"""moto's WSGI application behind the S3 gate, on a threaded werkzeug server: `ThreadedMotoServer` plus the gate."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from devserver.config import function_credentials
from devserver.s3gate.gate import Principal, WsgiApp
from devserver.serving import serve_in_background
from functions.system import FUNCTIONS

# The server's own clients (EmbeddedAws.client, and handlers outside an execution environment) sign with this pair.
SERVER_KEY = Principal(function=None, secret="local")  # noqa: S106 - loopback emulator key, not a secret
SERVER_ACCESS_KEY = "local"


def local_principals() -> dict[str, Principal]:
    """Every key the local S3 knows: each function's (config.function_credentials) and the server's own."""
    principals = {SERVER_ACCESS_KEY: SERVER_KEY}
    for function in FUNCTIONS:
        credentials = function_credentials(function)
        principals[credentials["AWS_ACCESS_KEY_ID"]] = Principal(function, credentials["AWS_SECRET_ACCESS_KEY"])
    if len(principals) != len(FUNCTIONS) + 1:
        raise ValueError("two functions share an access key id: function_credentials must keep names apart")
    return principals


class GatedMotoServer:
    """What `ThreadedMotoServer` runs (`DomainDispatcherApplication(create_backend_app)`), wrapped by `gate`.

    It binds when made (port 0: any free one), so its port is known before it serves and no one can take it between.
    """

    def __init__(self, host: str, port: int, gate: Callable[[WsgiApp], WsgiApp]) -> None:
        moto_app: Any = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(
            host, port, gate(moto_app), threaded=True, request_handler=MotoRequestHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def start(self) -> None:
        self._thread = serve_in_background(self._server, "moto")

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
