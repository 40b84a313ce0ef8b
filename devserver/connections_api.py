"""The WebSocket API's `@connections` management API on loopback, as botocore's `apigatewaymanagementapi` speaks it.

`POST|GET|DELETE /{stage}/@connections/{connectionId}` (rest-json): PostToConnection sends the raw body as one
message (over 128 KB: 413 `PayloadTooLargeException`), GetConnection describes the connection, DeleteConnection
closes it (204); an unknown or closed connection is 410 `GoneException`. Errors carry `x-amzn-ErrorType`, which is
what botocore reads the error code from. The notifier reaches it through botocore's standard
`AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`, as it reaches the deployed endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devserver.guards import loopback_hosts, server_port
from devserver.serving import serve_in_background
from devserver.websocket_api import Gone, WebSocketApi
from functions.system import REALTIME_MAX_MESSAGE_BYTES


def _error(status: int, error_type: str, message: str) -> Response:
    return Response(
        json.dumps({"message": message}),
        status=status,
        content_type="application/json",
        headers={"x-amzn-ErrorType": error_type},
    )


def _raw_path(request: Request) -> str:
    """The path as sent: a connection id may hold `/` or `+`, which botocore percent-encodes."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
    return str(raw).split("?", 1)[0]


class ConnectionsApi:
    """A WSGI app over a `WebSocketApi`, served on its own loopback port (websockets' server speaks only GET)."""

    def __init__(self, api: WebSocketApi) -> None:
        self._api = api
        self._http: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self._respond(Request(environ))
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.headers.get("Host", "").lower() not in loopback_hosts(server_port(request)):
            return _error(421, "MisdirectedRequest", "The local @connections API answers only to loopback names.")
        prefix = f"/{self._api.stage}/@connections/"
        path = _raw_path(request)
        if not path.startswith(prefix) or len(path) == len(prefix):
            return _error(403, "ForbiddenException", "Forbidden")
        connection_id = unquote(path[len(prefix) :])
        try:
            if request.method == "POST":
                data = request.get_data(cache=False)
                if len(data) > REALTIME_MAX_MESSAGE_BYTES:
                    return _error(413, "PayloadTooLargeException", "Message too long")
                self._api.post(connection_id, data)
                return Response(b"", status=200)
            if request.method == "GET":
                return Response(json.dumps(self._api.describe(connection_id)), content_type="application/json")
            if request.method == "DELETE":
                self._api.disconnect(connection_id)
                return Response(b"", status=204)
        except Gone:
            return _error(410, "GoneException", "")
        return _error(403, "ForbiddenException", "Forbidden")

    def start(self) -> str:
        """Serve on a free loopback port; answers the endpoint base the management client is given."""
        self._http = make_server("127.0.0.1", 0, self, threaded=True)
        serve_in_background(self._http, "connections-api")
        return f"http://127.0.0.1:{self._http.server_port}/{self._api.stage}"

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
