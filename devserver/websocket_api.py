"""API Gateway's WebSocket API on loopback: `ws://127.0.0.1:{port}/{stage}`, with AWS's route semantics.

An upgrade request runs the `$connect` REQUEST authorizer (`realtime_authorizer`) in its execution environment: no
ticket in the query (the identity source) is a 401 without calling it, `Unauthorized` raised is a 401, a Deny (or no
matching Allow) a 403, any other failure a 500. On Allow `$connect` (`realtime_connections`) runs with the
authorizer's context; a failure or a non-2xx answer refuses the upgrade. Client messages reach `$default`, a MOCK
integration deployed: nothing runs and nothing answers (the keep-alive ping only keeps the connection). Closing, for
whatever reason, runs `$disconnect` with the authorizer's context. API Gateway's limits hold: a connection idle for
`idle_seconds` (only the client's messages count, the strictest reading) or open for `max_seconds` is closed, a frame
over 128 KB closes the connection (1009), and there is no compression and no server ping. The backend's side, the
`@connections` API, is `post`/`describe`/`disconnect` here (served over HTTP by devserver/connections_api.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from devserver.environments import FunctionError, invoke
from devserver.guards import loopback_hosts
from devserver.websocket_events import (
    AuthorizerConfigurationError,
    Handshake,
    authorizer_event,
    connect_event,
    decide,
    disconnect_event,
)
from functions.system import (
    REALTIME_CONNECTION_MAX_SECONDS,
    REALTIME_IDLE_SECONDS,
    REALTIME_MAX_MESSAGE_BYTES,
    REALTIME_STAGE,
    REALTIME_TICKET_PARAMETER,
)

log = logging.getLogger("devserver")
AUTHORIZER = "realtime_authorizer"
CONNECTIONS = "realtime_connections"
LOCAL_API_ID = "local"
GOING_AWAY = (1001, "Going away")
CLOSED_BY_BACKEND = (1000, "")
# Lambda runs many environments at once; asyncio's default pool (cpu + 4 threads) would queue connects behind others.
_INVOKE_THREADS = 16

Invoke = Callable[[str, dict[str, Any]], Any]


class Gone(LookupError):
    """No open connection has this id (the `@connections` API's GoneException)."""


@dataclass
class _Live:
    handshake: Handshake
    socket: ServerConnection
    opened: float
    last_active: float
    closed_by_us: tuple[int, str] | None = None


def _connection_id() -> str:
    """An id shaped like API Gateway's (16 base64 characters ending in `=`)."""
    return base64.b64encode(os.urandom(11)).decode()


def _refusal(status: int, message: str, headers: Sequence[tuple[str, str]] = ()) -> Response:
    """API Gateway's JSON refusal of an upgrade request."""
    body = json.dumps({"message": message}).encode()
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    pairs = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")]
    return Response(status, phrase, Headers([*pairs, *headers]), body)


def _is_upgrade(request: Request) -> bool:
    headers = request.headers
    connection = [token.strip().lower() for token in headers.get("Connection", "").split(",")]
    return (
        headers.get("Upgrade", "").lower() == "websocket"
        and "upgrade" in connection
        and bool(headers.get("Sec-WebSocket-Key"))
        and headers.get("Sec-WebSocket-Version") == "13"
    )


class WebSocketApi:
    """The WebSocket API's server on its own thread and event loop; the `@connections` calls are thread-safe."""

    def __init__(
        self,
        *,
        port: int = 0,
        invoke: Invoke = invoke,
        idle_seconds: float = REALTIME_IDLE_SECONDS,
        max_seconds: float = REALTIME_CONNECTION_MAX_SECONDS,
        stage: str = REALTIME_STAGE,
        api_id: str = LOCAL_API_ID,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._port = port
        self._invoke = invoke
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self.stage = stage
        self.api_id = api_id
        self._clock = clock
        self._live: dict[str, _Live] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._stopped: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._pool = ThreadPoolExecutor(_INVOKE_THREADS, thread_name_prefix="websocket-invoke")

    # Lifecycle

    def start(self) -> str:
        """Bind and serve; answers the stage's URL (`ws://127.0.0.1:{port}/{stage}`)."""
        self._thread = threading.Thread(target=self._run_loop, name="websocket-api", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30) or self._server is None:
            raise RuntimeError(f"the WebSocket API did not start on port {self._port}") from self._failed
        return self.url

    def _run_loop(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # binding failed (the port is taken): start() reports it
            self._failed = error
            self._ready.set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/{self.stage}"

    def stop(self) -> None:
        """Close every connection (each runs `$disconnect`), then the server."""
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._server = await serve(
            self._serve_connection,
            "127.0.0.1",
            self._port,
            process_request=self._process_request,
            process_response=self._process_response,
            select_subprotocol=self._select_subprotocol,
            compression=None,  # API Gateway negotiates no permessage-deflate
            ping_interval=None,  # nor pings its clients; it answers their pings
            max_size=REALTIME_MAX_MESSAGE_BYTES,
            server_header=None,
        )
        self._ready.set()
        await self._stopped.wait()
        for live in self.connections():
            live.closed_by_us = GOING_AWAY
            await live.socket.close(*GOING_AWAY)
        self._server.close()
        await self._server.wait_closed()

    # The `@connections` API (any thread)

    def connections(self) -> list[_Live]:
        with self._lock:
            return list(self._live.values())

    def _get(self, connection_id: str) -> _Live:
        with self._lock:
            live = self._live.get(connection_id)
        if live is None:
            raise Gone(connection_id)
        return live

    def _run(self, coroutine: Any, timeout: float = 10) -> Any:
        if self._loop is None:
            raise RuntimeError("not started")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def post(self, connection_id: str, data: bytes) -> None:
        """PostToConnection: a text frame if the data is UTF-8, else a binary one."""
        live = self._get(connection_id)
        try:
            message: str | bytes = data.decode("utf-8")
        except UnicodeDecodeError:
            message = data
        try:
            self._run(live.socket.send(message))
        except ConnectionClosed:
            raise Gone(connection_id) from None

    def describe(self, connection_id: str) -> dict[str, Any]:
        """GetConnection's answer."""
        live = self._get(connection_id)

        def iso(monotonic: float) -> str:
            moment = datetime.now(UTC).timestamp() - (self._clock() - monotonic)
            return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

        handshake = live.handshake
        return {
            "connectedAt": iso(live.opened),
            "identity": {"sourceIp": handshake.source_ip, "userAgent": handshake.user_agent},
            "lastActiveAt": iso(live.last_active),
        }

    def disconnect(self, connection_id: str) -> None:
        """DeleteConnection: the server closes the connection, and `$disconnect` runs."""
        live = self._get(connection_id)
        live.closed_by_us = CLOSED_BY_BACKEND
        self._run(live.socket.close(*CLOSED_BY_BACKEND))

    # The upgrade: authorizer, then `$connect`

    async def _call(self, function: str, event: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._invoke, function, event)

    def _handshake(self, connection: ServerConnection, request: Request) -> Handshake:
        remote = connection.remote_address
        return Handshake(
            connection_id=_connection_id(),
            domain=request.headers.get("Host", ""),
            headers=list(request.headers.raw_items()),
            query=parse_qsl(urlsplit(request.path).query, keep_blank_values=True),
            source_ip=str(remote[0]) if remote else "127.0.0.1",
            connected_at_ms=int(time.time() * 1000),
            api_id=self.api_id,
            stage=self.stage,
        )

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        hosts = request.headers.get_all("Host")
        if len(hosts) != 1 or hosts[0].lower() not in loopback_hosts(self.port):
            return _refusal(421, "The local WebSocket API answers only to loopback names.")
        if urlsplit(request.path).path.rstrip("/") != f"/{self.stage}":
            return _refusal(403, "Forbidden")
        if not _is_upgrade(request):
            return None  # websockets refuses it as a server must (426 or 400); no route runs
        handshake = self._handshake(connection, request)
        if not any(name == REALTIME_TICKET_PARAMETER and value for name, value in handshake.query):
            return _refusal(401, "Unauthorized")  # the identity source is missing: the authorizer is not called
        refused = await self._authorize(handshake)
        if refused is None:
            refused = await self._connect(connection, handshake)
        return refused

    async def _authorize(self, handshake: Handshake) -> Response | None:
        """The REQUEST authorizer; on Allow its context (with the principal) joins the handshake."""
        started = time.monotonic()
        try:
            answer = await self._call(AUTHORIZER, authorizer_event(handshake))
            decision = decide(answer, handshake.method_arn("$connect"))
        except FunctionError as error:
            if error.message == "Unauthorized":
                return _refusal(401, "Unauthorized")
            log.error("the $connect authorizer failed: %s", error)
            return _refusal(500, "Internal server error")
        except AuthorizerConfigurationError as error:
            log.error("the $connect authorizer's answer is unusable: %s", error)
            return _refusal(500, "Internal server error")
        if not decision.allowed:
            return _refusal(403, "Forbidden")
        handshake.authorizer = {**decision.context, "integrationLatency": int((time.monotonic() - started) * 1000)}
        return None

    async def _connect(self, connection: ServerConnection, handshake: Handshake) -> Response | None:
        """The `$connect` route: a failure or a non-2xx answer refuses the connection."""
        try:
            result = await self._call(CONNECTIONS, connect_event(handshake))
        except FunctionError as error:
            log.error("$connect failed: %s", error)
            return _refusal(500, "Internal server error")
        answer = result if isinstance(result, dict) else {}
        status = int(answer.get("statusCode", 200))
        if not 200 <= status < 300:
            return _refusal(status, str(answer.get("body") or "Forbidden"))
        headers = {str(name).lower(): str(value) for name, value in (answer.get("headers") or {}).items()}
        connection.realtime = (handshake, headers.get("sec-websocket-protocol"))  # type: ignore[attr-defined]
        return None

    def _select_subprotocol(self, connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        """The subprotocol `$connect` answered, if the client offered it (API Gateway passes the header on)."""
        _, chosen = getattr(connection, "realtime", (None, None))
        return Subprotocol(chosen) if chosen and chosen in offered else None

    async def _process_response(self, connection: ServerConnection, request: Request, response: Response) -> None:
        accepted = getattr(connection, "realtime", None)
        if accepted is not None and response.status_code != HTTPStatus.SWITCHING_PROTOCOLS:
            # `$connect` said yes but the handshake still failed: the connection never existed, clean up after it.
            await self._disconnected(accepted[0], 1006, "handshake failed")

    # An open connection

    async def _serve_connection(self, socket: ServerConnection) -> None:
        handshake: Handshake = socket.realtime[0]  # type: ignore[attr-defined]
        now = self._clock()
        live = _Live(handshake=handshake, socket=socket, opened=now, last_active=now)
        with self._lock:
            self._live[handshake.connection_id] = live
        try:
            await self._receive(live)
        finally:
            with self._lock:
                self._live.pop(handshake.connection_id, None)
            if live.closed_by_us is not None:
                code, reason = live.closed_by_us
            else:
                code, reason = socket.close_code or 1005, socket.close_reason or ""
            await self._disconnected(handshake, code, reason)

    async def _receive(self, live: _Live) -> None:
        while True:
            now = self._clock()
            idle_left = live.last_active + self.idle_seconds - now
            life_left = live.opened + self.max_seconds - now
            if idle_left <= 0 or life_left <= 0:
                live.closed_by_us = GOING_AWAY
                await live.socket.close(*GOING_AWAY)
                return
            try:
                await asyncio.wait_for(live.socket.recv(), timeout=min(idle_left, life_left))
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            # `$default` is a MOCK integration: the message only counts as activity.
            live.last_active = self._clock()

    async def _disconnected(self, handshake: Handshake, code: int, reason: str) -> None:
        try:
            await self._call(CONNECTIONS, disconnect_event(handshake, code, reason))
        except Exception:  # best effort, as on API Gateway
            log.exception("$disconnect failed for %s", handshake.connection_id)
